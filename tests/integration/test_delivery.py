"""The delivery function on moto: exactly one occurrence per fire, retries, dead letters, expiry."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from standardwebhooks.webhooks import Webhook

from tests.support.app import DESTINATION, START, app  # noqa: F401  (fixture)
from tests.support.fakes import status


def schedule_one(app, **fields):
    resp = app.call("POST", "/v1/schedules", {"endpoint": DESTINATION, "delay": "1m", **fields})
    assert resp.status == 201, resp.body
    return resp.body


def fire(app, schedule):
    return {"type": "fire", "project_id": app.project["id"], "schedule_id": schedule["id"],
            "scheduled_for": schedule["fire_at"]}  # fmt: skip


def at_fire_time(app, schedule):
    app.clock.advance(timedelta(seconds=60))
    return app.deliver(fire(app, schedule))


def occurrences(app, schedule):
    return app.call("GET", f"/v1/schedules/{schedule['id']}/occurrences").body["data"]


def test_success_sends_the_scheduled_request_signed_and_records_it(app):
    schedule = schedule_one(app, body={"hello": "world"}, headers={"X-Token": "t0k3n"}, query={"a": 1},
                            method="PUT")  # fmt: skip
    assert at_fire_time(app, schedule) == "succeeded"

    [sent] = app.http.sent
    assert sent.method == "PUT"
    assert sent.url == DESTINATION + "?a=1"
    assert sent.body == b'{"hello":"world"}'
    assert sent.timeout == 30
    [occ] = occurrences(app, schedule)
    h = sent.headers
    assert h["Content-Type"] == "application/json"
    assert h["X-Token"] == "t0k3n"
    assert h["Idempotency-Key"] == occ["id"]
    assert h["User-Agent"].startswith("Belltower/")
    assert h["Belltower-Schedule-Id"] == schedule["id"]
    assert h["Belltower-Scheduled-For"] == "2026-11-23T12:01:00Z"
    assert h["Belltower-Attempt"] == "1"
    # The Standard Webhooks library computes the same signature with the project's secret
    # (its verify() also checks the timestamp against the wall clock; the e2e tests do that).
    secret = app.call("GET", "/v1/project").body["signing_secrets"][0]["secret"]
    assert h["webhook-id"] == occ["id"] and h["webhook-timestamp"] == str(int(START.timestamp()) + 60)
    signed_at = datetime.fromtimestamp(int(h["webhook-timestamp"]), tz=timezone.utc)
    assert h["webhook-signature"] == Webhook(secret).sign(occ["id"], signed_at, sent.body.decode())

    assert occ["state"] == "succeeded" and occ["scheduled_for"] == "2026-11-23T12:01:00Z"
    assert [(a["number"], a["status_code"]) for a in occ["attempts"]] == [(1, 200)]
    assert occ["attempts"][0]["duration_ms"] == 7 or occ["attempts"][0]["duration_ms"] >= 0
    got = app.call("GET", f"/v1/schedules/{schedule['id']}").body
    assert (got["state"], got["run_count"], got["last_fire_at"]) == ("completed", 1, "2026-11-23T12:01:00Z")
    assert app.call("GET", f"/v1/occurrences/{occ['id']}").body == occ


def test_a_duplicate_fire_makes_no_second_occurrence_or_request(app):
    schedule = schedule_one(app)
    assert at_fire_time(app, schedule) == "succeeded"
    assert app.deliver(fire(app, schedule)) in ("duplicate", "dropped_completed")
    assert len(app.http.sent) == 1
    assert len(occurrences(app, schedule)) == 1


def test_a_5xx_is_retried_on_a_one_time_schedule_then_succeeds(app):
    app.http.script(DESTINATION, status(500), status(200))
    schedule = schedule_one(app)
    assert at_fire_time(app, schedule) == "retrying"

    [occ] = occurrences(app, schedule)
    assert occ["state"] == "retrying"
    next_at = occ["next_attempt_at"]
    # exponential from 5s with equal jitter: between 2.5 s and 5 s after the failure
    timer = app.timers()[f"{occ['id']}-2"]
    assert json.loads(timer["Target"]["Input"]) == {"type": "attempt", "project_id": app.project["id"],
                                                    "schedule_id": schedule["id"], "occurrence_id": occ["id"],
                                                    "attempt": 2}  # fmt: skip
    assert timer["ActionAfterCompletion"] == "DELETE"
    assert "2026-11-23T12:01:02" <= timer["ScheduleExpression"][3:-1] <= "2026-11-23T12:01:05"
    assert next_at.startswith(timer["ScheduleExpression"][3:-1])

    app.clock.advance(timedelta(seconds=5))
    assert app.deliver(json.loads(timer["Target"]["Input"])) == "succeeded"
    [occ] = occurrences(app, schedule)
    assert [(a["number"], a["status_code"]) for a in occ["attempts"]] == [(1, 500), (2, 200)]
    assert [r.headers["Belltower-Attempt"] for r in app.http.sent] == ["1", "2"]
    assert len({r.headers["Idempotency-Key"] for r in app.http.sent}) == 1
    # a duplicate of the retry event changes nothing
    assert app.deliver(json.loads(timer["Target"]["Input"])) == "duplicate"
    assert len(app.http.sent) == 2


def test_retry_after_is_honoured(app):
    app.http.script(DESTINATION, status(429, headers={"retry-after": "120"}))
    schedule = schedule_one(app)
    at_fire_time(app, schedule)
    [occ] = occurrences(app, schedule)
    assert occ["next_attempt_at"] == "2026-11-23T12:03:00Z"


@pytest.mark.parametrize("code", [408, 429, 500, 503, None])
def test_retryable_failures_end_dead_lettered_with_full_context(app, code):
    app.http.script(DESTINATION, status(code, error=None if code else "timeout"))
    schedule = schedule_one(app, retry_policy={"max_attempts": 2}, headers={"Authorization": "Bearer hush"})
    at_fire_time(app, schedule)
    [occ] = occurrences(app, schedule)
    app.clock.advance(timedelta(seconds=10))
    assert app.deliver({"type": "attempt", "project_id": app.project["id"], "schedule_id": schedule["id"],
                        "occurrence_id": occ["id"], "attempt": 2}) == "dead_lettered"  # fmt: skip

    [occ] = occurrences(app, schedule)
    assert occ["state"] == "dead_lettered" and occ["outcome"] == "attempts_exhausted"
    assert len(occ["attempts"]) == 2
    [message] = app.dead_letters()
    assert message["type"] == "belltower.dead_letter" and message["reason"] == "attempts_exhausted"
    assert message["occurrence"]["id"] == occ["id"] and len(message["occurrence"]["attempts"]) == 2
    assert message["schedule"]["id"] == schedule["id"]
    assert message["schedule"]["endpoint"] == DESTINATION
    assert "hush" not in json.dumps(message)
    assert app.call("GET", f"/v1/schedules/{schedule['id']}").body["state"] == "completed"


@pytest.mark.parametrize("code", [400, 401, 404, 410, 422, 301, 302])
def test_other_4xx_and_redirects_fail_at_once(app, code):
    app.http.script(DESTINATION, status(code))
    schedule = schedule_one(app)
    assert at_fire_time(app, schedule) == "dead_lettered"
    [occ] = occurrences(app, schedule)
    assert occ["outcome"] == "non_retryable_status" and len(occ["attempts"]) == 1
    assert [m["reason"] for m in app.dead_letters()] == ["non_retryable_status"]
    # no retry timer (moto keeps the fired one-time schedule itself; AWS deletes it)
    assert list(app.timers()) == [schedule["id"]]


def test_a_destination_resolving_to_a_forbidden_address_is_not_retried(app):
    app.http.script(DESTINATION, status(None, error="forbidden_destination: 10.0.0.1", permanent=True))
    schedule = schedule_one(app)
    assert at_fire_time(app, schedule) == "dead_lettered"
    [occ] = occurrences(app, schedule)
    assert occ["outcome"] == "forbidden_destination"


def test_ttl_turns_a_retry_past_the_deadline_into_expired(app):
    app.http.script(DESTINATION, status(500))
    schedule = schedule_one(app, ttl="2s")
    assert at_fire_time(app, schedule) == "expired"
    [occ] = occurrences(app, schedule)
    assert occ["state"] == "expired" and occ["outcome"] == "ttl_expired"
    assert [m["reason"] for m in app.dead_letters()] == ["ttl_expired"]


def test_a_retry_arriving_after_the_ttl_expires_without_sending(app):
    app.http.script(DESTINATION, status(500))
    schedule = schedule_one(app, ttl="1h")
    at_fire_time(app, schedule)
    [occ] = occurrences(app, schedule)
    app.clock.advance(timedelta(hours=2))
    outcome = app.deliver({"type": "attempt", "project_id": app.project["id"], "schedule_id": schedule["id"],
                           "occurrence_id": occ["id"], "attempt": 2})  # fmt: skip
    assert outcome == "expired"
    assert len(app.http.sent) == 1


def test_a_fire_later_than_the_catch_up_window_is_skipped(app):
    schedule = schedule_one(app)
    app.clock.advance(timedelta(hours=2))
    assert app.deliver(fire(app, schedule)) == "skipped"
    assert app.http.sent == []
    [occ] = occurrences(app, schedule)
    assert occ["state"] == "skipped" and occ["outcome"] == "missed_catch_up_window"
    got = app.call("GET", f"/v1/schedules/{schedule['id']}").body
    assert (got["state"], got["run_count"]) == ("completed", 0)


def test_an_early_fire_waits_for_the_scheduled_second(app):
    schedule = schedule_one(app)
    app.clock.advance(timedelta(seconds=35))  # EventBridge fires within the minute
    assert app.deliver(fire(app, schedule)) == "succeeded"
    assert app.clock.slept == [25.0]


def test_cancel_while_retrying_cancels_the_pending_retry(app):
    app.http.script(DESTINATION, status(500))
    schedule = schedule_one(app)
    at_fire_time(app, schedule)
    [occ] = occurrences(app, schedule)
    assert f"{occ['id']}-2" in app.timers()

    assert app.call("DELETE", f"/v1/schedules/{schedule['id']}").body["state"] == "cancelled"
    assert app.timers() == {}  # the pending retry's timer and the fired schedule's own
    [occ] = occurrences(app, schedule)
    assert occ["state"] == "cancelled" and occ["next_attempt_at"] is None
    outcome = app.deliver({"type": "attempt", "project_id": app.project["id"], "schedule_id": schedule["id"],
                           "occurrence_id": occ["id"], "attempt": 2})  # fmt: skip
    assert outcome == "duplicate"
    assert len(app.http.sent) == 1


def test_a_crash_before_the_dead_letter_is_sent_is_finished_by_the_lambda_retry(app):
    app.http.script(DESTINATION, status(404))
    schedule = schedule_one(app)
    real_send = app.container.dead_letters.send
    calls = []

    def flaky_send(message):
        calls.append(message)
        if len(calls) == 1:
            raise ConnectionError("SQS unreachable")
        real_send(message)

    app.container.dead_letters.send = flaky_send
    with pytest.raises(ConnectionError):
        at_fire_time(app, schedule)
    [occ] = occurrences(app, schedule)
    assert occ["state"] == "failed"

    # Lambda's async retry replays the same event
    assert app.deliver(fire(app, schedule)) == "dead_lettered"
    assert len(app.http.sent) == 1
    assert [m["reason"] for m in app.dead_letters()] == ["non_retryable_status"]


def test_malformed_events_are_dropped_not_retried(app):
    assert app.deliver({"type": "fire"}) == "malformed"
    assert app.deliver({"type": "party", "project_id": "p", "schedule_id": "s"}) == "malformed"
    assert app.deliver({"type": "fire", "project_id": "p", "schedule_id": "s", "scheduled_for": "x"}) == "malformed"
    assert app.deliver({"type": "fire", "project_id": "p", "schedule_id": "s",
                        "scheduled_for": "2026-11-23T12:00:00Z"}) == "unknown_schedule"  # fmt: skip


def test_delivery_emits_emf_metrics_by_outcome_and_dispatch_lag(app, capsys):
    schedule = schedule_one(app)
    capsys.readouterr()
    at_fire_time(app, schedule)
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    by_name = {m["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"]: m for m in emf}
    assert by_name["Deliveries"]["outcome"] == "succeeded" and by_name["Deliveries"]["Deliveries"] == [1.0]
    assert by_name["Deliveries"]["service"] == "belltower-delivery"
    assert by_name["Deliveries"]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Belltower"
    assert "DispatchLag" in by_name
