"""Webhooks (`webhook_url`) and callbacks (`callback_url`, `failure_callback_url`), on moto."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from standardwebhooks.webhooks import Webhook

from belltower.domain.errors import SchedulerUnavailable
from belltower.ports import HttpResponse
from belltower.service.events import SETTLE_TIME
from tests.support.app import DESTINATION, app  # noqa: F401  (fixture)
from tests.support.fakes import status

HOOKS = "https://events.example.com/belltower"
CALLBACK = "https://results.example.com/done"
FAILURES = "https://results.example.com/failed"


def schedule_one(app, **fields):
    resp = app.call("POST", "/v1/schedules", {"endpoint": DESTINATION, "delay": "1m", **fields})
    assert resp.status == 201, resp.body
    return resp.body


def fire(app, schedule):
    app.clock.advance(timedelta(seconds=60))
    return app.deliver({"type": "fire", "project_id": app.project["id"], "schedule_id": schedule["id"],
                        "scheduled_for": schedule["fire_at"]})  # fmt: skip


def run_handed_off(app):
    """Run the events delivery handed to itself (as Lambda would), until none are left."""
    outcomes = []
    while app.invoker.events:
        outcomes.append(app.deliver(app.invoker.events.pop(0)))
    return outcomes


def sent_to(app, url):
    return [r for r in app.http.sent if r.url == url]


def occurrence(app, schedule):
    [occ] = app.call("GET", f"/v1/schedules/{schedule['id']}/occurrences").body["data"]
    return occ


def signed_by_project(app, request):
    secret = app.call("GET", "/v1/project").body["signing_secrets"][0]["secret"]
    h = request.headers
    signed_at = datetime.fromtimestamp(int(h["webhook-timestamp"]), tz=timezone.utc)
    return h["webhook-signature"] == Webhook(secret).sign(h["webhook-id"], signed_at, request.body.decode())


def test_the_urls_are_part_of_the_schedule(app):
    schedule = schedule_one(app, webhook_url=HOOKS, callback_url=CALLBACK, failure_callback_url=FAILURES)
    assert (schedule["webhook_url"], schedule["callback_url"], schedule["failure_callback_url"]) == (
        HOOKS, CALLBACK, FAILURES)  # fmt: skip
    assert app.call("GET", f"/v1/schedules/{schedule['id']}").body["callback_url"] == CALLBACK


@pytest.mark.parametrize("field", ["webhook_url", "callback_url", "failure_callback_url"])
@pytest.mark.parametrize(
    "url, status_code, code",
    [("nope", 400, "invalid_url"), ("http://example.com/x", 422, "insecure_url"),
     ("https://10.0.0.1/x", 422, "forbidden_destination"), (7, 400, "invalid_url")],
)  # fmt: skip
def test_the_urls_obey_the_destination_rules(app, field, url, status_code, code):
    resp = app.call("POST", "/v1/schedules", {"endpoint": DESTINATION, "delay": "1m", field: url})
    assert (resp.status, resp.body["error"]["code"], resp.body["error"]["param"]) == (status_code, code, field)


def test_the_webhook_receives_each_lifecycle_event_signed(app):
    # Given a schedule with a webhook
    schedule = schedule_one(app, webhook_url=HOOKS, headers={"X-Secret": "hush"})

    # When it is delivered and the hand-offs run
    assert fire(app, schedule) == "succeeded"
    assert run_handed_off(app) == ["notification_delivered"] * 3

    # Then the webhook got each event of the feed, as JSON, signed with the project's secret
    hooks = sent_to(app, HOOKS)
    app.clock.advance(SETTLE_TIME)
    feed = app.call("GET", "/v1/events").body["data"]
    assert [json.loads(r.body) for r in hooks] == feed
    assert [r.headers["webhook-id"] for r in hooks] == [e["id"] for e in feed]
    for request in hooks:
        assert request.method == "POST" and request.headers["Content-Type"] == "application/json"
        assert request.headers["Belltower-Notification"] == "webhook"
        assert request.headers["Belltower-Schedule-Id"] == schedule["id"]
        assert signed_by_project(app, request) and b"hush" not in request.body


def test_a_success_is_called_back_with_the_result_and_failures_only_go_to_the_failure_url(app):
    app.http.script(DESTINATION, HttpResponse(201, 12, headers={"content-type": "text/plain", "x-request-id": "r1",
                                                                "set-cookie": "sid=1", "x-api-key": "k"},
                                              body_excerpt="created"))  # fmt: skip
    schedule = schedule_one(app, callback_url=CALLBACK, failure_callback_url=FAILURES)

    assert fire(app, schedule) == "succeeded"
    assert occurrence(app, schedule)["callbacks"] == {
        "callback": {"status": "pending", "attempts": 0, "status_code": None, "error": None}}  # fmt: skip
    run_handed_off(app)

    [request] = sent_to(app, CALLBACK)
    assert sent_to(app, FAILURES) == []
    body = json.loads(request.body)
    occ = occurrence(app, schedule)
    assert body["id"] == request.headers["webhook-id"] and body["id"].startswith("msg_")
    assert (body["object"], body["type"]) == ("callback", "occurrence.succeeded")
    data = body["data"]
    assert (data["schedule_id"], data["occurrence_id"], data["state"]) == (schedule["id"], occ["id"], "succeeded")
    assert (data["status_code"], data["body_excerpt"]) == (201, "created")
    assert data["response_headers"] == {"content-type": "text/plain", "x-request-id": "r1"}  # no secrets
    assert [(a["number"], a["status_code"]) for a in data["attempts"]] == [(1, 201)]
    assert signed_by_project(app, request)
    assert occ["callbacks"] == {"callback": {"status": "delivered", "attempts": 1, "status_code": 200, "error": None}}


def test_a_dead_letter_is_called_back_on_both_urls(app):
    app.http.script(DESTINATION, status(404))
    schedule = schedule_one(app, callback_url=CALLBACK, failure_callback_url=FAILURES)
    assert fire(app, schedule) == "dead_lettered"
    run_handed_off(app)
    for url in (CALLBACK, FAILURES):
        [request] = sent_to(app, url)
        body = json.loads(request.body)
        assert body["type"] == "occurrence.dead_lettered" and body["data"]["outcome"] == "non_retryable_status"
    assert set(occurrence(app, schedule)["callbacks"]) == {"callback", "failure_callback"}


def test_an_expired_occurrence_goes_to_the_failure_url(app):
    app.http.script(DESTINATION, status(500))
    schedule = schedule_one(app, ttl="2s", failure_callback_url=FAILURES)
    assert fire(app, schedule) == "expired"
    run_handed_off(app)
    [request] = sent_to(app, FAILURES)
    assert json.loads(request.body)["type"] == "occurrence.expired"


def test_a_failed_callback_is_retried_on_a_one_time_schedule_with_the_same_message_id(app):
    # Given a callback receiver that is down once
    app.http.script(CALLBACK, status(503), status(200))
    schedule = schedule_one(app, callback_url=CALLBACK)
    fire(app, schedule)

    # When the first attempt fails, the next is armed as a one-time schedule
    assert run_handed_off(app) == ["notification_retrying"]
    occ = occurrence(app, schedule)
    assert occ["state"] == "succeeded"  # the occurrence is untouched
    assert occ["callbacks"]["callback"] == {"status": "retrying", "attempts": 1, "status_code": 503, "error": None}
    [name] = [n for n in app.timers() if n.startswith("msg_")]
    retry = json.loads(app.timers()[name]["Target"]["Input"])
    assert (retry["type"], retry["attempt"], name) == ("notify", 2, f"{retry['message_id']}-2")
    assert "2026-11-23T12:01:15" <= app.timers()[name]["ScheduleExpression"][3:-1] <= "2026-11-23T12:01:30"

    # Then the retry delivers it, with the same webhook-id
    app.clock.advance(timedelta(seconds=30))
    assert app.deliver(retry) == "notification_delivered"
    first, second = sent_to(app, CALLBACK)
    assert first.headers["webhook-id"] == second.headers["webhook-id"] and first.body == second.body
    assert second.headers["Belltower-Attempt"] == "2"
    assert occurrence(app, schedule)["callbacks"]["callback"]["status"] == "delivered"


def test_a_callback_that_keeps_failing_gives_up_after_its_attempts_and_one_that_is_refused_at_once(app):
    app.http.script(CALLBACK, status(500))
    app.http.script(FAILURES, status(410))
    app.http.script(DESTINATION, status(404))
    schedule = schedule_one(app, callback_url=CALLBACK, failure_callback_url=FAILURES)
    fire(app, schedule)
    assert sorted(run_handed_off(app)) == ["notification_failed", "notification_retrying"]
    for attempt in range(2, 7):  # the retries of the callback, each on its one-time schedule
        [name] = [n for n in app.timers() if n.startswith("msg_") and n.endswith(f"-{attempt}")]
        app.clock.advance(timedelta(hours=2))
        app.deliver(json.loads(app.timers()[name]["Target"]["Input"]))
    callbacks = occurrence(app, schedule)["callbacks"]
    assert callbacks["callback"] == {"status": "failed", "attempts": 6, "status_code": 500, "error": None}
    assert callbacks["failure_callback"]["status"] == "failed" and callbacks["failure_callback"]["attempts"] == 1
    assert len(sent_to(app, CALLBACK)) == 6 and len(sent_to(app, FAILURES)) == 1
    assert occurrence(app, schedule)["state"] == "dead_lettered"


def test_a_hand_off_that_fails_never_fails_the_occurrence(app):
    class DownInvoker:
        def invoke_delivery(self, event):
            raise SchedulerUnavailable()

    schedule = schedule_one(app, webhook_url=HOOKS, callback_url=CALLBACK)
    app.container.invoker = DownInvoker()
    assert fire(app, schedule) == "succeeded"
    assert app.call("GET", f"/v1/schedules/{schedule['id']}").body["state"] == "completed"
    assert sent_to(app, HOOKS) == [] and sent_to(app, CALLBACK) == []


def test_skipped_and_cancelled_occurrences_are_not_called_back(app):
    schedule = schedule_one(app, callback_url=CALLBACK, failure_callback_url=FAILURES)
    app.clock.advance(timedelta(hours=2))
    app.deliver({"type": "fire", "project_id": app.project["id"], "schedule_id": schedule["id"],
                 "scheduled_for": schedule["fire_at"]})  # fmt: skip
    assert run_handed_off(app) == [] and occurrence(app, schedule)["callbacks"] == {}
