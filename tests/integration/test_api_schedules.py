"""The schedules API through the Lambda handler, on moto: contract, errors, EventBridge calls."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from belltower.domain.errors import SchedulerUnavailable
from tests.support.app import DESTINATION, START, app  # noqa: F401  (fixture)


def create(app, **fields):
    return app.call("POST", "/v1/schedules", {"endpoint": DESTINATION, **fields})


def test_create_with_delay_stores_schedule_and_arms_exact_eventbridge_timer(app):
    # Given a delay of 90 seconds
    resp = create(app, delay="90s", body={"hello": "world"}, headers={"X-Secret": "s3cr3t"})

    # Then the schedule is created with the resolved fire time
    assert resp.status == 201
    schedule = resp.body
    assert schedule["object"] == "schedule" and schedule["kind"] == "one_shot"
    assert schedule["state"] == "active"
    assert schedule["fire_at"] == "2026-11-23T12:01:30Z"
    assert schedule["next_fire_at"] == "2026-11-23T12:01:30Z"
    assert schedule["header_keys"] == ["X-Secret"]
    assert "s3cr3t" not in json.dumps(schedule)
    assert schedule["retry_policy"] == {"max_attempts": 8, "strategy": "exponential", "base": "5s",
                                        "factor": 2, "max": "1h", "jitter": True}  # fmt: skip
    assert schedule["timeout"] == "30s"

    # And exactly one EventBridge schedule, with the full definition AWS needs
    timers = app.timers()
    assert list(timers) == [schedule["id"]]
    timer = timers[schedule["id"]]
    settings = app.container.settings
    assert timer["ScheduleExpression"] == "at(2026-11-23T12:01:30)"
    assert timer["ScheduleExpressionTimezone"] == "UTC"
    assert timer["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert timer["ActionAfterCompletion"] == "DELETE"
    assert timer["State"] == "ENABLED"
    assert timer["Target"]["Arn"] == settings.delivery_function_arn
    assert timer["Target"]["RoleArn"] == settings.scheduler_role_arn
    assert timer["Target"]["DeadLetterConfig"] == {"Arn": settings.dlq_arn}
    assert timer["Target"]["RetryPolicy"] == {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}
    assert json.loads(timer["Target"]["Input"]) == {
        "type": "fire",
        "project_id": app.project["id"],
        "schedule_id": schedule["id"],
        "scheduled_for": "2026-11-23T12:01:30Z",
    }


@pytest.mark.parametrize(
    "timing, fire_at",
    [
        ({"delay": 30}, "2026-11-23T12:00:30Z"),
        ({"delay": [2, "hours"]}, "2026-11-23T14:00:00Z"),
        ({"fire_at": "2026-11-24T09:30:00+01:00"}, "2026-11-24T08:30:00Z"),
        ({"fire_at": 1795500000}, "2026-11-24T06:00:00Z"),
        ({"local_fire_at": "2027-03-14T02:30", "timezone": "America/New_York"}, "2027-03-14T07:00:00Z"),
        ({"local_fire_at": "2027-11-07T01:30:00", "timezone": "America/New_York"}, "2027-11-07T05:30:00Z"),
    ],
)
def test_every_one_shot_timing_form_resolves_to_utc(app, timing, fire_at):
    resp = create(app, **timing)
    assert resp.status == 201, resp.body
    assert resp.body["fire_at"] == fire_at
    assert app.timers()[resp.body["id"]]["ScheduleExpression"] == f"at({fire_at[:-1]})"


def test_work_due_now_goes_straight_to_delivery(app):
    resp = create(app, delay="1s")
    assert resp.status == 201
    assert app.timers() == {}
    assert app.invoker.events == [{"type": "fire", "project_id": app.project["id"],
                                   "schedule_id": resp.body["id"], "scheduled_for": "2026-11-23T12:00:01Z"}]  # fmt: skip


def test_scheduler_failure_is_503_and_leaves_nothing_behind(app):
    class BrokenTimers:
        def put(self, spec):
            raise SchedulerUnavailable()

        def delete(self, name):
            raise SchedulerUnavailable()

    app.container.timers = BrokenTimers()
    resp = create(app, delay="1h")
    assert resp.status == 503
    assert resp.body["error"]["code"] == "scheduler_unavailable"
    assert resp.headers["Retry-After"] == "5"
    assert app.call("GET", "/v1/schedules").body["data"] == []


@pytest.mark.parametrize(
    "body, status, code, param",
    [
        ({"endpoint": DESTINATION}, 422, "missing_timing", None),
        ({"endpoint": DESTINATION, "delay": "1m", "fire_at": "2027-01-01T00:00:00Z"}, 400, "multiple_timing", None),
        ({"endpoint": DESTINATION, "delay": "soon"}, 400, "invalid_duration", "delay"),
        ({"endpoint": DESTINATION, "delay": "500ms"}, 422, "sub_floor_delay", "delay"),
        ({"endpoint": DESTINATION, "fire_at": "2026-11-23 13:00"}, 400, "invalid_timestamp", "fire_at"),
        ({"endpoint": DESTINATION, "fire_at": "2026-11-23T11:00:00Z"}, 422, "fire_at_in_past", "fire_at"),
        ({"endpoint": DESTINATION, "fire_at": "2037-01-01T00:00:00Z"}, 422, "fire_at_too_far", "fire_at"),
        ({"endpoint": DESTINATION, "local_fire_at": "2027-01-01T10:00", "timezone": "Mars/Olympus"}, 400,
         "invalid_timezone", "timezone"),
        ({"endpoint": "not a url", "delay": "1m"}, 400, "invalid_url", "endpoint"),
        ({"endpoint": "http://example.com/hook", "delay": "1m"}, 422, "insecure_url", "endpoint"),
        ({"endpoint": "https://169.254.169.254/latest/meta-data", "delay": "1m"}, 422,
         "forbidden_destination", "endpoint"),
        ({"endpoint": "https://[::ffff:10.0.0.1]/", "delay": "1m"}, 422, "forbidden_destination", "endpoint"),
        ({"endpoint": "https://0x7f000001/", "delay": "1m"}, 422, "forbidden_destination", "endpoint"),
        ({"endpoint": DESTINATION, "delay": "1m", "body": "x" * (256 * 1024 + 1)}, 422, "payload_too_large", "body"),
        ({"endpoint": DESTINATION, "delay": "1m", "colour": "blue"}, 400, "unknown_field", "colour"),
        ({"endpoint": DESTINATION, "delay": "1m", "method": "TRACE"}, 400, "invalid_field", "method"),
        ({"endpoint": DESTINATION, "delay": "1m", "headers": {"Host": "evil"}}, 400, "invalid_field", "headers.Host"),
        ({"endpoint": DESTINATION, "delay": "1m", "headers": {"X-A": 1}}, 400, "invalid_field", "headers.X-A"),
        ({"endpoint": DESTINATION, "delay": "1m", "timeout": "16m"}, 400, "invalid_field", "timeout"),
        ({"endpoint": DESTINATION, "delay": "1m", "retry_policy": {"max_attempts": 51}}, 400, "invalid_field",
         "retry_policy.max_attempts"),
        ({"endpoint": DESTINATION, "delay": "1m", "metadata": {f"k{i}": i for i in range(33)}}, 400,
         "invalid_field", "metadata"),
        ({"endpoint": DESTINATION, "delay": "1m", "max_runs": 3}, 400, "invalid_field", "max_runs"),
        ({"endpoint": DESTINATION, "cron": "0 * * * * *"}, 400, "invalid_cron", "cron"),
        ({"endpoint": DESTINATION, "cron": "0 9 * * 1", "every": "1h"}, 400, "multiple_timing", None),
        ({"endpoint": DESTINATION, "every": "30s"}, 422, "interval_too_short", "every"),
        ({"endpoint": DESTINATION, "every": "1h", "overlap": "queue"}, 400, "invalid_field", "overlap"),
        ({"endpoint": DESTINATION, "every": "1h", "max_runs": 0}, 400, "invalid_field", "max_runs"),
        ({"endpoint": DESTINATION, "cron": "0 9 * * *", "end_at": "2026-11-23T11:00:00Z"}, 422,
         "invalid_field", "end_at"),
        ([1, 2, 3], 400, "invalid_json", None),
    ],
)
def test_bad_input_gets_precise_error_and_stores_nothing(app, body, status, code, param):
    resp = app.call("POST", "/v1/schedules", body)
    assert resp.status == status, resp.body
    assert resp.body["error"]["code"] == code
    assert resp.body["error"]["param"] == param
    assert set(resp.body["error"]) == {"type", "code", "message", "param"}
    assert app.call("GET", "/v1/schedules").body["data"] == []
    assert app.timers() == {}


@pytest.mark.parametrize(
    "raw", ["{not json", "", "NaN", '{"delay": Infinity}', "\udcff", '{"a":' * 100000]
)
def test_malformed_json_is_400_invalid_json(app, raw):
    resp = app.call("POST", "/v1/schedules", raw_body=raw)
    assert resp.status == 400
    assert resp.body["error"]["code"] == "invalid_json"


def test_body_over_one_megabyte_is_invalid_json(app):
    resp = app.call("POST", "/v1/schedules", raw_body=json.dumps({"endpoint": DESTINATION, "delay": "1m",
                                                                  "description": "x" * (1024 * 1024)}))  # fmt: skip
    assert resp.status == 400
    assert resp.body["error"]["code"] == "invalid_json"


@pytest.mark.parametrize("key", [None, "", "bt_wrong_key_0123456789", "Basic abc"])
def test_missing_or_wrong_key_is_401(app, key):
    resp = app.call("GET", "/v1/schedules", api_key=None, headers={"Authorization": key} if key else None)
    assert resp.status == 401
    assert resp.body["error"]["code"] == "unauthorized"


def test_another_projects_schedule_is_404(app):
    from belltower.service import keys

    other_key, _ = keys.create_key(app.container.store, "other")
    mine = create(app, delay="1h").body
    assert app.call("GET", f"/v1/schedules/{mine['id']}", api_key=other_key).status == 404
    assert app.call("DELETE", f"/v1/schedules/{mine['id']}", api_key=other_key).status == 404
    assert app.call("GET", "/v1/schedules", api_key=other_key).body["data"] == []
    assert app.call("GET", f"/v1/schedules/{mine['id']}").body["state"] == "active"


def test_unknown_route_is_404_and_wrong_method_is_405(app):
    assert app.call("GET", "/v1/nothing-here").status == 404
    resp = app.call("PUT", "/v1/schedules")
    assert resp.status == 405
    assert resp.body["error"]["code"] == "method_not_allowed"
    assert resp.headers["Allow"] == "GET, POST"
    assert app.call("GET", "/v1/schedules/not-an-id").status == 404


def test_list_is_newest_first_with_cursor_and_filters(app):
    ids = []
    for i in range(5):
        app.clock.advance(timedelta(seconds=1))
        ids.append(create(app, delay="1h", name=f"s{i}").body["id"])
    first = app.call("GET", "/v1/schedules", query={"limit": "2"}).body
    assert first["object"] == "list" and first["has_more"] is True
    assert [s["id"] for s in first["data"]] == ids[::-1][:2]
    second = app.call("GET", "/v1/schedules", query={"limit": "2", "cursor": first["next_cursor"]}).body
    assert [s["id"] for s in second["data"]] == ids[::-1][2:4]
    third = app.call("GET", "/v1/schedules", query={"limit": "2", "cursor": second["next_cursor"]}).body
    assert [s["id"] for s in third["data"]] == ids[:1]
    assert third["has_more"] is False and third["next_cursor"] is None

    app.call("DELETE", f"/v1/schedules/{ids[2]}")
    cancelled = app.call("GET", "/v1/schedules", query={"state": "cancelled"}).body["data"]
    assert [s["id"] for s in cancelled] == [ids[2]]
    active = app.call("GET", "/v1/schedules", query={"state": "active", "limit": "3"}).body
    assert [s["id"] for s in active["data"]] == [ids[4], ids[3], ids[1]]


@pytest.mark.parametrize("query", [{"limit": "0"}, {"limit": "101"}, {"limit": "ten"}, {"state": "sleeping"},
                                   {"cursor": "garbage"}, {"kind": "weekly"}])  # fmt: skip
def test_bad_list_parameters_are_400(app, query):
    resp = app.call("GET", "/v1/schedules", query=query)
    assert resp.status == 400
    assert resp.body["error"]["code"] == "invalid_field"


def test_cancel_deletes_the_timer_is_idempotent_and_drops_a_late_fire(app):
    schedule = create(app, delay="1h").body
    resp = app.call("DELETE", f"/v1/schedules/{schedule['id']}")
    assert resp.status == 200 and resp.body["state"] == "cancelled"
    assert resp.body["next_fire_at"] is None
    assert app.timers() == {}
    assert app.call("DELETE", f"/v1/schedules/{schedule['id']}").status == 200

    # A fire that was already on its way is recorded as dropped: nothing is delivered.
    outcome = app.deliver({"type": "fire", "project_id": app.project["id"], "schedule_id": schedule["id"],
                           "scheduled_for": schedule["fire_at"]})  # fmt: skip
    assert outcome == "dropped_cancelled"
    assert app.http.sent == []


def test_project_shows_its_signing_secret(app):
    resp = app.call("GET", "/v1/project")
    assert resp.status == 200
    assert resp.body["object"] == "project" and resp.body["name"] == "acme"
    [secret] = resp.body["signing_secrets"]
    assert secret["secret"].startswith("whsec_") and secret["expires_at"] is None


@pytest.mark.parametrize("code", ["ProvisionedThroughputExceededException", "ThrottlingException",
                                  "InternalServerError"])  # fmt: skip
def test_aws_throttling_is_a_503_with_retry_after_not_a_500(app, code):
    from botocore.exceptions import ClientError

    class ThrottledStore:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise ClientError({"Error": {"Code": code, "Message": "slow down"}}, "PutItem")

            return fail

    real = app.container.store
    app.container.store = ThrottledStore()
    try:
        resp = app.call("GET", "/v1/schedules")
    finally:
        app.container.store = real
    assert resp.status == 503 and resp.body["error"]["code"] == "scheduler_unavailable"
    assert resp.headers["Retry-After"] == "5"
