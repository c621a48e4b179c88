"""Endpoint profiles through the Lambda handlers, on moto: CRUD, errors, and use by schedules."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from belltower.domain.errors import SchedulerUnavailable
from belltower.service import keys
from tests.support.app import DESTINATION, app  # noqa: F401  (fixture)
from tests.support.fakes import status

OTHER = "https://other.example.com/hook"


def create_endpoint(app, **fields):
    resp = app.call("POST", "/v1/endpoints", {"name": "orders", "url": DESTINATION, **fields})
    assert resp.status == 201, resp.body
    return resp.body


def schedule_on(app, endpoint_id, **fields):
    resp = app.call("POST", "/v1/schedules", {"endpoint_id": endpoint_id, "delay": "1m", **fields})
    assert resp.status == 201, resp.body
    return resp.body


def fire(app, schedule):
    app.clock.advance(timedelta(seconds=60))
    return app.deliver({"type": "fire", "project_id": app.project["id"], "schedule_id": schedule["id"],
                        "scheduled_for": schedule["fire_at"]})  # fmt: skip


def retry_event(app, schedule, attempt):
    [occ] = app.call("GET", f"/v1/schedules/{schedule['id']}/occurrences").body["data"]
    return {"type": "attempt", "project_id": app.project["id"], "schedule_id": schedule["id"],
            "occurrence_id": occ["id"], "attempt": attempt}  # fmt: skip


# --- the resource ------------------------------------------------------------------------------


def test_create_shows_the_profile_with_defaults_and_hides_header_values(app):
    resp = app.call("POST", "/v1/endpoints", {"name": "orders", "url": DESTINATION,
                                              "headers": {"Authorization": "Bearer s3cr3t"}})  # fmt: skip
    assert resp.status == 201
    endpoint = resp.body
    assert endpoint["id"].startswith("ep_") and endpoint["object"] == "endpoint"
    assert (endpoint["name"], endpoint["url"], endpoint["method"]) == ("orders", DESTINATION, "POST")
    assert endpoint["header_keys"] == ["Authorization"]
    assert endpoint["retry_policy"]["max_attempts"] == 8 and endpoint["timeout"] == "30s"
    assert endpoint["created_at"] == endpoint["updated_at"] == "2026-11-23T12:00:00Z"
    assert "s3cr3t" not in json.dumps(endpoint)
    assert app.call("GET", f"/v1/endpoints/{endpoint['id']}").body == endpoint


def test_list_is_newest_first_with_a_cursor(app):
    ids = []
    for i in range(3):
        app.clock.advance(timedelta(seconds=1))
        ids.append(create_endpoint(app, name=f"e{i}")["id"])
    first = app.call("GET", "/v1/endpoints", query={"limit": "2"}).body
    assert (first["object"], first["has_more"]) == ("list", True)
    assert [e["id"] for e in first["data"]] == ids[::-1][:2]
    rest = app.call("GET", "/v1/endpoints", query={"limit": "2", "cursor": first["next_cursor"]}).body
    assert [e["id"] for e in rest["data"]] == ids[:1] and rest["next_cursor"] is None


def test_patch_changes_only_the_fields_sent_and_merges_headers_by_name(app):
    endpoint = create_endpoint(app, headers={"X-Keep": "k", "X-Drop": "d", "X-Change": "old"},
                               retry_policy={"max_attempts": 3}, timeout="10s")  # fmt: skip
    app.clock.advance(timedelta(minutes=5))

    resp = app.call("PATCH", f"/v1/endpoints/{endpoint['id']}", {
        "name": "renamed", "headers": {"x-drop": None, "X-Change": "new", "X-Add": "a"},
        "retry_policy": None,
    })  # fmt: skip

    assert resp.status == 200, resp.body
    patched = resp.body
    assert patched["name"] == "renamed" and patched["url"] == DESTINATION and patched["timeout"] == "10s"
    assert patched["header_keys"] == ["X-Add", "X-Change", "X-Keep"]
    assert patched["retry_policy"]["max_attempts"] == 8  # null resets to the default
    assert patched["updated_at"] == "2026-11-23T12:05:00Z" and patched["created_at"] == endpoint["created_at"]
    assert app.call("GET", f"/v1/endpoints/{endpoint['id']}").body == patched


def test_delete_removes_the_profile(app):
    endpoint = create_endpoint(app)
    resp = app.call("DELETE", f"/v1/endpoints/{endpoint['id']}")
    assert resp.status == 200 and resp.body == {"id": endpoint["id"], "object": "endpoint", "deleted": True}
    assert app.call("GET", f"/v1/endpoints/{endpoint['id']}").status == 404
    assert app.call("DELETE", f"/v1/endpoints/{endpoint['id']}").status == 404


@pytest.mark.parametrize(
    "body, status, code, param",
    [
        ({"url": DESTINATION}, 400, "invalid_field", "name"),
        ({"name": "x" * 201, "url": DESTINATION}, 400, "invalid_field", "name"),
        ({"name": "n"}, 400, "invalid_field", "url"),
        ({"name": "n", "url": "http://example.com/"}, 422, "insecure_url", "url"),
        ({"name": "n", "url": "https://169.254.169.254/"}, 422, "forbidden_destination", "url"),
        ({"name": "n", "url": "nope"}, 400, "invalid_url", "url"),
        ({"name": "n", "url": DESTINATION, "method": "TRACE"}, 400, "invalid_field", "method"),
        ({"name": "n", "url": DESTINATION, "headers": {"Idempotency-Key": "x"}}, 400, "invalid_field",
         "headers.Idempotency-Key"),
        ({"name": "n", "url": DESTINATION, "timeout": "20m"}, 400, "invalid_field", "timeout"),
        ({"name": "n", "url": DESTINATION, "retry_policy": {"tries": 2}}, 400, "unknown_field",
         "retry_policy.tries"),
        ({"name": "n", "url": DESTINATION, "body": "x"}, 400, "unknown_field", "body"),
        ([], 400, "invalid_json", None),
    ],
)
def test_bad_input_gets_the_schedule_error_codes_and_stores_nothing(app, body, status, code, param):
    resp = app.call("POST", "/v1/endpoints", body)
    assert (resp.status, resp.body["error"]["code"], resp.body["error"]["param"]) == (status, code, param)
    assert app.call("GET", "/v1/endpoints").body["data"] == []


@pytest.mark.parametrize(
    "patch, code, param",
    [({"url": None}, "invalid_field", "url"), ({"name": ""}, "invalid_field", "name"),
     ({"headers": {"X-A": 1}}, "invalid_field", "headers.X-A"), ({"colour": "red"}, "unknown_field", "colour"),
     ({"url": "http://example.com"}, "insecure_url", "url")],
)  # fmt: skip
def test_a_bad_patch_changes_nothing(app, patch, code, param):
    endpoint = create_endpoint(app)
    resp = app.call("PATCH", f"/v1/endpoints/{endpoint['id']}", patch)
    assert (resp.body["error"]["code"], resp.body["error"]["param"]) == (code, param)
    assert app.call("GET", f"/v1/endpoints/{endpoint['id']}").body == endpoint


def test_another_projects_profile_is_invisible(app):
    other_key, _ = keys.create_key(app.container.store, "other")
    endpoint = create_endpoint(app)
    for method in ("GET", "PATCH", "DELETE"):
        resp = app.call(method, f"/v1/endpoints/{endpoint['id']}", {"name": "x"}, api_key=other_key)
        assert resp.status == 404, method
    assert app.call("GET", "/v1/endpoints", api_key=other_key).body["data"] == []
    resp = app.call("POST", "/v1/schedules", {"endpoint_id": endpoint["id"], "delay": "1m"}, api_key=other_key)
    assert (resp.status, resp.body["error"]["param"]) == (404, "endpoint_id")


def test_wrong_method_is_405_with_allow(app):
    endpoint = create_endpoint(app)
    resp = app.call("PUT", f"/v1/endpoints/{endpoint['id']}", {"name": "x"})
    assert resp.status == 405 and resp.headers["Allow"] == "DELETE, GET, PATCH"


# --- schedules that use a profile ----------------------------------------------------------------


def test_a_schedule_references_a_profile_and_shows_only_its_own_overrides(app):
    endpoint = create_endpoint(app)
    schedule = schedule_on(app, endpoint["id"], headers={"X-Order": "42"})
    assert schedule["endpoint_id"] == endpoint["id"] and schedule["endpoint"] is None
    # null: taken from the profile at delivery time
    assert (schedule["method"], schedule["retry_policy"], schedule["timeout"]) == (None, None, None)
    assert schedule["header_keys"] == ["X-Order"]


@pytest.mark.parametrize(
    "fields, status, code, param",
    [
        ({"endpoint": DESTINATION, "endpoint_id": "ep_01KAQZ4T5V0000000000000000"}, 400, "invalid_field",
         "endpoint_id"),
        ({"endpoint_id": "ep_01KAQZ4T5V0000000000000000"}, 404, "not_found", "endpoint_id"),
        ({"endpoint_id": "sch_01KAQZ4T5V0000000000000000"}, 404, "not_found", "endpoint_id"),
        ({"endpoint_id": 7}, 400, "invalid_field", "endpoint_id"),
        ({}, 400, "invalid_field", "endpoint"),
    ],
)
def test_a_schedule_needs_exactly_one_existing_destination(app, fields, status, code, param):
    resp = app.call("POST", "/v1/schedules", {"delay": "1m", **fields})
    assert (resp.status, resp.body["error"]["code"], resp.body["error"]["param"]) == (status, code, param)
    assert app.call("GET", "/v1/schedules").body["data"] == [] and app.timers() == {}


def test_delivery_uses_the_profile_with_the_schedules_overrides_on_top(app):
    # Given a profile with a method, headers and a timeout
    endpoint = create_endpoint(app, method="PUT", timeout="5s",
                               headers={"Authorization": "Bearer p", "X-Env": "prod"})  # fmt: skip
    # And a schedule that overrides one header (in another case), the timeout, and adds a query
    schedule = schedule_on(app, endpoint["id"], headers={"x-env": "staging"}, timeout="7s",
                           query={"n": 1}, body={"a": 1})  # fmt: skip

    assert fire(app, schedule) == "succeeded"

    [sent] = app.http.sent
    assert (sent.method, sent.url, sent.timeout) == ("PUT", DESTINATION + "?n=1", 7)
    assert sent.headers["Authorization"] == "Bearer p" and sent.headers["x-env"] == "staging"
    assert "X-Env" not in sent.headers and sent.body == b'{"a":1}'


def test_an_edit_of_the_profile_applies_to_the_next_attempt(app):
    # Given a schedule on a profile whose destination fails once
    app.http.script(DESTINATION, status(503))
    endpoint = create_endpoint(app, headers={"X-Token": "old"})
    schedule = schedule_on(app, endpoint["id"])
    assert fire(app, schedule) == "retrying"

    # When the profile moves to another URL and token before the retry
    app.call("PATCH", f"/v1/endpoints/{endpoint['id']}", {"url": OTHER, "headers": {"X-Token": "new"}})
    app.clock.advance(timedelta(seconds=10))
    assert app.deliver(retry_event(app, schedule, 2)) == "succeeded"

    # Then the retry went to the new destination with the new header
    assert [(r.url, r.headers["X-Token"]) for r in app.http.sent] == [(DESTINATION, "old"), (OTHER, "new")]


def test_the_profiles_retry_policy_applies_unless_the_schedule_sets_one(app):
    app.http.script(DESTINATION, status(500))
    endpoint = create_endpoint(app, retry_policy={"max_attempts": 1})
    assert fire(app, schedule_on(app, endpoint["id"])) == "dead_lettered"
    assert fire(app, schedule_on(app, endpoint["id"], retry_policy={"max_attempts": 2})) == "retrying"


def test_a_profile_in_use_cannot_be_deleted_until_its_schedules_finish(app):
    # Given two schedules on one profile
    endpoint = create_endpoint(app)
    delivered, cancelled = schedule_on(app, endpoint["id"]), schedule_on(app, endpoint["id"])

    # Then deleting it is refused while they are active
    resp = app.call("DELETE", f"/v1/endpoints/{endpoint['id']}")
    assert (resp.status, resp.body["error"]["code"]) == (409, "invalid_state")
    assert "2 active or paused schedule(s)" in resp.body["error"]["message"]

    # When one is delivered and the other cancelled
    assert fire(app, delivered) == "succeeded"
    assert app.call("DELETE", f"/v1/endpoints/{endpoint['id']}").status == 409
    app.call("DELETE", f"/v1/schedules/{cancelled['id']}")
    app.call("DELETE", f"/v1/schedules/{cancelled['id']}")  # idempotent: released once

    # Then the profile can go
    assert app.call("DELETE", f"/v1/endpoints/{endpoint['id']}").status == 200


def test_a_schedule_rolled_back_for_a_scheduler_outage_does_not_hold_its_profile(app):
    class BrokenTimers:
        def put(self, spec):
            raise SchedulerUnavailable()

        def delete(self, name):
            raise SchedulerUnavailable()

    endpoint = create_endpoint(app)
    app.container.timers = BrokenTimers()
    resp = app.call("POST", "/v1/schedules", {"endpoint_id": endpoint["id"], "delay": "1h"})
    assert resp.status == 503
    assert app.call("DELETE", f"/v1/endpoints/{endpoint['id']}").status == 200

