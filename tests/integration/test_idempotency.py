"""Idempotency keys on `POST /v1/schedules`, on moto: replays, conflicts, expiry, and races."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from moto.dynamodb.models import DynamoDBBackend

from belltower.adapters.store import epoch
from belltower.domain import idempotency
from belltower.domain.errors import Conflict, SchedulerUnavailable
from belltower.service import keys, schedules
from tests.support.app import DESTINATION, app  # noqa: F401  (fixture)

BODY = {"endpoint": DESTINATION, "delay": "1h", "body": {"order": 42}}


def post(app, body, key=None, **kwargs):
    headers = {"Idempotency-Key": key} if key is not None else None
    return app.call("POST", "/v1/schedules", body, headers=headers, **kwargs)


def listed(app):
    return [s["id"] for s in app.call("GET", "/v1/schedules").body["data"]]


def test_the_same_key_and_body_returns_the_original_schedule(app):
    # Given a schedule created with a key in the body
    first = post(app, {**BODY, "idempotency_key": "order-42"})
    assert first.status == 201 and "Idempotent-Replayed" not in first.headers

    # When the same request comes again, with the key as a header and the fields in another order
    app.clock.advance(timedelta(hours=23))
    again = post(app, {"body": {"order": 42}, "delay": "1h", "endpoint": DESTINATION}, key="order-42")

    # Then it answers 200 with the original schedule, and nothing new exists
    assert again.status == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.body["id"] == first.body["id"] and again.body["fire_at"] == first.body["fire_at"]
    assert listed(app) == [first.body["id"]] and list(app.timers()) == [first.body["id"]]


def test_a_replay_is_answered_even_when_the_body_no_longer_validates(app):
    body = {"endpoint": DESTINATION, "fire_at": "2026-11-23T13:00:00Z"}
    first = post(app, body, key="k")
    app.clock.advance(timedelta(hours=2))  # fire_at is now in the past
    again = post(app, body, key="k")
    assert (again.status, again.body["id"]) == (200, first.body["id"])


def test_the_same_key_with_another_body_is_409(app):
    post(app, BODY, key="k")
    resp = post(app, {**BODY, "delay": "2h"}, key="k")
    assert resp.status == 409
    assert (resp.body["error"]["code"], resp.body["error"]["param"]) == ("idempotency_key_reused", "idempotency_key")
    assert len(listed(app)) == 1


def test_a_key_is_forgotten_after_24_hours(app):
    first = post(app, BODY, key="k")
    app.clock.advance(idempotency.KEY_TTL + timedelta(seconds=1))  # moto, like DynamoDB, has not deleted it
    second = post(app, BODY, key="k")
    assert second.status == 201 and second.body["id"] != first.body["id"]


def test_keys_belong_to_one_project(app):
    other_key, _ = keys.create_key(app.container.store, "other")
    mine = post(app, BODY, key="k")
    theirs = post(app, BODY, key="k", api_key=other_key)
    assert (mine.status, theirs.status) == (201, 201) and mine.body["id"] != theirs.body["id"]


@pytest.mark.parametrize(
    "body_key, header_key",
    [("", None), ("x" * 256, None), ("tab\there", None), (42, None), (None, ""), ("a", "b")],
)
def test_a_malformed_or_contradictory_key_is_400(app, body_key, header_key):
    body = BODY if body_key is None else {**BODY, "idempotency_key": body_key}
    resp = post(app, body, key=header_key)
    assert (resp.status, resp.body["error"]["code"], resp.body["error"]["param"]) == (
        400, "invalid_field", "idempotency_key")  # fmt: skip
    assert listed(app) == []


def test_a_255_character_key_is_accepted(app):
    assert post(app, BODY, key="k" * 255).status == 201


def test_an_invalid_request_does_not_use_up_its_key(app):
    assert post(app, {"endpoint": DESTINATION}, key="k").status == 422
    assert post(app, BODY, key="k").status == 201


def test_a_scheduler_outage_releases_the_key(app):
    real = app.container.timers

    class BrokenTimers:
        def put(self, spec):
            raise SchedulerUnavailable()

        def delete(self, name):
            raise SchedulerUnavailable()

    app.container.timers = BrokenTimers()
    assert post(app, BODY, key="k").status == 503
    app.container.timers = real
    assert post(app, BODY, key="k").status == 201
    assert len(listed(app)) == 1


def claim(app, key, body, claimed_at, schedule_id="sch_01KAQZ4T5V0000000000000000"):
    now = app.clock.now()
    assert app.container.store.claim_idempotency(
        app.project["id"], idempotency.key_digest(key), fingerprint=idempotency.fingerprint(body),
        schedule_id=schedule_id, now=epoch(claimed_at), expires_at=epoch(now + idempotency.KEY_TTL),
        abandoned_before=0,
    )  # fmt: skip


def test_a_request_that_died_holding_the_key_is_taken_over_with_its_schedule_id(app):
    # Given a claim made two minutes ago by a request that never finished
    claim(app, "k", BODY, app.clock.now() - timedelta(minutes=2))

    # When the client retries, the schedule is created under the recorded id
    resp = post(app, BODY, key="k")
    assert resp.status == 201 and resp.body["id"] == "sch_01KAQZ4T5V0000000000000000"
    assert post(app, BODY, key="k").status == 200


def test_a_request_still_in_progress_is_waited_for_then_409(app):
    # Given a claim just made by a request that is still running (and never finishes here)
    claim(app, "k", BODY, app.clock.now())
    resp = post(app, BODY, key="k")
    assert (resp.status, resp.body["error"]["code"]) == (409, "invalid_state")
    assert sum(app.clock.slept) == pytest.approx(schedules.IDEMPOTENCY_POLLS * schedules.IDEMPOTENCY_POLL_SECONDS)
    assert listed(app) == []


@pytest.fixture
def atomic_moto(monkeypatch):
    """DynamoDB applies a conditional write to an item atomically; moto checks then writes
    without a lock. Serialise moto's writes, as DynamoDB does, so racing threads test our code."""
    lock = threading.RLock()
    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        original = getattr(DynamoDBBackend, name)

        def locked(self, *args, __original=original, **kwargs):
            with lock:
                return __original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, locked)


def test_concurrent_requests_with_one_key_create_exactly_one_schedule(app, atomic_moto):
    # Given eight clients sending the same request with the same key at the same moment
    app.clock.sleep = time.sleep  # losers really wait for the winner
    start, results, errors = threading.Barrier(8), [], []

    def client():
        start.wait()
        try:
            results.append(schedules.create_schedule(app.container, app.project, dict(BODY), idempotency_key="race"))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    # Then exactly one schedule exists, one request created it and seven replayed it
    assert errors == []
    assert len({r.schedule.id for r in results}) == 1
    assert sorted(r.replayed for r in results) == [False] + [True] * 7
    assert listed(app) == [results[0].schedule.id] and len(app.timers()) == 1


def test_concurrent_requests_with_one_key_and_different_bodies_create_one_and_refuse_the_rest(app, atomic_moto):
    app.clock.sleep = time.sleep
    start, outcomes = threading.Barrier(6), []

    def client(n):
        start.wait()
        try:
            schedules.create_schedule(app.container, app.project, {**BODY, "name": f"n{n}"}, idempotency_key="race")
            outcomes.append("created")
        except Conflict as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["created"] + ["idempotency_key_reused"] * 5
    assert len(listed(app)) == 1
