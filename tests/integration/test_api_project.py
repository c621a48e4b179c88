"""The project and its signing-secret rotation, on moto."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from standardwebhooks.webhooks import Webhook

from belltower.service import keys
from tests.support.app import DESTINATION, app  # noqa: F401  (fixture)


def secrets_of(app, **kwargs):
    return app.call("GET", "/v1/project", **kwargs).body["signing_secrets"]


def deliver_one(app):
    schedule = app.call("POST", "/v1/schedules", {"endpoint": DESTINATION, "delay": "1m"}).body
    app.clock.advance(timedelta(minutes=1))
    app.deliver({"type": "fire", "project_id": app.project["id"], "schedule_id": schedule["id"],
                 "scheduled_for": schedule["fire_at"]})  # fmt: skip
    return app.http.sent[-1]


def verifies_with(secret, sent):
    """The Standard Webhooks library finds a signature of this secret among the sent ones."""
    h = sent.headers
    signed_at = datetime.fromtimestamp(int(h["webhook-timestamp"]), tz=timezone.utc)
    expected = Webhook(secret).sign(h["webhook-id"], signed_at, sent.body.decode() if sent.body else "")
    return expected in h["webhook-signature"].split(" ")


def test_rotation_adds_a_current_secret_and_keeps_the_old_one_for_24_hours(app):
    [old] = secrets_of(app)
    deliver_one(app)  # the delivery side has cached the project

    resp = app.call("POST", "/v1/project/signing-secret/rotate")

    assert resp.status == 200 and resp.body["object"] == "project"
    new, previous = resp.body["signing_secrets"]
    assert new["secret"].startswith("whsec_") and new["secret"] != old["secret"]
    assert new["expires_at"] is None and new["created_at"] == "2026-11-23T12:01:00Z"
    assert previous == {**old, "expires_at": "2026-11-24T12:01:00Z"}
    assert secrets_of(app) == [new, previous]

    # Deliveries carry both signatures at once (no waiting for a cache) ...
    sent = deliver_one(app)
    assert len(sent.headers["webhook-signature"].split(" ")) == 2
    assert verifies_with(new["secret"], sent) and verifies_with(old["secret"], sent)

    # ... until the old secret expires; then it is gone from the project too
    app.clock.advance(timedelta(hours=24))
    sent = deliver_one(app)
    assert verifies_with(new["secret"], sent) and not verifies_with(old["secret"], sent)
    assert secrets_of(app) == [new]


def test_a_second_rotation_keeps_each_older_secrets_own_expiry(app):
    [first] = secrets_of(app)
    app.call("POST", "/v1/project/signing-secret/rotate")
    app.clock.advance(timedelta(hours=1))
    third, second, first_again = app.call("POST", "/v1/project/signing-secret/rotate").body["signing_secrets"]
    assert first_again["secret"] == first["secret"] and first_again["expires_at"] == "2026-11-24T12:00:00Z"
    assert second["expires_at"] == "2026-11-24T13:00:00Z" and third["expires_at"] is None


def test_rotation_touches_only_the_callers_project(app):
    other_key, _ = keys.create_key(app.container.store, "other")
    before = secrets_of(app, api_key=other_key)
    app.call("POST", "/v1/project/signing-secret/rotate")
    assert secrets_of(app, api_key=other_key) == before


def test_rotate_needs_a_key_and_a_post(app):
    assert app.call("POST", "/v1/project/signing-secret/rotate", api_key=None).status == 401
    resp = app.call("GET", "/v1/project/signing-secret/rotate")
    assert resp.status == 405 and resp.headers["Allow"] == "POST"
