"""Recurring schedules on moto: the EventBridge schedules sent, fix-ups, admission of fires,
bounds, overlap, catch-up, and the preview routes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from tests.support.app import DESTINATION, app  # noqa: F401  (fixture)
from tests.support.fakes import status

UTC = timezone.utc


def create(app, **fields):
    resp = app.call("POST", "/v1/schedules", {"endpoint": DESTINATION, **fields})
    assert resp.status == 201, resp.body
    return resp.body


def fire(app, schedule, at: str):
    return app.deliver({"type": "fire", "project_id": app.project["id"], "schedule_id": schedule["id"],
                        "scheduled_for": at})  # fmt: skip


def at_time(app, iso: str):
    app.clock.current = datetime.fromisoformat(iso.replace("Z", "+00:00"))


def occurrences(app, schedule):
    return app.call("GET", f"/v1/schedules/{schedule['id']}/occurrences").body["data"]


def test_vixie_or_cron_becomes_two_eventbridge_schedules_and_one_occurrence_per_time(app):
    # Given the 1st, the 15th and every Friday at 04:30 UTC
    schedule = create(app, cron="30 4 1,15 * 5")
    assert schedule["kind"] == "recurring" and schedule["cron"] == "30 4 1,15 * 5"
    assert schedule["next_runs"] == ["2026-11-27T04:30:00Z", "2026-12-01T04:30:00Z", "2026-12-04T04:30:00Z",
                                     "2026-12-11T04:30:00Z", "2026-12-15T04:30:00Z"]  # fmt: skip

    # Then EventBridge gets one schedule per day field, with AWS's grammar and the fire-time keyword
    timers = app.timers()
    assert sorted(t["ScheduleExpression"] for t in timers.values()) == ["cron(30 4 1,15 * ? *)",
                                                                        "cron(30 4 ? * FRI *)"]  # fmt: skip
    for name, timer in timers.items():
        assert name.startswith(schedule["id"] + "-r")
        assert timer["ScheduleExpressionTimezone"] == "UTC"
        assert timer["FlexibleTimeWindow"] == {"Mode": "OFF"} and timer["State"] == "ENABLED"
        assert json.loads(timer["Target"]["Input"])["scheduled_for"] == "<aws.scheduler.scheduled-time>"

    # When 2027-01-15 (a Friday) fires from both schedules, one occurrence is delivered
    at_time(app, "2027-01-15T04:30:00Z")
    assert fire(app, schedule, "2027-01-15T04:30:00Z") == "succeeded"
    assert fire(app, schedule, "2027-01-15T04:30:00Z") == "duplicate"
    assert len(app.http.sent) == 1
    assert app.call("GET", f"/v1/schedules/{schedule['id']}").body["run_count"] == 1


def test_a_fire_outside_the_semantics_is_recorded_and_dropped(app):
    # cronie AND: day-of-month */2 restricts together with Monday; EventBridge fires on more days
    schedule = create(app, cron="0 9 */2 * MON")
    [timer] = [t for n, t in app.timers().items() if "-r" in n]
    assert timer["ScheduleExpression"] == "cron(0 9 ? * MON *)"
    at_time(app, "2026-11-30T09:00:00Z")  # a Monday, but the 30th is even
    assert fire(app, schedule, "2026-11-30T09:00:00Z") == "not_due"
    at_time(app, "2026-12-07T09:00:00Z")  # Monday the 7th
    assert fire(app, schedule, "2026-12-07T09:00:00Z") == "succeeded"
    assert [o["scheduled_for"] for o in occurrences(app, schedule)] == ["2026-12-07T09:00:00Z"]


def test_fixed_time_job_in_a_dst_gap_gets_a_one_time_fixup_at_the_end_of_the_gap(app):
    at_time(app, "2027-03-01T00:00:00Z")
    schedule = create(app, cron="30 2 * * *", timezone="America/New_York")
    timers = app.timers()
    [regular] = [t for n, t in timers.items() if "-r" in n]
    assert regular["ScheduleExpression"] == "cron(30 2 * * ? *)"
    assert regular["ScheduleExpressionTimezone"] == "America/New_York"
    gap_end = datetime(2027, 3, 14, 7, 0, tzinfo=UTC)  # 03:00 EDT
    fixup = timers[f"{schedule['id']}-x{int(gap_end.timestamp())}"]
    assert fixup["ScheduleExpression"] == "at(2027-03-14T07:00:00)"
    assert fixup["ScheduleExpressionTimezone"] == "UTC"
    assert json.loads(fixup["Target"]["Input"])["scheduled_for"] == "2027-03-14T07:00:00Z"
    assert "2027-03-14T07:00:00Z" in app.call("GET", f"/v1/schedules/{schedule['id']}/preview",
                                              query={"limit": "20"}).body["runs"][13]["at"]  # fmt: skip
    at_time(app, "2027-03-14T07:00:00Z")
    assert fire(app, schedule, "2027-03-14T07:00:00Z") == "succeeded"


def test_every_whole_minutes_is_a_rate_from_its_anchor(app):
    schedule = create(app, every="2h", start_at="2026-11-23T13:00:00Z")
    [timer] = app.timers().values()
    assert timer["ScheduleExpression"] == "rate(2 hours)"
    assert timer["StartDate"] == datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
    assert schedule["next_runs"][:2] == ["2026-11-23T13:00:00Z", "2026-11-23T15:00:00Z"]
    assert schedule["every"] == "2h"


def test_every_in_seconds_is_a_chain_of_one_time_schedules(app):
    schedule = create(app, every="90s")
    first = datetime(2026, 11, 23, 12, 1, 30, tzinfo=UTC)
    assert list(app.timers()) == [f"{schedule['id']}-c{int(first.timestamp())}"]
    at_time(app, "2026-11-23T12:01:30Z")
    assert fire(app, schedule, "2026-11-23T12:01:30Z") == "succeeded"
    following = datetime(2026, 11, 23, 12, 3, 0, tzinfo=UTC)
    timer = app.timers()[f"{schedule['id']}-c{int(following.timestamp())}"]
    assert timer["ScheduleExpression"] == "at(2026-11-23T12:03:00)"


def test_max_runs_completes_the_schedule_and_removes_its_eventbridge_schedules(app):
    schedule = create(app, cron="0 * * * *", max_runs=2)
    for hour in ("13", "14"):
        at_time(app, f"2026-11-23T{hour}:00:00Z")
        assert fire(app, schedule, f"2026-11-23T{hour}:00:00Z") == "succeeded"
    got = app.call("GET", f"/v1/schedules/{schedule['id']}").body
    assert (got["state"], got["run_count"], got["next_fire_at"], got["next_runs"]) == ("completed", 2, None, [])
    assert app.timers() == {}
    at_time(app, "2026-11-23T15:00:00Z")
    assert fire(app, schedule, "2026-11-23T15:00:00Z") == "dropped_completed"
    assert len(app.http.sent) == 2


def test_end_at_is_inclusive_and_the_sweep_completes_the_schedule(app):
    schedule = create(app, cron="0 * * * *", end_at="2026-11-23T14:00:00Z")
    assert schedule["next_runs"] == ["2026-11-23T13:00:00Z", "2026-11-23T14:00:00Z"]
    end = app.timers()[f"{schedule['id']}-end"]
    assert end["ScheduleExpression"] == "at(2026-11-23T14:01:00)"
    at_time(app, "2026-11-23T14:00:00Z")
    assert fire(app, schedule, "2026-11-23T14:00:00Z") == "succeeded"  # the last run completes it
    assert app.call("GET", f"/v1/schedules/{schedule['id']}").body["state"] == "completed"


def test_sweep_completes_a_schedule_whose_window_closed_without_a_fire(app):
    schedule = create(app, cron="0 0 1 1 *", end_at="2026-12-01T00:00:00Z")
    at_time(app, "2026-12-01T00:01:00Z")
    assert app.deliver({"type": "sweep", "project_id": app.project["id"], "schedule_id": schedule["id"]}) == "completed"
    assert app.call("GET", f"/v1/schedules/{schedule['id']}").body["state"] == "completed"


@pytest.mark.parametrize("overlap, second", [("skip", "skipped"), ("allow", "retrying")])
def test_overlap_decides_whether_a_fire_waits_for_a_retrying_one(app, overlap, second):
    app.http.script(DESTINATION, status(500))
    schedule = create(app, cron="*/5 * * * *", overlap=overlap)
    at_time(app, "2026-11-23T12:05:00Z")
    assert fire(app, schedule, "2026-11-23T12:05:00Z") == "retrying"
    at_time(app, "2026-11-23T12:10:00Z")
    assert fire(app, schedule, "2026-11-23T12:10:00Z") == second
    states = {o["scheduled_for"]: (o["state"], o["outcome"]) for o in occurrences(app, schedule)}
    if overlap == "skip":
        assert states["2026-11-23T12:10:00Z"] == ("skipped", "overlap")
        assert app.call("GET", f"/v1/schedules/{schedule['id']}").body["run_count"] == 1
    else:
        assert states["2026-11-23T12:10:00Z"][0] == "retrying"


def test_a_fire_later_than_the_catch_up_window_is_skipped_and_not_counted(app):
    schedule = create(app, cron="0 13 * * *", max_runs=1)
    at_time(app, "2026-11-23T15:00:00Z")
    assert fire(app, schedule, "2026-11-23T13:00:00Z") == "skipped"
    got = app.call("GET", f"/v1/schedules/{schedule['id']}").body
    assert (got["state"], got["run_count"]) == ("active", 0)
    assert app.http.sent == []


def test_preview_of_a_stored_schedule_and_of_any_timing(app):
    schedule = create(app, cron="30 1 * * *", timezone="America/New_York", max_runs=3)
    resp = app.call("GET", f"/v1/schedules/{schedule['id']}/preview",
                    query={"limit": "5", "start_from": "2027-11-06T00:00:00Z"})  # fmt: skip
    assert resp.status == 200
    assert resp.body["object"] == "preview" and resp.body["timezone"] == "America/New_York"
    # max_runs 3 bounds the preview
    assert resp.body["runs"] == [
        {"at": "2027-11-06T05:30:00Z", "local": "2027-11-06T01:30:00-04:00", "dst": None},
        {"at": "2027-11-07T05:30:00Z", "local": "2027-11-07T01:30:00-04:00", "dst": "repeated_hour"},
        {"at": "2027-11-08T06:30:00Z", "local": "2027-11-08T01:30:00-05:00", "dst": None},
    ]
    wildcard = app.call("POST", "/v1/preview", {"cron": "30 * * * *", "timezone": "America/New_York", "limit": 3,
                                                "start_from": "2027-11-07T05:00:00Z"})  # fmt: skip
    assert wildcard.status == 200
    assert [(r["local"], r["dst"]) for r in wildcard.body["runs"]] == [
        ("2027-11-07T01:30:00-04:00", "repeated_hour"),
        ("2027-11-07T01:30:00-05:00", "repeated_hour"),
        ("2027-11-07T02:30:00-05:00", None),
    ]
    gap = app.call("POST", "/v1/preview", {"local_fire_at": "2027-03-14T02:30", "timezone": "America/New_York"})
    assert gap.body["runs"] == [{"at": "2027-03-14T07:00:00Z", "local": "2027-03-14T03:00:00-04:00",
                                 "dst": "shifted_from_gap"}]  # fmt: skip
    assert app.timers().keys() == {n for n in app.timers()}  # preview created nothing new
    assert len(app.call("GET", "/v1/schedules").body["data"]) == 1


@pytest.mark.parametrize("body, code", [({"cron": "61 * * * *"}, "invalid_cron"), ({"colour": "red"}, "unknown_field"),
                                        ({"cron": "0 * * * *", "limit": 101}, "invalid_field"), ({}, "missing_timing")])
def test_preview_rejects_bad_timing(app, body, code):
    resp = app.call("POST", "/v1/preview", body)
    assert resp.body["error"]["code"] == code
