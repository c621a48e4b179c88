"""PATCH /v1/schedules/{id}: edits apply to future occurrences; EventBridge gets full new definitions."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest

from tests.support.app import DESTINATION, app  # noqa: F401  (fixture)


def create(app, **fields):
    resp = app.call("POST", "/v1/schedules", {"endpoint": DESTINATION, **fields})
    assert resp.status == 201, resp.body
    return resp.body


def patch(app, schedule, body):
    return app.call("PATCH", f"/v1/schedules/{schedule['id']}", body)


def test_moving_a_one_shot_replaces_its_timer_and_keeps_the_id(app):
    schedule = create(app, delay="1h", name="report")
    resp = patch(app, schedule, {"fire_at": "2026-11-24T08:00:00+01:00"})
    assert resp.status == 200
    got = resp.body
    assert (got["id"], got["name"], got["fire_at"]) == (schedule["id"], "report", "2026-11-24T07:00:00Z")
    [(name, timer)] = app.timers().items()
    assert name == f"{schedule['id']}-g1"
    assert timer["ScheduleExpression"] == "at(2026-11-24T07:00:00)"
    assert json.loads(timer["Target"]["Input"])["scheduled_for"] == "2026-11-24T07:00:00Z"
    # the old time, if its timer still fired, is dropped
    assert app.deliver({"type": "fire", "project_id": app.project["id"], "schedule_id": schedule["id"],
                        "scheduled_for": schedule["fire_at"]}) == "dropped_stale_fire"  # fmt: skip


def test_changing_only_the_request_keeps_the_timers(app):
    schedule = create(app, cron="0 9 * * MON", timezone="Europe/Paris")
    before = app.timers()
    resp = patch(app, schedule, {"headers": {"X-New": "secret-value"}, "body": {"v": 2}, "method": "PUT",
                                 "retry_policy": {"max_attempts": 3}})  # fmt: skip
    assert resp.status == 200
    assert resp.body["header_keys"] == ["X-New"] and "secret-value" not in json.dumps(resp.body)
    assert resp.body["retry_policy"]["max_attempts"] == 3 and resp.body["cron"] == "0 9 * * MON"
    assert app.timers().keys() == before.keys()
    app.clock.advance(timedelta(days=7))
    at = resp.body["next_runs"][0]
    app.clock.current = app.clock.current.fromisoformat(at.replace("Z", "+00:00"))
    assert app.deliver({"type": "fire", "project_id": app.project["id"], "schedule_id": schedule["id"],
                        "scheduled_for": at}) == "succeeded"  # fmt: skip
    sent = app.http.sent[-1]
    assert (sent.method, sent.body, sent.headers["X-New"]) == ("PUT", b'{"v":2}', "secret-value")


def test_patching_a_recurring_schedules_zone_replans_it_in_the_new_zone(app):
    schedule = create(app, cron="30 8 * * *", timezone="America/New_York")
    resp = patch(app, schedule, {"timezone": "Asia/Tokyo"})
    assert resp.status == 200 and resp.body["timezone"] == "Asia/Tokyo" and resp.body["cron"] == "30 8 * * *"
    assert resp.body["next_runs"][0] == "2026-11-23T23:30:00Z"  # 08:30 JST
    [(name, timer)] = app.timers().items()
    assert name == f"{schedule['id']}-g1-r0"
    assert (timer["ScheduleExpression"], timer["ScheduleExpressionTimezone"]) == ("cron(30 8 * * ? *)", "Asia/Tokyo")
    # a fire of the old plan is not due any more
    assert app.deliver({"type": "fire", "project_id": app.project["id"], "schedule_id": schedule["id"],
                        "scheduled_for": "2026-11-23T13:30:00Z"}) == "not_due"  # fmt: skip


def test_a_one_shot_can_become_recurring_and_back(app):
    schedule = create(app, delay="1h")
    recurring = patch(app, schedule, {"every": "1h", "max_runs": 3}).body
    assert (recurring["kind"], recurring["every"], recurring["max_runs"], recurring["fire_at"]) == (
        "recurring", "1h", 3, None)
    assert [t["ScheduleExpression"] for t in app.timers().values()] == ["rate(1 hour)"]
    one_shot = patch(app, schedule, {"delay": "2h"}).body
    assert (one_shot["kind"], one_shot["every"], one_shot["max_runs"]) == ("one_shot", None, None)
    assert [t["ScheduleExpression"] for t in app.timers().values()] == ["at(2026-11-23T14:00:00)"]


def test_every_keeps_its_grid_when_other_timing_fields_change(app):
    schedule = create(app, every="1h")
    assert schedule["next_runs"][0] == "2026-11-23T13:00:00Z"
    resp = patch(app, schedule, {"end_at": "2026-11-24T00:00:00Z"})
    assert resp.body["next_runs"][0] == "2026-11-23T13:00:00Z"


@pytest.mark.parametrize("body, status, code", [
    ({}, 400, "invalid_field"),
    ({"colour": "red"}, 400, "unknown_field"),
    ({"endpoint": "http://example.com"}, 422, "insecure_url"),
    ({"fire_at": "2020-01-01T00:00:00Z"}, 422, "fire_at_in_past"),
    ({"max_runs": 2}, 400, "invalid_field"),
    ({"cron": "nope"}, 400, "invalid_cron"),
    ({"delay": "1m", "cron": "0 * * * *"}, 400, "multiple_timing"),
])  # fmt: skip
def test_a_bad_patch_is_refused_and_changes_nothing(app, body, status, code):
    schedule = create(app, delay="1h", name="keep")
    before = app.timers()
    resp = patch(app, schedule, body)
    assert (resp.status, resp.body["error"]["code"]) == (status, code)
    after = app.call("GET", f"/v1/schedules/{schedule['id']}").body
    assert after == schedule | {"next_fire_at": after["next_fire_at"], "next_runs": after["next_runs"]}
    assert app.timers() == before


def test_a_finished_schedule_cannot_be_edited(app):
    schedule = create(app, delay="1h")
    app.call("DELETE", f"/v1/schedules/{schedule['id']}")
    resp = patch(app, schedule, {"name": "x"})
    assert (resp.status, resp.body["error"]["code"]) == (409, "invalid_state")


def test_concurrent_patches_all_apply_and_leave_one_set_of_timers(app):
    # Concurrent requests run in separate Lambda environments: call the use case from threads
    # (the handler itself, like Lambda, serves one event at a time).
    from belltower.service.schedules import update_schedule

    schedule = create(app, delay="1h")
    results = []

    def run(body):
        results.append(update_schedule(app.container, app.project, schedule["id"], body).id)

    threads = [threading.Thread(target=run, args=({"name": f"n{i}", "delay": f"{i + 2}h"},)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [schedule["id"]] * 4
    got = app.call("GET", f"/v1/schedules/{schedule['id']}").body
    timers = app.timers()
    assert len(timers) == 1
    [timer] = timers.values()
    assert timer["ScheduleExpression"] == f"at({got['fire_at'][:-1]})"


def test_switching_endpoint_profiles_moves_the_in_use_count(app):
    first = app.call("POST", "/v1/endpoints", {"name": "a", "url": DESTINATION}).body
    second = app.call("POST", "/v1/endpoints", {"name": "b", "url": DESTINATION + "/b"}).body
    resp = app.call("POST", "/v1/schedules", {"endpoint_id": first["id"], "delay": "1h"})
    assert resp.status == 201
    schedule = resp.body
    assert app.call("DELETE", f"/v1/endpoints/{first['id']}").status == 409

    moved = patch(app, schedule, {"endpoint_id": second["id"]})
    assert moved.status == 200 and moved.body["endpoint_id"] == second["id"]
    assert app.call("DELETE", f"/v1/endpoints/{second['id']}").status == 409
    assert app.call("DELETE", f"/v1/endpoints/{first['id']}").status in (200, 204)

    # a plain URL releases the profile; an unknown profile is a 404 and changes nothing
    assert patch(app, schedule, {"endpoint_id": "ep_01ZZZZZZZZZZZZZZZZZZZZZZZZ"}).status == 404
    assert patch(app, schedule, {"endpoint": DESTINATION}).status == 200
    assert app.call("DELETE", f"/v1/endpoints/{second['id']}").status in (200, 204)
