"""The small interfaces the service layer needs from the outside world.

Each has one AWS adapter in `belltower.adapters` and, where tests or local mode need it, a
stand-in. The service layer depends on these protocols only; nothing above the adapters imports
boto3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class TimerSpec:
    """An EventBridge schedule that invokes the delivery function with `payload`: one-time at
    `fire_at`, or recurring on `expression` (cron()/rate()) in `timezone`."""

    name: str
    payload: dict[str, Any]
    fire_at: datetime | None = None  # aware, UTC
    expression: str | None = None
    timezone: str = "UTC"
    start_date: datetime | None = None
    end_date: datetime | None = None
    enabled: bool = True


class Timers(Protocol):
    """EventBridge Scheduler, as Belltower uses it."""

    def put(self, spec: TimerSpec) -> None:
        """Create (or, if it exists, replace) a schedule. Raises SchedulerUnavailable."""

    def delete(self, name: str) -> None:
        """Delete a schedule; a missing one is not an error."""


class Invoker(Protocol):
    """Hands an event to the delivery function asynchronously (work that is due now)."""

    def invoke_delivery(self, event: dict[str, Any]) -> None: ...


class DeadLetters(Protocol):
    def send(self, message: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class HttpResponse:
    status_code: int | None  # None: no response (timeout, connection error, forbidden address)
    duration_ms: int
    headers: dict[str, str] = field(default_factory=dict)
    body_excerpt: str = ""
    error: str | None = None
    #: True when retrying cannot help (the destination resolved to a forbidden address).
    permanent: bool = False


class HttpSender(Protocol):
    def send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        timeout: float,
    ) -> HttpResponse: ...


class Clock(Protocol):
    def now(self) -> datetime: ...

    def sleep(self, seconds: float) -> None: ...
