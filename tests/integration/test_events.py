"""The lifecycle event feed (`GET /v1/events`), emitted by delivery, on moto."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest

from bench.aws_calls import item_size
from belltower.service import keys
from belltower.service.events import SETTLE_TIME
from tests.support.app import DESTINATION, app  # noqa: F401  (fixture)
from tests.support.fakes import status


def schedule_one(app, **fields):
    resp = app.call("POST", "/v1/schedules", {"endpoint": DESTINATION, "delay": "1m", **fields})
    assert resp.status == 201, resp.body
    return resp.body


def fire(app, schedule):
    app.clock.advance(timedelta(seconds=60))
    return app.deliver({"type": "fire", "project_id": app.project["id"], "schedule_id": schedule["id"],
                        "scheduled_for": schedule["fire_at"]})  # fmt: skip


def retry(app, schedule, attempt):
    [occ] = app.call("GET", f"/v1/schedules/{schedule['id']}/occurrences").body["data"]
    app.clock.advance(timedelta(minutes=5))
    return app.deliver({"type": "attempt", "project_id": app.project["id"], "schedule_id": schedule["id"],
                        "occurrence_id": occ["id"], "attempt": attempt})  # fmt: skip


def feed(app, **query):
    app.clock.advance(SETTLE_TIME)
    resp = app.call("GET", "/v1/events", query=query or None)
    assert resp.status == 200, resp.body
    return resp.body


def types(page):
    return [e["type"] for e in page["data"]]


def test_a_delivered_one_shot_tells_started_succeeded_and_completed_in_order(app):
    # Given a schedule that is delivered at the first attempt
    schedule = schedule_one(app)
    assert fire(app, schedule) == "succeeded"

    # Then the feed has its three events, oldest first, in the standard list shape
    page = feed(app)
    assert (page["object"], page["has_more"], page["next_cursor"]) == ("list", False, None)
    assert types(page) == ["occurrence.started", "occurrence.succeeded", "schedule.completed"]
    started, succeeded, completed = page["data"]
    assert started["id"].startswith("evt_") and started["object"] == "event"
    assert started["id"] < succeeded["id"] < completed["id"]
    assert started["created_at"] == "2026-11-23T12:01:00Z"
    [occ] = app.call("GET", f"/v1/schedules/{schedule['id']}/occurrences").body["data"]
    assert succeeded["data"] == {"schedule_id": schedule["id"], "occurrence_id": occ["id"],
                                 "scheduled_for": "2026-11-23T12:01:00Z", "state": "succeeded", "attempt": 1,
                                 "status_code": 200, "error": None, "next_attempt_at": None,
                                 "outcome": None}  # fmt: skip
    assert started["data"]["state"] == "delivering" and started["data"]["status_code"] is None
    assert completed["data"] == {"schedule_id": schedule["id"], "state": "completed", "run_count": 1,
                                 "last_fire_at": "2026-11-23T12:01:00Z"}  # fmt: skip


def test_failures_tell_each_retry_then_the_dead_letter(app):
    app.http.script(DESTINATION, status(500), status(503))
    schedule = schedule_one(app, retry_policy={"max_attempts": 2})
    assert fire(app, schedule) == "retrying"
    assert retry(app, schedule, 2) == "dead_lettered"

    page = feed(app)
    assert types(page) == ["occurrence.started", "occurrence.retrying", "occurrence.dead_lettered",
                           "schedule.completed"]  # fmt: skip
    retrying, dead = page["data"][1]["data"], page["data"][2]["data"]
    assert (retrying["attempt"], retrying["status_code"], retrying["state"]) == (1, 500, "retrying")
    assert retrying["next_attempt_at"] is not None
    assert (dead["attempt"], dead["status_code"], dead["outcome"]) == (2, 503, "attempts_exhausted")


def test_an_occurrence_past_its_ttl_tells_expired(app):
    app.http.script(DESTINATION, status(500))
    assert fire(app, schedule_one(app, ttl="2s")) == "expired"
    assert types(feed(app)) == ["occurrence.started", "occurrence.expired", "schedule.completed"]


def test_a_skipped_fire_and_a_cancelled_schedule_tell_no_occurrence_event(app):
    skipped = schedule_one(app)
    app.clock.advance(timedelta(hours=2))
    app.deliver({"type": "fire", "project_id": app.project["id"], "schedule_id": skipped["id"],
                 "scheduled_for": skipped["fire_at"]})  # fmt: skip
    app.call("DELETE", f"/v1/schedules/{schedule_one(app)['id']}")
    assert types(feed(app)) == ["schedule.completed"]


def test_an_event_appears_only_after_the_settle_time(app):
    fire(app, schedule_one(app))
    assert app.call("GET", "/v1/events").body["data"] == []
    app.clock.advance(SETTLE_TIME - timedelta(milliseconds=1))
    assert app.call("GET", "/v1/events").body["data"] == []
    app.clock.advance(timedelta(milliseconds=1))
    assert len(app.call("GET", "/v1/events").body["data"]) == 3


def test_a_consumer_tails_the_feed_with_after(app):
    # Given six events
    for _ in range(2):
        fire(app, schedule_one(app))
    everything = [e["id"] for e in feed(app)["data"]]
    assert len(everything) == 6

    # When a consumer reads two at a time, passing the last id it saw
    first = feed(app, limit="2")
    assert first["has_more"] is True and first["next_cursor"] == first["data"][-1]["id"]
    second = feed(app, limit="2", after=first["next_cursor"])
    third = feed(app, limit="2", cursor=second["next_cursor"])  # `cursor` is the same thing

    # Then it sees every event once, in order, and then nothing new
    assert [e["id"] for e in first["data"] + second["data"] + third["data"]] == everything
    assert third["has_more"] is False and third["next_cursor"] is None
    assert feed(app, after=everything[-1])["data"] == []

    # And a new event shows up after the last id it saw
    fire(app, schedule_one(app))
    assert types(feed(app, after=everything[-1]))[0] == "occurrence.started"


@pytest.mark.parametrize(
    "query, param",
    [({"after": "sch_01KAQZ4T5V0000000000000000"}, "after"), ({"after": "x"}, "after"),
     ({"limit": "0"}, "limit"), ({"limit": "101"}, "limit"), ({"limit": "²"}, "limit"),
     ({"after": "evt_01KAQZ4T5V0000000000000000", "cursor": "evt_01KAQZ4T5V0000000000000001"}, "cursor")],
)  # fmt: skip
def test_bad_feed_parameters_are_400(app, query, param):
    resp = app.call("GET", "/v1/events", query=query)
    assert (resp.status, resp.body["error"]["code"], resp.body["error"]["param"]) == (400, "invalid_field", param)


def test_each_project_sees_only_its_own_events(app):
    other_key, _ = keys.create_key(app.container.store, "other")
    fire(app, schedule_one(app))
    app.clock.advance(SETTLE_TIME)
    assert app.call("GET", "/v1/events", api_key=other_key).body["data"] == []


def test_a_failure_to_record_an_event_does_not_fail_the_delivery(app):
    def unavailable(events, expires_at):
        raise ConnectionError("DynamoDB unreachable")

    app.container.store.put_events = unavailable
    schedule = schedule_one(app)
    assert fire(app, schedule) == "succeeded"
    assert app.call("GET", f"/v1/schedules/{schedule['id']}").body["state"] == "completed"


def test_an_outcome_and_the_completion_it_causes_share_one_item_and_page_one_event_at_a_time(app):
    # Given a one-shot delivered at once: its outcome and its completion are written together
    schedule = schedule_one(app)
    fire(app, schedule)
    table = boto3.resource("dynamodb").Table(app.container.settings.table_name)
    items = [i for i in table.scan()["Items"] if i["pk"].endswith("#events")]
    assert sorted(len(json.loads(i["doc"])) for i in items) == [1, 2]
    assert all(item_size(i) <= 1024 for i in items)  # one write unit each

    # Then a reader paging one event at a time sees each once, in order, across the shared item
    seen, cursor = [], None
    for _ in range(5):
        page = feed(app, limit="1", **({"after": cursor} if cursor else {}))
        seen += page["data"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert [e["type"] for e in seen] == ["occurrence.started", "occurrence.succeeded", "schedule.completed"]
    assert feed(app, after=seen[1]["id"])["data"] == seen[2:]
    assert feed(app, after=seen[2]["id"])["data"] == []
