"""Typed test doubles for the ports (belltower.ports)."""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from belltower.ports import HttpResponse


class FakeClock:
    """Time that moves only when told to (or when code sleeps)."""

    def __init__(self, start: datetime):
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self.current = start
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.current += timedelta(seconds=seconds)

    def advance(self, delta: timedelta) -> None:
        self.current += delta


class RecordingInvoker:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def invoke_delivery(self, event: dict[str, Any]) -> None:
        self.events.append(event)


@dataclass
class SentRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    timeout: float


@dataclass
class ScriptedHttp:
    """Answers each URL from a script; the last answer repeats. Default: 200."""

    scripts: dict[str, deque[HttpResponse]] = field(default_factory=lambda: defaultdict(deque))
    sent: list[SentRequest] = field(default_factory=list)

    def script(self, url: str, *responses: HttpResponse) -> None:
        self.scripts[url].extend(responses)

    def send(self, method, url, headers, body, timeout) -> HttpResponse:
        self.sent.append(SentRequest(method, url, headers, body, timeout))
        queue = self.scripts.get(url)
        if not queue:
            return HttpResponse(200, 5, body_excerpt="ok")
        return queue.popleft() if len(queue) > 1 else queue[0]


def status(code: int | None, *, headers: dict[str, str] | None = None, error: str | None = None,
           permanent: bool = False) -> HttpResponse:  # fmt: skip
    return HttpResponse(code, 7, headers=headers or {}, body_excerpt=f"status {code}", error=error,
                        permanent=permanent)  # fmt: skip
