"""Pipedream "New Scheduled Tasks" (`/compat/pipedream`) onto native one-shot schedules.

- `POST /schedule {timestamp, message}` → a one-shot schedule: `fire_at` = `timestamp` (ISO 8601;
  without an offset it is UTC; a time that has passed fires now), delivered as
  `POST {"message", "timestamp", "id"}` to the project's endpoint profile named `pipedream`.
  Answer: `200 {"msg": "Successfully scheduled task", "id": "<schedule id>"}`.
- `POST /cancel {id}` → cancel; `200 {"msg": "Cancelled scheduled task"}`, or
  `404 {"errors": ["No event with id found"]}` when there is no such pending task.
- Errors: `400 {"errors": ["..."]}` listing every problem (timestamp, message, secret).
- The secret (`x-pd-secret`) is a Belltower API key.
- "Emitted" events: the first `occurrence.started` of a Pipedream schedule's occurrence, with the
  payload `{"message", "timestamp", "id"}` read from the schedule (`emitted_event`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from belltower.domain.errors import BelltowerError
from belltower.domain.events import OCCURRENCE_STARTED, Event
from belltower.domain.models import Schedule
from belltower.domain.timing import format_utc, parse_rfc3339

COMPAT = "pipedream"
PROFILE_NAME = "pipedream"
MAX_AHEAD = timedelta(days=366)
SCHEDULED = "Successfully scheduled task"
CANCELLED = "Cancelled scheduled task"
NO_TIMESTAMP = "No timestamp included in payload"
BAD_TIMESTAMP = "timestamp must be in ISO 8601 format"
TOO_FAR = "timestamp must be at most one year in the future"
NO_MESSAGE = "No message included in payload"
BAD_SECRET = "Secret on incoming request doesn't match the configured secret"
NOT_FOUND = "No event with id found"
NO_PROFILE = 'no endpoint profile named "pipedream": create one (POST /v1/endpoints) to receive emitted tasks'
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_NAIVE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?", re.ASCII)


def parse_timestamp(value: Any) -> datetime | None:
    """An ISO 8601 timestamp (as `Date.toISOString()` writes it, or with an offset, or a date)."""
    if not isinstance(value, str):
        return None
    if _DATE.fullmatch(value):
        value += "T00:00:00Z"
    elif _NAIVE.fullmatch(value):
        value += "Z"
    try:
        return parse_rfc3339(value, param="timestamp")
    except BelltowerError:
        return None


def schedule_errors(body: Any, now: datetime) -> list[str]:
    """Everything wrong with a `/schedule` body (empty when it is fine)."""
    if not isinstance(body, Mapping):
        return [NO_TIMESTAMP, NO_MESSAGE]
    errors = []
    if body.get("timestamp") in (None, ""):
        errors.append(NO_TIMESTAMP)
    else:
        at = parse_timestamp(body["timestamp"])
        if at is None:
            errors.append(BAD_TIMESTAMP)
        elif at - now > MAX_AHEAD:
            errors.append(TOO_FAR)
    if body.get("message") is None:
        errors.append(NO_MESSAGE)
    return errors


def to_native(body: Mapping[str, Any], *, schedule_id: str, endpoint_id: str, now: datetime) -> dict[str, Any]:
    """A valid `/schedule` body → a native create body delivering the emitted payload."""
    at = parse_timestamp(body["timestamp"])
    timing: dict[str, Any] = {"fire_at": format_utc(at)} if at - now >= timedelta(seconds=1) else {"delay": 1}
    return {"endpoint_id": endpoint_id, "method": "POST", **timing,
            "body": {"message": body["message"], "timestamp": body["timestamp"], "id": schedule_id},
            "metadata": {"compat": COMPAT}}  # fmt: skip


def is_pipedream(schedule: Schedule) -> bool:
    return schedule.metadata.get("compat") == COMPAT


def cancel_id(body: Any) -> str | None:
    value = body.get("id") if isinstance(body, Mapping) else None
    return value if isinstance(value, str) else None


def is_emission(event: Event) -> bool:
    """The event that marks an emission: the first attempt of an occurrence starting."""
    return event.type == OCCURRENCE_STARTED and event.data.get("attempt") == 1


def emitted_payload(schedule: Schedule) -> dict[str, Any] | None:
    req = schedule.request
    return json.loads(req.body) if req.body_is_json and req.body is not None else None


def sse_message(event_id: str, payload: Mapping[str, Any]) -> str:
    return f"id: {event_id}\nevent: message\ndata: {json.dumps(payload, separators=(',', ':'))}\n\n"


def errors_body(errors: list[str]) -> dict[str, Any]:
    return {"errors": errors}


def error_response(error: BelltowerError) -> tuple[int, dict[str, Any]]:
    """Engine errors on these routes, in Pipedream's shape (400 for anything the caller sent)."""
    if error.status == 401:
        return 400, errors_body([BAD_SECRET])
    if error.status == 404:
        return 404, errors_body([NOT_FOUND])
    return (error.status if error.status in (405, 429, 503) else 400), errors_body([error.message])
