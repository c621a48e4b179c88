"""Fault injection for local mode (`make chaos`). Nothing here runs unless it is installed.

`LocalFaults` bundles the faults the chaos run injects into a local Belltower, each decided by a
seeded draw (`draw`) so a run is reproducible:

- AWS throttling: a botocore `before-send` hook on the container's boto3 session answers a
  fraction of the HTTP requests to EventBridge Scheduler and DynamoDB with the error AWS sends
  when it throttles (Scheduler `429 ThrottlingException`, DynamoDB `400
  ProvisionedThroughputExceededException`). The request never reaches the embedded AWS. Because it
  is injected at `before-send`, botocore parses and retries it exactly as it would a real one: the
  client retry configuration decides how many surface to Belltower (`retry_mode`/`max_attempts`,
  set on the container's session only). `after-call` counts the ones that surfaced.
- Killed deliveries: the container's `HttpSender` is wrapped; for a fraction of attempts (decided
  per Idempotency-Key and Belltower-Attempt, the first time that attempt is sent) it raises
  `FunctionKilled`, either before the request goes out or after the response came back, before
  Belltower records it. The local Lambda stand-in treats that like a crashed invocation and
  replays the event after its async-retry delays, as Lambda does.
- Duplicate fires: `LocalScheduler(faults=...)` calls `on_handoff` for each event it hands to the
  delivery function; for a fraction of fire times a second invocation of the same event (a new
  execution id) follows a moment later, as EventBridge's at-least-once delivery allows.

The hooks are installed by `belltower.local.dev.run_dev(faults=...)`; the throttles start
disarmed so start-up (provisioning, the dev API key) is not throttled: call `arm()`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

log = logging.getLogger("local.faults")  # outside "belltower.*", whose loggers print Powertools JSON


def draw(seed: int, *parts: object) -> float:
    """A uniform number in [0, 1) determined by `seed` and `parts` alone."""
    digest = hashlib.sha256("\x1f".join([str(seed), *map(str, parts)]).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class FunctionKilled(Exception):
    """The delivery function "died" mid-attempt (injected). An Exception, so the local Lambda
    stand-in retries the event like any function error."""


# --- AWS throttling ------------------------------------------------------------------------------

class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any):
        yield self._data


#: service id (botocore, hyphenized) -> (HTTP status, error code, headers, body) of its throttle.
THROTTLE_RESPONSES: dict[str, tuple[int, str, dict[str, str], dict[str, str]]] = {
    "scheduler": (429, "ThrottlingException",
                  {"x-amzn-ErrorType": "ThrottlingException", "Content-Type": "application/json"},
                  {"Message": "Rate exceeded"}),
    "dynamodb": (400, "ProvisionedThroughputExceededException",
                 {"Content-Type": "application/x-amz-json-1.0"},
                 {"__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                  "message": "The level of configured provisioned throughput for the table was exceeded."}),
}  # fmt: skip


class AwsThrottler:
    """Answers `rate` of the HTTP requests to the given services with a throttling error."""

    def __init__(self, seed: int, rate: float, services: tuple[str, ...] = ("scheduler", "dynamodb")) -> None:
        self.seed = seed
        self.rate = rate
        self.services = services
        self.armed = threading.Event()
        self.injected: Counter[str] = Counter()  # "service.Operation" -> throttled HTTP requests
        self.surfaced: Counter[str] = Counter()  # ... -> calls that failed with it after retries
        self.requests: Counter[str] = Counter()  # ... -> HTTP requests seen while armed
        self._sequence = 0
        self._lock = threading.Lock()

    def install(self, events: Any) -> None:
        for service in self.services:
            events.register(f"before-send.{service}", self._before_send)
            events.register(f"after-call.{service}", self._after_call)

    def _before_send(self, request: Any, **kwargs: Any) -> Any:
        if not self.armed.is_set():
            return None
        service, operation = _operation(kwargs.get("event_name", ""))
        with self._lock:
            self._sequence += 1
            sequence = self._sequence
            self.requests[f"{service}.{operation}"] += 1
        if service not in THROTTLE_RESPONSES or draw(self.seed, "throttle", sequence) >= self.rate:
            return None
        with self._lock:
            self.injected[f"{service}.{operation}"] += 1
        from botocore.awsrequest import AWSResponse

        status, _, headers, body = THROTTLE_RESPONSES[service]
        return AWSResponse(request.url, status, {**headers, "x-amzn-RequestId": f"chaos-{sequence}"},
                           _Body(json.dumps(body).encode()))  # fmt: skip

    def _after_call(self, http_response: Any = None, parsed: Any = None, **kwargs: Any) -> None:
        code = (parsed or {}).get("Error", {}).get("Code") if isinstance(parsed, dict) else None
        if code in {response[1] for response in THROTTLE_RESPONSES.values()}:
            service, operation = _operation(kwargs.get("event_name", ""))
            with self._lock:
                self.surfaced[f"{service}.{operation}"] += 1


def _operation(event_name: str) -> tuple[str, str]:
    parts = event_name.split(".")
    return (parts[1] if len(parts) > 1 else "?"), (parts[2] if len(parts) > 2 else "?")


# --- killed deliveries -----------------------------------------------------------------------------

class KillingHttpSender:
    """Wraps an HttpSender; kills `rate` of the attempts, once each, before or after the send."""

    def __init__(self, inner: Any, seed: int, rate: float) -> None:
        self.inner = inner
        self.seed = seed
        self.rate = rate
        self.kills: list[tuple[str, str, str]] = []  # (occurrence id, attempt, "before_send"|"after_send")
        self._seen: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def send(self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float) -> Any:
        key = (headers.get("Idempotency-Key", ""), headers.get("Belltower-Attempt", ""))
        with self._lock:
            first = key not in self._seen
            self._seen.add(key)
        kill = first and self.rate > 0 and draw(self.seed, "kill", *key) < self.rate
        point = "before_send" if draw(self.seed, "kill-point", *key) < 0.5 else "after_send"
        if kill and point == "before_send":
            self._killed(key, point)
        response = self.inner.send(method, url, headers, body, timeout)
        if kill:
            self._killed(key, point)
        return response

    def _killed(self, key: tuple[str, str], point: str) -> None:
        with self._lock:
            self.kills.append((key[0], key[1], point))
        raise FunctionKilled(f"injected: delivery function killed {point.replace('_', ' ')} "
                             f"(occurrence {key[0]}, attempt {key[1]})")  # fmt: skip


# --- all of them -----------------------------------------------------------------------------------

@dataclass
class LocalFaults:
    """The faults of one chaos run. Pass to `run_dev(faults=...)`; `arm()` once it is ready."""

    seed: int = 0
    throttle_rate: float = 0.0  # of HTTP requests to Scheduler and DynamoDB
    kill_rate: float = 0.0  # of delivery attempts
    duplicate_rate: float = 0.0  # of fire times
    duplicate_delay_max: float = 2.0  # seconds after the first hand-off
    #: botocore retry configuration of the container's clients (None: botocore's default).
    retry_mode: str | None = "standard"
    max_attempts: int | None = 2

    throttler: AwsThrottler = field(init=False)
    killer: KillingHttpSender | None = field(init=False, default=None)
    container: Any = field(init=False, default=None)
    scheduler: Any = field(init=False, default=None)
    #: every event handed to a function by the stand-in: (schedule name, scheduled time, event)
    handoffs: list[tuple[str, datetime, dict[str, Any]]] = field(init=False, default_factory=list)
    duplicates: list[tuple[str, datetime, float]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.throttler = AwsThrottler(self.seed, self.throttle_rate)
        self._lock = threading.Lock()

    def install(self, container: Any, scheduler: Any) -> None:
        """Called by run_dev before the container makes its first AWS client."""
        self.container, self.scheduler = container, scheduler
        session = container.session
        if self.retry_mode is not None:
            session._session.set_config_variable("retry_mode", self.retry_mode)
        if self.max_attempts is not None:
            session._session.set_config_variable("max_attempts", self.max_attempts)
        self.throttler.install(session.events)
        self.killer = KillingHttpSender(container.http, self.seed, self.kill_rate)
        container.http = self.killer  # replaces the cached adapter on this container only

    def arm(self) -> None:
        self.throttler.armed.set()

    def disarm(self) -> None:
        self.throttler.armed.clear()

    # --- LocalScheduler hook ----------------------------------------------------------------------
    def on_handoff(self, schedule_name: str, scheduled_time: datetime, payload: str) -> float | None:
        """Record the hand-off; return a delay to hand the same event off again (a duplicate)."""
        try:
            event = json.loads(payload)
        except ValueError:
            event = {}
        with self._lock:
            self.handoffs.append((schedule_name, scheduled_time, event))
        if self.duplicate_rate <= 0 or draw(self.seed, "duplicate", schedule_name, scheduled_time.isoformat()) >= self.duplicate_rate:
            return None
        delay = self.duplicate_delay_max * draw(self.seed, "duplicate-delay", schedule_name, scheduled_time.isoformat())
        with self._lock:
            self.duplicates.append((schedule_name, scheduled_time, delay))
        return delay

    def summary(self) -> dict[str, Any]:
        t = self.throttler
        return {
            "aws_requests_while_armed": sum(t.requests.values()),
            "throttled_requests": sum(t.injected.values()),
            "throttles_surfaced": sum(t.surfaced.values()),
            "throttles_surfaced_by_operation": dict(t.surfaced),
            "kills": len(self.killer.kills) if self.killer else 0,
            "duplicate_fires": len(self.duplicates),
            "handoffs": len(self.handoffs),
        }
