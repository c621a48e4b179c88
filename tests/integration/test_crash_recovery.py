"""A delivery invocation can die at any step (a crash, a timeout, a throttled write): whatever
replays its event (Lambda's async retry, a duplicate fire, the watch armed at the lease end)
finishes the job, and nothing is lost, stranded or done twice that was recorded once."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from belltower.domain.errors import SchedulerUnavailable
from tests.support.app import DESTINATION, app  # noqa: F401  (fixture)
from tests.support.fakes import status


class Died(Exception):
    """The invocation died here."""


def dies_once(target, name):
    """Replace `target.name` with a version that raises `Died` on its first call."""
    real, calls = getattr(target, name), []

    def wrapper(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise Died(name)
        return real(*args, **kwargs)

    setattr(target, name, wrapper)
    return calls


class DiesAfterSending:
    """The HTTP sender of an invocation that dies after the destination answered."""

    def __init__(self, http, times=1):
        self.http, self.times = http, times

    def send(self, *args, **kwargs):
        response = self.http.send(*args, **kwargs)
        if self.times:
            self.times -= 1
            raise Died("after the send")
        return response


def create(app, **fields):
    resp = app.call("POST", "/v1/schedules", {"endpoint": DESTINATION, **fields})
    assert resp.status == 201, resp.body
    return resp.body


def fire_event(app, schedule, at):
    return {"type": "fire", "project_id": app.project["id"], "schedule_id": schedule["id"], "scheduled_for": at}


def at_time(app, iso):
    app.clock.current = datetime.fromisoformat(iso.replace("Z", "+00:00"))


def get(app, schedule):
    return app.call("GET", f"/v1/schedules/{schedule['id']}").body


def occurrences(app, schedule):
    return app.call("GET", f"/v1/schedules/{schedule['id']}/occurrences").body["data"]


def watches(app):
    return {name: t for name, t in app.timers().items() if "-watch-" in name}


def test_an_attempt_whose_invocation_died_is_taken_over_at_the_lease_end_however_often_it_dies(app):
    schedule = create(app, delay="1m", timeout="10s")
    app.container.http = DiesAfterSending(app.http, times=2)
    at_time(app, schedule["fire_at"])
    with pytest.raises(Died):
        app.deliver(fire_event(app, schedule, schedule["fire_at"]))
    [occ] = occurrences(app, schedule)
    assert occ["state"] == "delivering"

    # Lambda's retries (and a duplicate fire) meet the claim: each returns and leaves one watch at
    # the lease end (claim + 10 s timeout + 60 s grace), instead of failing and using up a retry.
    app.clock.advance(timedelta(seconds=60))
    assert app.deliver(fire_event(app, schedule, schedule["fire_at"])) == "in_flight"
    assert app.deliver(fire_event(app, schedule, schedule["fire_at"])) == "in_flight"
    [(name, watch)] = watches(app).items()
    assert name.startswith(occ["id"] + "-1-watch-")
    assert watch["ScheduleExpression"] == "at(2026-11-23T12:02:10)"
    assert watch["ActionAfterCompletion"] == "DELETE"
    event = json.loads(watch["Target"]["Input"])
    assert event == {"type": "attempt", "project_id": app.project["id"], "schedule_id": schedule["id"],
                     "occurrence_id": occ["id"], "attempt": 1}  # fmt: skip

    # The watch takes the attempt over and dies too; the next replay arms a watch for the new claim
    at_time(app, "2026-11-23T12:02:10Z")
    with pytest.raises(Died):
        app.deliver(event)
    assert app.deliver(event) == "in_flight"
    second = [n for n in watches(app) if n != name]
    assert len(second) == 1 and app.timers()[second[0]]["ScheduleExpression"] == "at(2026-11-23T12:03:20)"

    at_time(app, "2026-11-23T12:03:20Z")
    assert app.deliver(json.loads(app.timers()[second[0]]["Target"]["Input"])) == "succeeded"
    [occ] = occurrences(app, schedule)
    assert occ["state"] == "succeeded"
    assert [a["number"] for a in occ["attempts"]] == [1]  # the attempts that died were not recorded
    assert len(app.http.sent) == 3 and len({r.headers["Idempotency-Key"] for r in app.http.sent}) == 1
    assert (get(app, schedule)["state"], get(app, schedule)["run_count"]) == ("completed", 1)
    # the first watch, firing late, finds nothing to do
    assert app.deliver(event) == "duplicate"
    assert app.dead_letters() == []


def test_a_watch_due_within_seconds_waits_for_the_lease_end_and_takes_over(app):
    schedule = create(app, delay="1m", timeout="1s")
    app.container.http = DiesAfterSending(app.http)
    at_time(app, schedule["fire_at"])
    with pytest.raises(Died):
        app.deliver(fire_event(app, schedule, schedule["fire_at"]))
    app.clock.advance(timedelta(seconds=60))  # the lease ends one second from now
    assert app.deliver(fire_event(app, schedule, schedule["fire_at"])) == "succeeded"
    assert app.clock.now() >= datetime(2026, 11, 23, 12, 2, 1, tzinfo=timezone.utc)
    assert watches(app) == {}


def test_a_one_shot_whose_settlement_died_is_settled_by_the_replay(app):
    schedule = create(app, delay="1m")
    dies_once(app.container.store, "save_schedule")
    at_time(app, schedule["fire_at"])
    with pytest.raises(Died):
        app.deliver(fire_event(app, schedule, schedule["fire_at"]))
    assert [o["state"] for o in occurrences(app, schedule)] == ["succeeded"]
    assert get(app, schedule)["state"] == "active"

    assert app.deliver(fire_event(app, schedule, schedule["fire_at"])) == "settled"
    got = get(app, schedule)
    assert (got["state"], got["run_count"], got["last_fire_at"]) == ("completed", 1, schedule["fire_at"])
    assert len(app.http.sent) == 1
    assert app.deliver(fire_event(app, schedule, schedule["fire_at"])) == "dropped_completed"


def test_the_last_run_counted_before_its_occurrence_existed_is_delivered_by_the_replay(app):
    schedule = create(app, every="1m", max_runs=1)
    dies_once(app.container.store, "create_occurrence")
    at = schedule["next_runs"][0]
    at_time(app, at)
    with pytest.raises(Died):
        app.deliver(fire_event(app, schedule, at))
    got = get(app, schedule)
    assert (got["state"], got["run_count"]) == ("completed", 1)  # counted, and completed by its last run
    assert occurrences(app, schedule) == []

    assert app.deliver(fire_event(app, schedule, at)) == "succeeded"
    assert [(o["scheduled_for"], o["state"]) for o in occurrences(app, schedule)] == [(at, "succeeded")]
    assert len(app.http.sent) == 1
    assert app.deliver(fire_event(app, schedule, at)) == "duplicate"


def test_the_last_run_whose_delivery_died_is_taken_over(app):
    schedule = create(app, every="1m", max_runs=1, timeout="10s")
    app.container.http = DiesAfterSending(app.http)
    at = schedule["next_runs"][0]
    at_time(app, at)
    with pytest.raises(Died):
        app.deliver(fire_event(app, schedule, at))
    assert get(app, schedule)["state"] == "completed"

    assert app.deliver(fire_event(app, schedule, at)) == "in_flight"
    [watch] = watches(app).values()
    app.clock.advance(timedelta(seconds=70))
    assert app.deliver(json.loads(watch["Target"]["Input"])) == "succeeded"
    assert [o["state"] for o in occurrences(app, schedule)] == ["succeeded"]


def test_a_skipped_fire_replayed_after_a_crash_stays_skipped(app):
    app.http.script(DESTINATION, status(503))
    schedule = create(app, every="1m", overlap="skip")
    first, second = schedule["next_runs"][:2]
    at_time(app, first)
    assert app.deliver(fire_event(app, schedule, first)) == "retrying"
    dies_once(app.container.store, "create_occurrence")
    at_time(app, second)
    with pytest.raises(Died):
        app.deliver(fire_event(app, schedule, second))  # decided "skip", died before recording it
    assert app.deliver(fire_event(app, schedule, second)) == "skipped"
    assert [(o["scheduled_for"], o["state"]) for o in occurrences(app, schedule)] == [
        (second, "skipped"), (first, "retrying")]  # fmt: skip
    assert get(app, schedule)["run_count"] == 1
    assert len(app.http.sent) == 1


def test_a_fire_of_a_finished_recurring_schedule_removes_timers_left_behind(app):
    schedule = create(app, every="1m", max_runs=1)
    dies_once(app.container.timers, "delete")  # the wind-down died before removing the timers
    at = schedule["next_runs"][0]
    at_time(app, at)
    with pytest.raises(Died):
        app.deliver(fire_event(app, schedule, at))
    assert [n for n in app.timers() if n.startswith(schedule["id"])]
    assert app.deliver(fire_event(app, schedule, at)) == "succeeded"  # the counted run is delivered

    at_time(app, "2026-11-23T12:05:00Z")
    assert app.deliver(fire_event(app, schedule, "2026-11-23T12:05:00Z")) == "dropped_completed"
    assert [n for n in app.timers() if n.startswith(schedule["id"])] == []


def test_a_create_whose_timer_failed_is_undone_even_when_the_undo_is_throttled(app):
    def no_scheduler(spec):
        raise SchedulerUnavailable()

    app.container.timers.put = no_scheduler
    store, deletes = app.container.store, []
    real_delete = store.delete_schedule

    def throttled_twice(*args, **kwargs):
        deletes.append(args)
        if len(deletes) <= 2:
            raise Died("ProvisionedThroughputExceededException")
        return real_delete(*args, **kwargs)

    store.delete_schedule = throttled_twice
    resp = app.call("POST", "/v1/schedules", {"endpoint": DESTINATION, "delay": "10m", "name": "once"})
    assert resp.status == 503 and resp.body["error"]["code"] == "scheduler_unavailable"
    assert resp.headers["Retry-After"]
    assert len(deletes) == 3
    assert app.call("GET", "/v1/schedules").body["data"] == []
