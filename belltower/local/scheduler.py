"""A local stand-in for EventBridge Scheduler (and for Lambda's asynchronous invocation).

moto stores schedules but never fires them. `LocalScheduler` reads them in-process from moto's
backend (`moto.scheduler.models.scheduler_backends[account][region]`) and fires them:

- every tick (~50 ms) it walks the stored `Schedule` objects and re-parses only those whose
  (object, `last_modified_date`) changed since the last tick; due times sit in a heap, so a tick
  costs one cheap pass over the schedules plus the work that is due (10,000 schedules: a few ms);
- a fire hands the target's `Input` (context keywords substituted) to the target function.
  Scheduler's `RetryPolicy` / `DeadLetterConfig` cover only that hand-off: locally it fails when
  the target ARN is not a registered function; it is retried per the policy (with shortened,
  configurable delays), then the event goes to the schedule's DLQ with the attributes AWS sets;
- a handed-off event runs like a Lambda asynchronous invocation: on a worker pool; if the
  handler raises, it is retried (twice by default, after configurable delays), then an
  on-failure invocation record is sent to `on_failure_destination` (an SQS queue);
- `ActionAfterCompletion=DELETE` deletes the schedule once its last fire is handed off;
  DISABLED schedules do not fire; a fired `at()` schedule that is kept never fires again.

Schedule expressions are evaluated by `next_fire_after`, the one place that knows them.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import queue
import re
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from belltower.domain.eventbridge import aws_cron_fires, rate_fires
from belltower.domain.expressions import validate_expression
from belltower.local.aws import ACCOUNT_ID, REGION, LambdaContext

log = logging.getLogger("local.scheduler")  # outside "belltower.*", whose loggers print Powertools JSON

Handler = Callable[[dict[str, Any], Any], Any]

# --- schedule expressions ----------------------------------------------------------------------

_AT = re.compile(r"at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)")


def next_fire_after(
    expression: str,
    timezone_name: str | None = "UTC",
    after: datetime | None = None,
    *,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
    created: datetime | None = None,
) -> datetime | None:
    """The first fire time (aware, UTC) strictly after `after`; None when there is none.

    `after=None` asks for the schedule's first fire time: for `at()` wherever it lies (a past
    one fires at once), for `cron()`/`rate()` the first one after now. `timezone_name` is the
    ScheduleExpressionTimezone. cron() and rate() follow AWS's own semantics (the evaluator in
    belltower.domain.eventbridge): a cron time inside a spring-forward gap is skipped, a
    repeated fall-back time runs once; rate() counts from StartDate, or from creation without
    one; StartDate/EndDate bound both (they are ignored for at()). Raises ValueError for an
    invalid expression or zone.
    """
    zone = _zone(timezone_name or "UTC")
    text = expression.strip()
    match = _AT.fullmatch(text)
    if match:
        try:
            local = datetime(*(int(part) for part in match.groups()), tzinfo=zone)
        except ValueError as exc:
            raise ValueError(f"invalid at() expression {expression!r}: {exc}") from None
        fire = local.astimezone(timezone.utc)
        return fire if after is None or fire > after else None
    if not text.startswith(("cron(", "rate(")):
        raise ValueError(f"invalid schedule expression {expression!r}")
    validate_expression(text)  # raises InvalidExpression, a ValueError
    floor = after if after is not None else datetime.now(timezone.utc)
    if start_date is not None and start_date > floor:
        floor = start_date - timedelta(microseconds=1)  # StartDate itself may fire
    if text.startswith("cron("):
        fire = next(aws_cron_fires(text, zone, floor, end_date), None)
    else:
        origin = start_date or created or datetime.now(timezone.utc)
        fire = next(rate_fires(text, origin, floor, end_date), None)
    return fire


def _next(entry: _Entry, after: datetime | None) -> datetime | None:
    return next_fire_after(entry.expression, entry.timezone, after, start_date=entry.start_date,
                           end_date=entry.end_date, created=entry.created)  # fmt: skip


def _as_datetime(value: Any) -> datetime | None:
    """moto keeps StartDate/EndDate/CreationDate as epoch seconds (or, from some paths, text)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    text = str(value)
    try:
        return datetime.fromtimestamp(float(text), tz=timezone.utc)
    except ValueError:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


# --- context keywords --------------------------------------------------------------------------


def format_scheduled_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def substitute_context(
    text: str, *, schedule_arn: str, scheduled_time: datetime, execution_id: str, attempt: int
) -> str:
    """Replace the `<aws.scheduler.*>` keywords in a target Input, as JSON string contents."""
    values = {
        "<aws.scheduler.schedule-arn>": schedule_arn,
        "<aws.scheduler.scheduled-time>": format_scheduled_time(scheduled_time),
        "<aws.scheduler.execution-id>": execution_id,
        "<aws.scheduler.attempt-number>": str(attempt),
    }
    for keyword, value in values.items():
        if keyword in text:
            text = text.replace(keyword, json.dumps(value)[1:-1])
    return text


# --- state -------------------------------------------------------------------------------------


@dataclass
class _Entry:
    """One stored schedule, as parsed at one version."""

    schedule: Any  # moto's Schedule object (identity tells a re-created schedule apart)
    version: float  # its last_modified_date
    token: int
    arn: str
    group: str
    name: str
    expression: str
    timezone: str
    state: str
    target: dict[str, Any]
    action_after_completion: str | None
    start_date: datetime | None = None
    end_date: datetime | None = None
    created: datetime | None = None
    last_fired: datetime | None = None


@dataclass
class _Fire:
    """One fire of one schedule, across its hand-off attempts."""

    entry: _Entry
    scheduled_time: datetime
    started: float
    delete_after: bool
    attempt: int = 1


@dataclass
class _Invocation:
    """One asynchronous Lambda invocation, across its retries."""

    function_arn: str
    handler: Handler
    payload: str
    request_id: str
    attempt: int = 1


class LocalScheduler:
    def __init__(
        self,
        functions: Mapping[str, Handler] | None = None,
        *,
        on_failure_destination: str | None = None,
        groups: Iterable[str] | None = None,
        account_id: str = ACCOUNT_ID,
        region: str = REGION,
        tick_seconds: float = 0.05,
        workers: int = 32,
        lambda_retry_delays: Sequence[float] = (1.0, 2.0),
        handoff_retry_base: float = 0.1,
        handoff_retry_max: float = 1.0,
        function_timeout_seconds: float = 900.0,
        sqs_endpoint_url: str | None = None,
        faults: Any | None = None,
    ) -> None:
        """
        functions: {function ARN: handler(event, context)}, the targets the stand-in knows.
        on_failure_destination: SQS queue (ARN or URL) for Lambda on-failure records.
        groups: watch only these schedule groups (default: all).
        lambda_retry_delays: delay before each async retry; its length is the retry count
            (AWS: 2 retries, about 1 min then 2 min apart).
        handoff_retry_base / handoff_retry_max: Scheduler's hand-off retry backoff (doubling).
        faults: fault-injection hook (a `belltower.local.faults.LocalFaults`, for `make chaos`):
            told of every hand-off, it may ask for a duplicate one. None (default): no faults.
        """
        self._functions: dict[str, Handler] = dict(functions or {})
        self._on_failure = on_failure_destination
        self._groups = None if groups is None else tuple(groups)
        self._account_id = account_id
        self._region = region
        self._tick_seconds = tick_seconds
        self._worker_count = workers
        self._lambda_retry_delays = tuple(lambda_retry_delays)
        self._handoff_retry_base = handoff_retry_base
        self._handoff_retry_max = handoff_retry_max
        self._function_timeout = function_timeout_seconds
        self._sqs_endpoint_url = sqs_endpoint_url
        self._faults = faults  # hook point: fault injection (None = the exact stand-in)

        # Scheduler-thread state: the parsed schedules and the heap of (due, seq, arn, token).
        self._entries: dict[str, _Entry] = {}  # by ARN
        self._versions: dict[Any, float] = {}  # moto Schedule object -> last_modified_date seen
        self._due: list[tuple[float, int, str, int]] = []
        self._seq = itertools.count()
        self._tokens = itertools.count(1)
        self._unsupported_logged: set[tuple[str, float]] = set()

        # Shared state, under _cond: timers (due, seq, fn, args), pending work, tick count.
        self._cond = threading.Condition()
        self._timers: list[tuple[float, int, Callable[..., None], tuple[Any, ...]]] = []
        self._pending = 0
        self._ticks = 0
        self._fired = 0
        self._last_tick_ms = 0.0

        self._work: queue.Queue[tuple[Callable[..., None], tuple[Any, ...]] | None] = queue.Queue()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._workers: list[threading.Thread] = []
        self._sqs: Any = None
        self._sqs_lock = threading.Lock()
        self._queue_urls: dict[str, str] = {}

    # --- public --------------------------------------------------------------------------------

    def register(self, function_arn: str, handler: Handler) -> None:
        self._functions[function_arn] = handler

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the local scheduler is already started")
        self._stopping.clear()
        self._workers = [
            threading.Thread(target=self._worker, name=f"belltower-lambda-{i}", daemon=True)
            for i in range(self._worker_count)
        ]
        for worker in self._workers:
            worker.start()
        self._thread = threading.Thread(target=self._loop, name="belltower-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 1.5) -> None:
        """Stop firing; drop queued work; join the threads (a handler still running is left)."""
        if self._thread is None:
            return
        deadline = time.monotonic() + timeout
        self._stopping.set()
        self._thread.join(max(0.0, deadline - time.monotonic()))
        while True:
            try:
                item = self._work.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                self._done()
        for _ in self._workers:
            self._work.put(None)
        for worker in self._workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        busy = sum(worker.is_alive() for worker in self._workers)
        if busy:
            log.warning("local scheduler stopped with %d handler(s) still running", busy)
        self._thread = None
        self._workers = []

    def invoke_async(self, function_arn: str, event: dict[str, Any]) -> str:
        """Lambda `Invoke` with InvocationType=Event: queue the event, return the request id."""
        handler = self._functions.get(function_arn)
        if handler is None:
            raise LookupError(f"ResourceNotFoundException: Function not found: {function_arn}")
        return self._start_invocation(function_arn, handler, json.dumps(event))

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until everything due has been handed off and no invocation or retry is pending."""
        deadline = time.monotonic() + timeout
        with self._cond:
            target_tick = self._ticks + 2
            while (self._thread is not None and self._ticks < target_tick) or self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def stats(self) -> dict[str, Any]:
        with self._cond:
            return {
                "schedules": len(self._entries),
                "fired": self._fired,
                "pending": self._pending,
                "ticks": self._ticks,
                "last_tick_ms": self._last_tick_ms,
            }

    # --- the loop ------------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                self._tick()
            except Exception:  # never let one bad tick stop the clock
                log.exception("local scheduler tick failed")
            elapsed = time.monotonic() - started
            with self._cond:
                self._ticks += 1
                self._last_tick_ms = elapsed * 1000
                self._cond.notify_all()
                next_timer = self._timers[0][0] if self._timers else None
            wait = self._tick_seconds
            for due in (self._due[0][0] if self._due else None, next_timer):
                if due is not None:
                    wait = min(wait, due - time.time())
            self._stopping.wait(max(0.001, wait))

    def _tick(self) -> None:
        self._sync()
        now = time.time()
        while self._due and self._due[0][0] <= now:
            due, _, arn, token = heapq.heappop(self._due)
            entry = self._entries.get(arn)
            if entry is not None and entry.token == token:
                self._fire(entry, datetime.fromtimestamp(due, timezone.utc))
        while True:
            with self._cond:
                if not self._timers or self._timers[0][0] > now:
                    break
                _, _, fn, args = heapq.heappop(self._timers)
            try:
                fn(*args)
            except Exception:
                log.exception("local scheduler timer failed")
            finally:
                self._done()

    # --- reading moto --------------------------------------------------------------------------

    def _backend(self) -> Any:
        from moto.scheduler.models import scheduler_backends

        return scheduler_backends[self._account_id][self._region]

    def _groups_now(self) -> list[Any]:
        groups = self._backend().schedule_groups
        if self._groups is None:
            return list(groups.values())
        return [g for g in (groups.get(name) for name in self._groups) if g is not None]

    def _sync(self) -> None:
        """Bring the parsed entries in line with moto; only changed schedules are re-parsed.

        moto updates a Schedule in place (bumping `last_modified_date`) and re-creates it as a new
        object, so (object identity, last_modified_date) tells exactly which ones changed.
        """
        versions = self._versions
        known = versions.get
        count = 0
        for group in self._groups_now():
            schedules = list(group.schedules.values())
            count += len(schedules)
            for schedule in schedules:
                if known(schedule) != schedule.last_modified_date:
                    self._load(schedule)
        if len(versions) > count:  # some schedules are gone
            present = {s for g in self._groups_now() for s in list(g.schedules.values())}
            for schedule in [s for s in versions if s not in present]:
                self._forget(schedule)

    def _forget(self, schedule: Any) -> None:
        self._versions.pop(schedule, None)
        entry = self._entries.get(schedule.arn)
        if entry is not None and entry.schedule is schedule:
            del self._entries[schedule.arn]

    def _load(self, schedule: Any) -> None:
        previous = self._entries.get(schedule.arn)
        if previous is not None and previous.schedule is not schedule:
            self._versions.pop(previous.schedule, None)  # deleted and re-created under one name
        entry = _Entry(
            schedule=schedule,
            version=schedule.last_modified_date,
            token=next(self._tokens),
            arn=schedule.arn,
            group=schedule.group_name,
            name=schedule.name,
            expression=schedule.schedule_expression or "",
            timezone=schedule.schedule_expression_timezone or "UTC",
            state=schedule.state or "ENABLED",
            target=schedule.target or {},  # moto replaces it on update, never edits it
            action_after_completion=schedule.action_after_completion,
            start_date=_as_datetime(schedule.start_date),
            end_date=_as_datetime(schedule.end_date),
            created=_as_datetime(schedule.creation_date),
        )
        if previous is not None and previous.schedule is schedule:
            entry.last_fired = previous.last_fired  # an update does not re-arm a fired time
        self._entries[entry.arn] = entry
        self._versions[schedule] = entry.version
        if entry.state != "ENABLED":
            return
        try:
            due = _next(entry, entry.last_fired)
        except ValueError as exc:
            self._log_unsupported(entry, exc)
            return
        if due is not None:
            heapq.heappush(self._due, (due.timestamp(), next(self._seq), entry.arn, entry.token))

    def _log_unsupported(self, entry: _Entry, exc: ValueError) -> None:
        key = (entry.arn, entry.version)
        if key not in self._unsupported_logged:
            self._unsupported_logged.add(key)
            log.warning("schedule %s will not fire locally: %s", entry.arn, exc)

    def _delete(self, entry: _Entry) -> None:
        """ActionAfterCompletion=DELETE: remove the schedule from moto, unless it changed since."""
        group = self._backend().schedule_groups.get(entry.group)
        if group is None:
            return
        current = group.schedules.get(entry.name)
        if current is entry.schedule and current.last_modified_date == entry.version:
            group.schedules.pop(entry.name, None)
            self._forget(current)
            log.info("deleted completed schedule %s", entry.arn)

    # --- firing and handing off (scheduler thread) ---------------------------------------------

    def _fire(self, entry: _Entry, scheduled_time: datetime) -> None:
        entry.last_fired = scheduled_time
        try:
            following = _next(entry, scheduled_time)
        except ValueError:
            following = None
        if following is not None:
            heapq.heappush(self._due, (following.timestamp(), next(self._seq), entry.arn, entry.token))
        with self._cond:
            self._fired += 1
        log.info("fired schedule %s (scheduled %s)", entry.arn, format_scheduled_time(scheduled_time))
        delete_after = following is None and (entry.action_after_completion or "NONE") == "DELETE"
        self._hand_off(_Fire(entry, scheduled_time, time.time(), delete_after))

    def _hand_off(self, fire: _Fire) -> None:
        entry = fire.entry
        target_arn = entry.target.get("Arn", "")
        execution_id = str(uuid.uuid4())
        payload = substitute_context(
            entry.target.get("Input") or "{}",
            schedule_arn=entry.arn,
            scheduled_time=fire.scheduled_time,
            execution_id=execution_id,
            attempt=fire.attempt,
        )
        handler = self._functions.get(target_arn)
        retryable = True
        if handler is None:
            error = ("ResourceNotFoundException", f"Function not found: {target_arn}")
        else:
            try:
                json.loads(payload)
            except ValueError:
                error = ("InvalidRequestContentException", "Could not parse request body into json")
                retryable = False
            else:
                self._start_invocation(target_arn, handler, payload)
                if self._faults is not None:  # hook point: fault injection (make chaos)
                    self._maybe_duplicate(fire, target_arn, handler, payload)
                self._complete(fire)
                return

        log.warning(
            "schedule %s: hand-off attempt %d to %s failed: %s", entry.arn, fire.attempt, target_arn, error[1]
        )
        condition: str | None = None
        if retryable:
            policy = entry.target.get("RetryPolicy") or {}
            max_retries = int(policy.get("MaximumRetryAttempts", 185))
            max_age = float(policy.get("MaximumEventAgeInSeconds", 86400))
            retries_done = fire.attempt - 1
            delay = min(self._handoff_retry_base * 2**retries_done, self._handoff_retry_max)
            if retries_done >= max_retries:
                condition = "MaximumRetryAttempts"
            elif time.time() + delay - fire.started > max_age:
                condition = "MaximumEventAgeInSeconds"
            else:
                fire.attempt += 1
                self._later(delay, self._hand_off, fire)
                return
        self._submit(self._dead_letter_event, fire, payload, execution_id, error, condition)
        self._complete(fire)

    def _maybe_duplicate(self, fire: _Fire, target_arn: str, handler: Handler, payload: str) -> None:
        """Fault-injection hook point: EventBridge may deliver a fire twice (at-least-once). When
        the faults ask for it, the same event is handed off again, with a new execution id."""
        delay = self._faults.on_handoff(fire.entry.name, fire.scheduled_time, payload)
        if delay is None:
            return
        again = substitute_context(
            fire.entry.target.get("Input") or "{}",
            schedule_arn=fire.entry.arn,
            scheduled_time=fire.scheduled_time,
            execution_id=str(uuid.uuid4()),
            attempt=fire.attempt,
        )
        log.info("duplicate fire of %s (injected, in %.2f s)", fire.entry.arn, delay)
        self._later(delay, self._start_invocation, target_arn, handler, again)

    def _complete(self, fire: _Fire) -> None:
        if fire.delete_after:
            self._delete(fire.entry)

    # --- Lambda asynchronous invocation (worker threads) ---------------------------------------

    def _start_invocation(self, function_arn: str, handler: Handler, payload: str) -> str:
        invocation = _Invocation(function_arn, handler, payload, str(uuid.uuid4()))
        self._submit(self._run_invocation, invocation)
        return invocation.request_id

    def _run_invocation(self, inv: _Invocation) -> None:
        event = json.loads(inv.payload)
        context = LambdaContext.for_function(
            inv.function_arn, aws_request_id=inv.request_id, timeout_seconds=self._function_timeout
        )
        try:
            inv.handler(event, context)
        except Exception as exc:
            log.warning(
                "function %s failed (request %s, attempt %d): %s: %s",
                context.function_name, inv.request_id, inv.attempt, type(exc).__name__, exc,
            )
            if inv.attempt <= len(self._lambda_retry_delays):
                delay = self._lambda_retry_delays[inv.attempt - 1]
                inv.attempt += 1
                self._later(delay, self._submit, self._run_invocation, inv)
            else:
                self._send_on_failure_record(inv, exc)

    def _send_on_failure_record(self, inv: _Invocation, exc: Exception) -> None:
        record = {
            "version": "1.0",
            "timestamp": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "requestContext": {
                "requestId": inv.request_id,
                "functionArn": f"{inv.function_arn}:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": inv.attempt,
            },
            "requestPayload": json.loads(inv.payload),
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "responsePayload": {
                "errorMessage": str(exc),
                "errorType": type(exc).__name__,
                "requestId": inv.request_id,
                "stackTrace": traceback.format_tb(exc.__traceback__),
            },
        }
        if not self._on_failure:
            log.error("function %s: retries exhausted, no on-failure destination: event dropped", inv.function_arn)
            return
        self._send_sqs(self._on_failure, json.dumps(record), {})
        log.warning("function %s: retries exhausted, invocation record sent to %s", inv.function_arn, self._on_failure)

    def _dead_letter_event(
        self, fire: _Fire, payload: str, execution_id: str, error: tuple[str, str], condition: str | None
    ) -> None:
        entry = fire.entry
        dlq = (entry.target.get("DeadLetterConfig") or {}).get("Arn")
        if not dlq:
            log.error("schedule %s: hand-off failed and no DeadLetterConfig: event dropped", entry.arn)
            return
        attributes = {
            "ERROR_CODE": error[0],
            "ERROR_MESSAGE": error[1],
            "EXECUTION_ID": execution_id,
            "IS_PAYLOAD_TRUNCATED": "false",
            "RETRY_ATTEMPTS": str(fire.attempt - 1),
            "SCHEDULED_TIME": format_scheduled_time(fire.scheduled_time),
            "SCHEDULE_ARN": entry.arn,
            "TARGET_ARN": entry.target.get("Arn", ""),
        }
        if condition:
            attributes["EXHAUSTED_RETRY_CONDITION"] = condition
        self._send_sqs(dlq, payload, attributes)
        log.warning("schedule %s: event sent to dead-letter queue %s", entry.arn, dlq)

    # --- plumbing ------------------------------------------------------------------------------

    def _submit(self, fn: Callable[..., None], *args: Any) -> None:
        with self._cond:
            self._pending += 1
        self._work.put((fn, args))

    def _later(self, delay: float, fn: Callable[..., None], *args: Any) -> None:
        with self._cond:
            self._pending += 1
            heapq.heappush(self._timers, (time.time() + delay, next(self._seq), fn, args))

    def _done(self) -> None:
        with self._cond:
            self._pending -= 1
            self._cond.notify_all()

    def _worker(self) -> None:
        while True:
            item = self._work.get()
            if item is None:
                return
            fn, args = item
            try:
                fn(*args)
            except BaseException:  # a worker survives anything a handler does
                log.exception("local worker task failed")
            finally:
                self._done()

    def _send_sqs(self, queue_ref: str, body: str, attributes: Mapping[str, str]) -> None:
        try:
            sqs = self._sqs_client()
            url = self._queue_url(sqs, queue_ref)
            sqs.send_message(
                QueueUrl=url,
                MessageBody=body,
                MessageAttributes={
                    name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()
                },
            )
        except Exception as exc:
            log.error("could not send to dead-letter queue %s: %s", queue_ref, exc)

    def _sqs_client(self) -> Any:
        with self._sqs_lock:
            if self._sqs is None:
                import boto3

                self._sqs = boto3.session.Session().client(
                    "sqs", region_name=self._region, endpoint_url=self._sqs_endpoint_url
                )
            return self._sqs

    def _queue_url(self, sqs: Any, queue_ref: str) -> str:
        if queue_ref.startswith(("http://", "https://")):
            return queue_ref
        url = self._queue_urls.get(queue_ref)
        if url is None:
            parts = queue_ref.split(":")  # arn:aws:sqs:<region>:<account>:<name>
            if len(parts) != 6 or parts[2] != "sqs":
                raise ValueError(f"not an SQS queue ARN: {queue_ref}")
            url = sqs.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"]
            self._queue_urls[queue_ref] = url
        return url


class LocalInvoker:
    """The Invoker port in local mode: hands events to the delivery function asynchronously."""

    def __init__(self, scheduler: LocalScheduler, function_arn: str) -> None:
        self._scheduler = scheduler
        self._function_arn = function_arn

    def invoke_delivery(self, event: dict[str, Any]) -> None:
        self._scheduler.invoke_async(self._function_arn, event)
