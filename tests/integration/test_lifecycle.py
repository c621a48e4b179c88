"""Pause, resume, trigger, replay and dead letters, through the handlers on moto."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from tests.support.app import DESTINATION, app  # noqa: F401  (fixture)
from tests.support.fakes import status


def create(app, **fields):
    resp = app.call("POST", "/v1/schedules", {"endpoint": DESTINATION, **fields})
    assert resp.status == 201, resp.body
    return resp.body


def post(app, path, body=None):
    return app.call("POST", path, body)


def deliver_invoked(app):
    """Run what the API handed to the delivery function directly (Lambda async invoke)."""
    outcomes = [app.deliver(event) for event in app.invoker.events]
    app.invoker.events.clear()
    return outcomes


def occurrences(app, schedule):
    return app.call("GET", f"/v1/schedules/{schedule['id']}/occurrences").body["data"]


def test_pause_disables_every_eventbridge_schedule_and_resume_enables_them(app):
    schedule = create(app, cron="30 4 1,15 * 5")
    paused = post(app, f"/v1/schedules/{schedule['id']}/pause")
    assert paused.status == 200 and paused.body["state"] == "paused"
    assert paused.body["next_runs"] == []
    timers = app.timers()
    assert len(timers) == 2 and {t["State"] for t in timers.values()} == {"DISABLED"}
    # a full definition was sent: nothing reset to defaults
    for timer in timers.values():
        assert timer["FlexibleTimeWindow"] == {"Mode": "OFF"} and timer["ActionAfterCompletion"] == "DELETE"
        assert timer["Target"]["DeadLetterConfig"]["Arn"] == app.container.settings.dlq_arn

    # a fire already on its way while paused is dropped
    assert app.deliver({"type": "fire", "project_id": app.project["id"], "schedule_id": schedule["id"],
                        "scheduled_for": "2026-11-27T04:30:00Z"}) == "dropped_paused"  # fmt: skip

    resumed = post(app, f"/v1/schedules/{schedule['id']}/resume")
    assert resumed.body["state"] == "active" and len(resumed.body["next_runs"]) == 5
    assert {t["State"] for t in app.timers().values()} == {"ENABLED"}


@pytest.mark.parametrize("action, from_state", [("pause", "cancelled"), ("resume", "cancelled"),
                                                ("trigger", "cancelled")])  # fmt: skip
def test_invalid_transitions_are_409_invalid_state(app, action, from_state):
    schedule = create(app, delay="1h")
    app.call("DELETE", f"/v1/schedules/{schedule['id']}")
    resp = post(app, f"/v1/schedules/{schedule['id']}/{action}")
    assert resp.status == 409 and resp.body["error"]["code"] == "invalid_state"


def test_pause_and_resume_are_idempotent(app):
    schedule = create(app, delay="1h")
    assert post(app, f"/v1/schedules/{schedule['id']}/resume").body["state"] == "active"
    post(app, f"/v1/schedules/{schedule['id']}/pause")
    assert post(app, f"/v1/schedules/{schedule['id']}/pause").body["state"] == "paused"


def test_a_one_shot_whose_time_passed_while_paused_fires_once_on_resume(app):
    schedule = create(app, delay="1m")
    post(app, f"/v1/schedules/{schedule['id']}/pause")
    assert app.timers()[schedule["id"]]["State"] == "DISABLED"
    app.clock.advance(timedelta(hours=3))  # far beyond the catch-up window
    post(app, f"/v1/schedules/{schedule['id']}/resume")
    assert deliver_invoked(app) == ["succeeded"]
    assert len(app.http.sent) == 1
    assert app.call("GET", f"/v1/schedules/{schedule['id']}").body["state"] == "completed"


def test_resume_after_the_ttl_passed_ends_the_occurrence_expired_without_sending(app):
    schedule = create(app, delay="1m", ttl="10m")
    post(app, f"/v1/schedules/{schedule['id']}/pause")
    app.clock.advance(timedelta(hours=1))
    post(app, f"/v1/schedules/{schedule['id']}/resume")
    assert deliver_invoked(app) == ["expired"]
    assert app.http.sent == []
    [occ] = occurrences(app, schedule)
    assert occ["state"] == "expired"


def test_trigger_fires_one_occurrence_now_outside_the_timing(app):
    schedule = create(app, cron="0 9 * * *", max_runs=1)
    resp = post(app, f"/v1/schedules/{schedule['id']}/trigger")
    assert resp.status == 201
    occ = resp.body
    assert occ["object"] == "occurrence" and occ["state"] == "scheduled" and occ["origin"] == "trigger"
    assert occ["scheduled_for"] == "2026-11-23T12:00:00Z"
    assert deliver_invoked(app) == ["succeeded"]
    got = app.call("GET", f"/v1/schedules/{schedule['id']}").body
    assert (got["state"], got["run_count"]) == ("active", 0)  # outside the timing: not a run
    assert app.http.sent[0].headers["Idempotency-Key"] == occ["id"]


def test_trigger_does_not_complete_a_one_shot(app):
    schedule = create(app, delay="1h")
    post(app, f"/v1/schedules/{schedule['id']}/trigger")
    deliver_invoked(app)
    assert app.call("GET", f"/v1/schedules/{schedule['id']}").body["state"] == "active"


def test_replay_redelivers_a_finished_occurrence_and_a_replay_can_be_replayed(app):
    app.http.script(DESTINATION, status(404), status(200))
    schedule = create(app, delay="1m")
    app.clock.advance(timedelta(minutes=1))
    app.deliver({"type": "fire", "project_id": app.project["id"], "schedule_id": schedule["id"],
                 "scheduled_for": schedule["fire_at"]})  # fmt: skip
    [original] = occurrences(app, schedule)
    assert original["state"] == "dead_lettered"

    replay = post(app, f"/v1/occurrences/{original['id']}/replay")
    assert replay.status == 201 and replay.body["replay_of"] == original["id"]
    assert deliver_invoked(app) == ["succeeded"]
    assert app.call("GET", f"/v1/occurrences/{original['id']}").body["replayed_by"] == replay.body["id"]

    again = post(app, f"/v1/occurrences/{replay.body['id']}/replay")
    assert again.status == 201 and again.body["replay_of"] == replay.body["id"]
    assert deliver_invoked(app) == ["succeeded"]
    keys = [r.headers["Idempotency-Key"] for r in app.http.sent]
    assert len(set(keys)) == 3  # each replay is a new occurrence


def test_only_a_finished_occurrence_can_be_replayed(app):
    app.http.script(DESTINATION, status(500))
    schedule = create(app, delay="1m")
    app.clock.advance(timedelta(minutes=1))
    app.deliver({"type": "fire", "project_id": app.project["id"], "schedule_id": schedule["id"],
                 "scheduled_for": schedule["fire_at"]})  # fmt: skip
    [occ] = occurrences(app, schedule)
    resp = post(app, f"/v1/occurrences/{occ['id']}/replay")
    assert resp.status == 409 and resp.body["error"]["code"] == "invalid_state"
    assert post(app, "/v1/occurrences/occ_01ZZZZZZZZZZZZZZZZZZZZZZZZ/replay").status == 404


def test_dead_letters_are_listed_and_replayed_in_bulk(app):
    app.http.script(DESTINATION, status(400), status(400), status(200))
    schedules = [create(app, delay="1m") for _ in range(2)]
    app.clock.advance(timedelta(minutes=1))
    for schedule in schedules:
        app.deliver({"type": "fire", "project_id": app.project["id"], "schedule_id": schedule["id"],
                     "scheduled_for": schedule["fire_at"]})  # fmt: skip
    listed = app.call("GET", "/v1/dead-letters").body
    assert listed["object"] == "list" and len(listed["data"]) == 2
    assert {o["state"] for o in listed["data"]} == {"dead_lettered"}

    replayed = post(app, "/v1/dead-letters/replay", {})
    assert replayed.status == 200 and len(replayed.body["data"]) == 2
    assert deliver_invoked(app) == ["succeeded", "succeeded"]
    # a second "replay all" finds nothing left to replay
    assert post(app, "/v1/dead-letters/replay", {}).body["data"] == []
    by_id = post(app, "/v1/dead-letters/replay", {"ids": [listed["data"][0]["id"]]})
    assert len(by_id.body["data"]) == 1
    assert post(app, "/v1/dead-letters/replay", {"ids": "all"}).status == 400


def test_a_retry_in_flight_when_the_schedule_is_paused_still_finishes(app):
    app.http.script(DESTINATION, status(500), status(200))
    schedule = create(app, delay="1m")
    app.clock.advance(timedelta(minutes=1))
    app.deliver({"type": "fire", "project_id": app.project["id"], "schedule_id": schedule["id"],
                 "scheduled_for": schedule["fire_at"]})  # fmt: skip
    [occ] = occurrences(app, schedule)
    post(app, f"/v1/schedules/{schedule['id']}/pause")
    app.clock.advance(timedelta(seconds=10))
    retry = json.loads(app.timers()[f"{occ['id']}-2"]["Target"]["Input"])
    assert app.deliver(retry) == "succeeded"
    # the occurrence finished while paused: the one-shot is complete, and resume has nothing to do
    assert app.call("GET", f"/v1/schedules/{schedule['id']}").body["state"] == "completed"
    assert post(app, f"/v1/schedules/{schedule['id']}/resume").status == 409


def test_pausing_a_chain_then_resuming_rearms_the_next_link(app):
    schedule = create(app, every="90s")
    post(app, f"/v1/schedules/{schedule['id']}/pause")
    app.clock.advance(timedelta(minutes=10))
    post(app, f"/v1/schedules/{schedule['id']}/resume")
    upcoming = app.call("GET", f"/v1/schedules/{schedule['id']}").body["next_fire_at"]
    at = datetime.fromisoformat(upcoming.replace("Z", "+00:00"))
    assert f"{schedule['id']}-c{int(at.timestamp())}" in app.timers()
    assert at > app.clock.now() and at - app.clock.now() <= timedelta(seconds=90)
