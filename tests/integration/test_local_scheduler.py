"""The EventBridge Scheduler stand-in fires the at() schedules stored in moto, like AWS would."""

from __future__ import annotations

import json
import math
import threading
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from belltower.local.aws import ACCOUNT_ID, REGION, lambda_function_arn
from belltower.local.scheduler import LocalInvoker, next_fire_after

FUNCTION_ARN = lambda_function_arn("test-target")
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/test-scheduler"


class Recorder:
    """A fake Lambda handler recording (time, event, context) per call; can raise."""

    def __init__(self, *, fail: bool = False) -> None:
        self.fail = fail
        self.calls: list[tuple[float, dict, object]] = []
        self._cond = threading.Condition()

    def __call__(self, event, context):
        with self._cond:
            self.calls.append((time.time(), event, context))
            self._cond.notify_all()
        if self.fail:
            raise RuntimeError("handler exploded")
        return {"ok": True}

    def wait(self, count: int, timeout: float = 10.0) -> list:
        with self._cond:
            self._cond.wait_for(lambda: len(self.calls) >= count, timeout)
            return list(self.calls)


def whole_second(lead: float = 1.5) -> datetime:
    return datetime.fromtimestamp(math.ceil(time.time() + lead), timezone.utc)


def at(moment: datetime, zone: str = "UTC") -> str:
    return f"at({moment.astimezone(ZoneInfo(zone)):%Y-%m-%dT%H:%M:%S})"


def create(sandbox, name, expression, *, target_arn=FUNCTION_ARN, payload=None, **extra):
    target = {"Arn": target_arn, "RoleArn": ROLE_ARN, "Input": json.dumps(payload or {"name": name})}
    target.update(extra.pop("target", {}))
    sandbox.scheduler_client.create_schedule(
        GroupName=sandbox.group,
        Name=name,
        ScheduleExpression=expression,
        FlexibleTimeWindow={"Mode": "OFF"},
        Target=target,
        **extra,
    )


def schedule_exists(sandbox, name) -> bool:
    try:
        sandbox.scheduler_client.get_schedule(GroupName=sandbox.group, Name=name)
        return True
    except sandbox.scheduler_client.exceptions.ResourceNotFoundException:
        return False


# --- expressions -------------------------------------------------------------------------------


def test_next_fire_after_reads_at_in_its_time_zone():
    utc = datetime(2030, 7, 1, 12, 0, 5, tzinfo=timezone.utc)
    assert next_fire_after("at(2030-07-01T12:00:05)") == utc
    assert next_fire_after("at(2030-07-01T08:00:05)", "America/New_York") == utc
    assert next_fire_after("at(2030-07-01T12:00:05)", "UTC", after=utc - timedelta(seconds=1)) == utc
    assert next_fire_after("at(2030-07-01T12:00:05)", "UTC", after=utc) is None


def test_cron_follows_aws_semantics_in_its_zone():
    after = datetime(2027, 3, 13, 12, 0, tzinfo=timezone.utc)
    # 02:30 New York does not exist on 2027-03-14: AWS skips it, so the next fire is the 15th
    fire = next_fire_after("cron(30 2 * * ? *)", "America/New_York", after)
    assert fire == datetime(2027, 3, 15, 6, 30, tzinfo=timezone.utc)
    # 01:30 on fall-back day runs once (the first pass, 05:30Z), then the next day
    fall = datetime(2027, 11, 7, 0, 0, tzinfo=timezone.utc)
    first = next_fire_after("cron(30 1 * * ? *)", "America/New_York", fall)
    assert first == datetime(2027, 11, 7, 5, 30, tzinfo=timezone.utc)
    assert next_fire_after("cron(30 1 * * ? *)", "America/New_York", first) == datetime(
        2027, 11, 8, 6, 30, tzinfo=timezone.utc)
    # day-of-week 2 is MONDAY in AWS numbering
    assert next_fire_after("cron(0 9 ? * 2 *)", "UTC", after).weekday() == 0


def test_cron_honours_start_and_end_dates():
    after = datetime(2027, 1, 1, tzinfo=timezone.utc)
    start = datetime(2027, 1, 10, 9, 0, tzinfo=timezone.utc)
    assert next_fire_after("cron(0 9 * * ? *)", "UTC", after, start_date=start) == start
    end = datetime(2027, 1, 2, tzinfo=timezone.utc)
    assert next_fire_after("cron(0 9 * * ? *)", "UTC", datetime(2027, 1, 2, 9, tzinfo=timezone.utc),
                           end_date=end) is None  # fmt: skip


def test_rate_counts_from_start_date_or_creation():
    start = datetime(2027, 1, 1, 0, 0, 30, tzinfo=timezone.utc)
    assert next_fire_after("rate(5 minutes)", "UTC", start, start_date=start) == start + timedelta(minutes=5)
    assert next_fire_after("rate(5 minutes)", "UTC", start - timedelta(hours=1), start_date=start) == start
    created = datetime(2027, 1, 1, 0, 0, 7, tzinfo=timezone.utc)
    assert next_fire_after("rate(1 hour)", "UTC", created, created=created) == created + timedelta(hours=1)


@pytest.mark.parametrize(
    ("expression", "zone"),
    [("garbage", "UTC"), ("at(2030-02-30T00:00:00)", "UTC"), ("at(2030-01-01T00:00:00Z)", "UTC"),
     ("at(2030-01-01T00:00:00)", "Mars/Olympus")],
)
def test_invalid_expressions_are_value_errors(expression, zone):
    with pytest.raises(ValueError):
        next_fire_after(expression, zone)


# --- firing ------------------------------------------------------------------------------------


def test_fires_at_the_right_second_in_utc(scheduler_sandbox):
    handler = Recorder()
    scheduler_sandbox.start_scheduler({FUNCTION_ARN: handler})
    due = whole_second()
    create(scheduler_sandbox, "utc", at(due), payload={"hello": "world"})

    (fired_at, event, context), = handler.wait(1)
    assert due.timestamp() <= fired_at < due.timestamp() + 0.5
    assert event == {"hello": "world"}
    assert context.invoked_function_arn == FUNCTION_ARN
    assert context.function_name == "test-target"
    assert context.get_remaining_time_in_millis() > 0


def test_fires_at_the_right_second_in_a_non_utc_time_zone(scheduler_sandbox):
    handler = Recorder()
    scheduler_sandbox.start_scheduler({FUNCTION_ARN: handler})
    due = whole_second()
    create(
        scheduler_sandbox, "tokyo", at(due, "Asia/Tokyo"), ScheduleExpressionTimezone="Asia/Tokyo"
    )
    # The same wall-clock text read as UTC would be 9 hours later: it must not wait for that.
    (fired_at, _, _), = handler.wait(1)
    assert due.timestamp() <= fired_at < due.timestamp() + 0.5


def test_context_keywords_are_substituted_as_json_strings(scheduler_sandbox):
    handler = Recorder()
    scheduler_sandbox.start_scheduler({FUNCTION_ARN: handler})
    due = whole_second(1)
    payload = {
        "arn": "<aws.scheduler.schedule-arn>",
        "at": "<aws.scheduler.scheduled-time>",
        "execution": "<aws.scheduler.execution-id>",
        "attempt": "<aws.scheduler.attempt-number>",
    }
    create(scheduler_sandbox, "keywords", at(due), payload=payload)

    (_, event, _), = handler.wait(1)
    assert event["arn"] == (
        f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule/{scheduler_sandbox.group}/keywords"
    )
    assert event["at"] == due.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(event["execution"]) == 36 and event["execution"] != "<aws.scheduler.execution-id>"
    assert event["attempt"] == "1"


def test_action_after_completion_delete_removes_the_schedule(scheduler_sandbox):
    handler = Recorder()
    scheduler = scheduler_sandbox.start_scheduler({FUNCTION_ARN: handler})
    create(scheduler_sandbox, "one-shot", at(whole_second(1)), ActionAfterCompletion="DELETE")
    assert schedule_exists(scheduler_sandbox, "one-shot")

    assert len(handler.wait(1)) == 1
    assert scheduler.wait_idle(5)
    assert not schedule_exists(scheduler_sandbox, "one-shot")


def test_action_after_completion_none_keeps_it_and_never_fires_again(scheduler_sandbox):
    handler = Recorder()
    scheduler = scheduler_sandbox.start_scheduler({FUNCTION_ARN: handler})
    create(scheduler_sandbox, "kept", at(whole_second(1)), ActionAfterCompletion="NONE")
    create(scheduler_sandbox, "kept-default", at(whole_second(1)))

    assert len(handler.wait(2)) == 2
    time.sleep(1.0)
    assert scheduler.wait_idle(5)
    assert len(handler.calls) == 2
    assert schedule_exists(scheduler_sandbox, "kept")
    assert schedule_exists(scheduler_sandbox, "kept-default")


def test_a_disabled_schedule_does_not_fire(scheduler_sandbox):
    handler = Recorder()
    scheduler = scheduler_sandbox.start_scheduler({FUNCTION_ARN: handler})
    due = whole_second(1)
    create(scheduler_sandbox, "off", at(due), State="DISABLED")

    time.sleep(max(0.0, due.timestamp() - time.time()) + 0.5)
    assert scheduler.wait_idle(5)
    assert handler.calls == []
    assert schedule_exists(scheduler_sandbox, "off")


def test_an_updated_schedule_fires_at_its_new_time_only(scheduler_sandbox):
    handler = Recorder()
    scheduler_sandbox.start_scheduler({FUNCTION_ARN: handler})
    first = whole_second()
    create(scheduler_sandbox, "moved", at(first))
    later = first + timedelta(seconds=2)
    scheduler_sandbox.scheduler_client.update_schedule(
        GroupName=scheduler_sandbox.group,
        Name="moved",
        ScheduleExpression=at(later),
        FlexibleTimeWindow={"Mode": "OFF"},
        State="ENABLED",
        Target={"Arn": FUNCTION_ARN, "RoleArn": ROLE_ARN, "Input": "{}"},
    )
    (fired_at, _, _), = handler.wait(1)
    assert later.timestamp() <= fired_at < later.timestamp() + 0.5


def test_a_deleted_schedule_does_not_fire(scheduler_sandbox):
    handler = Recorder()
    scheduler = scheduler_sandbox.start_scheduler({FUNCTION_ARN: handler})
    due = whole_second(1.2)
    create(scheduler_sandbox, "gone", at(due))
    time.sleep(0.2)  # let the stand-in see it first
    scheduler_sandbox.scheduler_client.delete_schedule(GroupName=scheduler_sandbox.group, Name="gone")
    time.sleep(max(0.0, due.timestamp() - time.time()) + 0.5)
    assert scheduler.wait_idle(5)
    assert handler.calls == []


def test_a_past_at_fires_at_once(scheduler_sandbox):
    handler = Recorder()
    scheduler_sandbox.start_scheduler({FUNCTION_ARN: handler})
    past = whole_second(-10)
    create(scheduler_sandbox, "late", at(past), payload={"at": "<aws.scheduler.scheduled-time>"})
    (_, event, _), = handler.wait(1, timeout=3)
    assert event["at"] == past.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the two layers of retries -----------------------------------------------------------------


def test_a_raising_handler_is_retried_like_lambda_async_then_dead_lettered(scheduler_sandbox):
    handler = Recorder(fail=True)
    scheduler = scheduler_sandbox.start_scheduler(
        {FUNCTION_ARN: handler}, lambda_retry_delays=(0.2, 0.4)
    )
    create(scheduler_sandbox, "failing", at(whole_second(1)), payload={"n": 1})

    calls = handler.wait(3)
    assert len(calls) == 3
    assert {call[2].aws_request_id for call in calls} == {calls[0][2].aws_request_id}
    assert calls[1][0] - calls[0][0] >= 0.2 and calls[2][0] - calls[1][0] >= 0.4
    assert scheduler.wait_idle(5)

    (message,) = scheduler_sandbox.receive_dead_letters(1)
    record = json.loads(message["Body"])
    assert record["version"] == "1.0"
    assert record["requestContext"] == {
        "requestId": calls[0][2].aws_request_id,
        "functionArn": f"{FUNCTION_ARN}:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    }
    assert record["requestPayload"] == {"n": 1}
    assert record["responseContext"] == {
        "statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"
    }
    assert record["responsePayload"]["errorType"] == "RuntimeError"
    assert record["responsePayload"]["errorMessage"] == "handler exploded"
    assert record["timestamp"].endswith("Z")
    assert len(handler.calls) == 3


def test_an_unknown_target_is_retried_per_policy_then_dead_lettered(scheduler_sandbox):
    handler = Recorder()
    scheduler = scheduler_sandbox.start_scheduler(
        {FUNCTION_ARN: handler}, handoff_retry_base=0.05, handoff_retry_max=0.1
    )
    typo = FUNCTION_ARN + "-typo"
    due = whole_second(1)
    create(
        scheduler_sandbox,
        "typo",
        at(due),
        target_arn=typo,
        payload={"attempt": "<aws.scheduler.attempt-number>", "id": "<aws.scheduler.execution-id>"},
        target={
            "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 60},
            "DeadLetterConfig": {"Arn": scheduler_sandbox.queue_arn},
        },
    )
    (message,) = scheduler_sandbox.receive_dead_letters(1)
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    body = json.loads(message["Body"])
    assert attributes == {
        "ERROR_CODE": "ResourceNotFoundException",
        "ERROR_MESSAGE": f"Function not found: {typo}",
        "EXECUTION_ID": body["id"],
        "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts",
        "IS_PAYLOAD_TRUNCATED": "false",
        "RETRY_ATTEMPTS": "2",
        "SCHEDULED_TIME": due.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "SCHEDULE_ARN": f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule/{scheduler_sandbox.group}/typo",
        "TARGET_ARN": typo,
    }
    assert body["attempt"] == "3"
    assert scheduler.wait_idle(5)
    assert handler.calls == []


def test_the_local_invoker_hands_events_to_the_function_asynchronously(scheduler_sandbox):
    handler = Recorder()
    scheduler = scheduler_sandbox.start_scheduler({FUNCTION_ARN: handler})
    LocalInvoker(scheduler, FUNCTION_ARN).invoke_delivery({"occurrence": "occ_1"})
    (_, event, context), = handler.wait(1)
    assert event == {"occurrence": "occ_1"}
    assert context.function_name == "test-target"
    with pytest.raises(LookupError):
        scheduler.invoke_async(FUNCTION_ARN + "-missing", {})


def test_the_context_works_with_powertools_logger(scheduler_sandbox, capsys):
    from aws_lambda_powertools import Logger

    logger = Logger(service="local-test")
    seen = []

    @logger.inject_lambda_context
    def handler(event, context):
        logger.info("hello")
        seen.append(event)

    scheduler = scheduler_sandbox.start_scheduler({FUNCTION_ARN: handler})
    scheduler.invoke_async(FUNCTION_ARN, {"x": 1})
    assert scheduler.wait_idle(5)
    assert seen == [{"x": 1}]
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["function_name"] == "test-target" and line["function_arn"] == FUNCTION_ARN


# --- scale -------------------------------------------------------------------------------------


def test_ten_thousand_schedules_stay_cheap_and_on_time(scheduler_sandbox):
    from moto.scheduler.models import scheduler_backends

    backend = scheduler_backends[ACCOUNT_ID][REGION]
    far = at(datetime.now(timezone.utc) + timedelta(days=30))
    for i in range(10_000):  # in-process: 10,000 HTTP calls would only test moto
        backend.create_schedule(
            description=None, end_date=None, flexible_time_window={"Mode": "OFF"},
            group_name=scheduler_sandbox.group, kms_key_arn=None, name=f"bulk-{i}",
            schedule_expression=far, schedule_expression_timezone="UTC", start_date=None,
            state="ENABLED", target={"Arn": FUNCTION_ARN, "RoleArn": ROLE_ARN, "Input": "{}"},
            action_after_completion="DELETE",
        )
    handler = Recorder()
    scheduler = scheduler_sandbox.start_scheduler({FUNCTION_ARN: handler})
    assert scheduler.wait_idle(10)
    due = whole_second()
    create(scheduler_sandbox, "needle", at(due), payload={"needle": True})

    (fired_at, event, _), = handler.wait(1)
    assert event == {"needle": True}
    assert due.timestamp() <= fired_at < due.timestamp() + 0.5
    stats = scheduler.stats()
    assert stats["schedules"] >= 10_000
    assert stats["last_tick_ms"] < 50, stats
