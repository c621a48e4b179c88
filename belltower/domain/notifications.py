"""Webhooks and callbacks (pure): who is told what when a schedule's occurrences move on.

- `webhook_url` receives each lifecycle event of the schedule (the event JSON, `events.Event`);
- `callback_url` receives the result of each finished occurrence (succeeded, dead-lettered or
  expired; skipped and cancelled ones were never attempted); `failure_callback_url` only the
  failures. The body is `{id, object: "callback", type, created_at, data}`.

Each is a signed POST (Standard Webhooks, the project's secrets) whose `webhook-id` is the
message id, the same on every retry: the event id, or for a callback an id derived from the
occurrence and kind.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from belltower.domain.events import FINISHED
from belltower.domain.ids import derived_id
from belltower.domain.models import Occurrence, Schedule
from belltower.domain.retry import RetryPolicy
from belltower.domain.timing import format_utc

WEBHOOK, CALLBACK, FAILURE_CALLBACK = "webhook", "callback", "failure_callback"
KINDS = (WEBHOOK, CALLBACK, FAILURE_CALLBACK)
FAILED_STATES = frozenset({"dead_lettered", "expired"})
#: 6 attempts: at once, then after ~30 s, 2 m, 8 m, 32 m and 2 h (with jitter): about 2.7 h in all.
POLICY = RetryPolicy(max_attempts=6, strategy="exponential", base=timedelta(seconds=30), factor=4,
                     max=timedelta(hours=2), jitter=True)  # fmt: skip
TIMEOUT = timedelta(seconds=10)
#: Response headers a callback does not repeat: they may carry credentials or session state.
_SECRET_HEADER = re.compile(r"cookie|auth|token|secret|session|key|signature|credential", re.IGNORECASE)


@dataclass(frozen=True)
class Notification:
    kind: str
    url: str
    message_id: str
    payload: dict[str, Any]


def callbacks_due(schedule: Schedule, occ: Occurrence) -> list[tuple[str, str]]:
    """(kind, url) of the callbacks an occurrence that just finished in `occ.state` triggers."""
    due = []
    if schedule.callback_url and occ.state in FINISHED:
        due.append((CALLBACK, schedule.callback_url))
    if schedule.failure_callback_url and occ.state in FAILED_STATES:
        due.append((FAILURE_CALLBACK, schedule.failure_callback_url))
    return due


def callback_message_id(occ: Occurrence, kind: str) -> str:
    return derived_id("msg", occ.completed_at, occ.id, kind)


def safe_response_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if not _SECRET_HEADER.search(name)}


def callback(kind: str, url: str, occ: Occurrence, response_headers: Mapping[str, str], now: datetime) -> Notification:
    """The result of a finished occurrence: state, last status, headers, body excerpt, attempts."""
    last = occ.attempts[-1] if occ.attempts else None
    message_id = callback_message_id(occ, kind)
    payload = {
        "id": message_id,
        "object": "callback",
        "type": FINISHED[occ.state],
        "created_at": format_utc(now),
        "data": {
            "schedule_id": occ.schedule_id,
            "occurrence_id": occ.id,
            "scheduled_for": format_utc(occ.scheduled_for),
            "state": occ.state,
            "outcome": occ.outcome,
            "completed_at": None if occ.completed_at is None else format_utc(occ.completed_at),
            "status_code": last.status_code if last else None,
            "response_headers": safe_response_headers(response_headers),
            "body_excerpt": last.response_excerpt if last else None,
            # Without their excerpts: a callback stays small (and fits an EventBridge input).
            "attempts": [{k: v for k, v in a.to_doc().items() if k != "response_excerpt"} for a in occ.attempts],
        },
    }
    return Notification(kind, url, message_id, payload)
