"""Booper (`/compat/booper`): `POST /api/jobs` and friends, translated onto native schedules.

Mapping (docs/compat.md has the full table):
- `method` (default "get", any case) → native `method` upper-cased; `url` → `endpoint`;
  `query`, `body`, `headers` pass through.
- `schedule_in` (seconds | [n, unit]) → `delay`; `scheduled_at` (datetime string, offset-less
  means UTC, or Unix seconds) → `fire_at`; neither → `delay: 1` (run now).
- `repeat_every` → `every`, `cron` → `cron`; with a recurrence, `schedule_in`/`scheduled_at`
  become the native `start_at` (the first run).
- `callback_url`, `webhook_url` pass through (native lifecycle events, see docs/compat.md).
- `idempotency_key` is kept in metadata; the router makes the first job win until it executes.
- What only the Booper response needs (the timing fields as sent) lives in `metadata.booper`.
- Dynamic fields (`$job`, `$state`, `$previous`, belltower.domain.dynamic_fields) are checked
  here; a body that uses them sets `metadata.booper.dynamic_fields`, and delivery expands them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from belltower.domain import dynamic_fields
from belltower.domain.durations import parse_duration
from belltower.domain.errors import BelltowerError, InvalidRequest, Unprocessable
from belltower.domain.models import Occurrence, Schedule
from belltower.domain.timing import format_utc, parse_fire_at

COMPAT = "booper"
METHODS = ("get", "post", "put", "patch", "delete")
FIELDS = frozenset({"method", "url", "query", "body", "headers", "schedule_in", "scheduled_at", "repeat_every",
                    "cron", "idempotency_key", "callback_url", "webhook_url", "name", "description"})  # fmt: skip
TIMING_ARGS = ("schedule_in", "scheduled_at", "repeat_every", "cron")
#: Native error params → the Booper field the client sent.
PARAMS = {"endpoint": "url", "delay": "schedule_in", "fire_at": "scheduled_at", "every": "repeat_every",
          "start_at": "schedule_in", "idempotency_key": "idempotency_key"}  # fmt: skip
_NAIVE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?", re.ASCII)
REDACTED = "[redacted]"


def _invalid(field: str, message: str) -> Unprocessable:
    return Unprocessable(message, param=field, code="invalid_field")


def _timestamp(value: Any) -> Any:
    """Booper's `scheduled_at`: an offset-less datetime string is UTC; otherwise native forms."""
    if isinstance(value, str) and _NAIVE.fullmatch(value):
        return value.replace(" ", "T") + "Z"
    return value


def to_native(body: Any, now: datetime) -> dict[str, Any]:
    """A Booper job request → a native create body (without the idempotency key)."""
    if not isinstance(body, Mapping):
        raise InvalidRequest("the request body must be a JSON object", code="invalid_json")
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise _invalid(unknown[0], f"unknown field {unknown[0]!r}")
    if not isinstance(body.get("url"), str) or not body["url"]:
        raise _invalid("url", "can't be blank")
    method = body.get("method", "get")
    if not isinstance(method, str) or method.lower() not in METHODS:
        raise _invalid("method", f"must be one of {', '.join(METHODS)}")
    try:
        dynamic = dynamic_fields.scan(body.get("body"))
    except dynamic_fields.InvalidReference as exc:
        raise _invalid("body", str(exc)) from None
    if "schedule_in" in body and "scheduled_at" in body:
        raise _invalid("scheduled_at", "set either schedule_in or scheduled_at, not both")
    if "repeat_every" in body and "cron" in body:
        raise _invalid("cron", "set either repeat_every or cron, not both")
    native: dict[str, Any] = {"endpoint": body["url"], "method": method.upper()}
    for key in ("query", "body", "headers", "callback_url", "webhook_url", "name", "description"):
        if body.get(key) is not None:
            native[key] = body[key]
    recurring = "repeat_every" in body or "cron" in body
    if recurring:
        if "repeat_every" in body:
            native["every"] = body["repeat_every"]
        else:
            native["cron"] = body["cron"]
        if "schedule_in" in body:
            native["start_at"] = format_utc(now + parse_duration(body["schedule_in"], param="schedule_in"))
        elif "scheduled_at" in body:
            native["start_at"] = format_utc(parse_fire_at(_timestamp(body["scheduled_at"]), param="scheduled_at"))
    elif "scheduled_at" in body:
        native["fire_at"] = _timestamp(body["scheduled_at"])
    else:
        native["delay"] = body.get("schedule_in", 1)
    args = {k: body[k] for k in TIMING_ARGS if k in body}
    meta: dict[str, Any] = {"compat": COMPAT, "booper": {"args": args}}
    if dynamic:
        meta["booper"]["dynamic_fields"] = True
    if body.get("idempotency_key") is not None:
        if not isinstance(body["idempotency_key"], str):
            raise _invalid("idempotency_key", "must be a string")
        meta["booper"]["idempotency_key"] = body["idempotency_key"]
    native["metadata"] = meta
    return native


def is_booper(schedule: Schedule) -> bool:
    return schedule.metadata.get("compat") == COMPAT


def executed(schedule: Schedule) -> bool:
    """Has the job run (so its idempotency key no longer holds new jobs back)?"""
    return schedule.run_count > 0 or schedule.state not in ("active", "paused")


def _naive(dt: datetime | None) -> str | None:
    return None if dt is None else dt.strftime("%Y-%m-%dT%H:%M:%S")


def _micro(dt: datetime | None) -> str | None:
    return None if dt is None else dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_OCC_STATES = {"scheduled": "available", "delivering": "executing", "retrying": "retryable",
               "succeeded": "completed", "failed": "discarded", "dead_lettered": "discarded",
               "expired": "discarded", "skipped": "discarded", "cancelled": "cancelled"}  # fmt: skip


def job_view(schedule: Schedule, last: Occurrence | None, now: datetime) -> dict[str, Any]:
    """The Oban-style `job` object: the job's latest run, or the one it waits for."""
    upcoming = schedule.upcoming(now, 1)
    state = "available"
    if schedule.state == "cancelled":
        state = "cancelled"
    elif last is not None and (schedule.kind == "one_shot" or not last.is_terminal or not upcoming):
        state = _OCC_STATES.get(last.state, "available")
    attempted = last.attempts[0].started_at if last is not None and last.attempts else None
    finished = last.completed_at if last is not None else None
    if upcoming and state == "available":
        scheduled = upcoming[0]
    else:
        scheduled = last.scheduled_for if last is not None else schedule.fire_at
    return {
        "attempted_at": _micro(attempted),
        "cancelled_at": _micro(schedule.updated_at) if state == "cancelled" else None,
        "completed_at": _micro(finished) if state == "completed" else None,
        "discarded_at": _micro(finished) if state == "discarded" else None,
        "has_confict": False,  # sic: Booper's spelling
        "id": schedule.id,
        "inserted_at": _micro(schedule.created_at),
        "scheduled_at": _micro(scheduled),
        "state": state,
    }


def args_view(schedule: Schedule) -> dict[str, Any]:
    """The request as Booper echoes it; header values are secrets natively, so they are redacted."""
    req = schedule.request
    args: dict[str, Any] = {
        "body": json.loads(req.body) if req.body_is_json and req.body is not None else req.body,
        "headers": {name: REDACTED for name in sorted(req.headers)},
        "method": (req.method or "get").lower(),
        "url": req.url,
    }
    if req.query:
        args["query"] = req.query
    for key in ("callback_url", "webhook_url"):
        if getattr(schedule, key):
            args[key] = getattr(schedule, key)
    args.update(schedule.metadata.get("booper", {}).get("args", {}))
    return dict(sorted(args.items()))


def job_response(schedule: Schedule, last: Occurrence | None, now: datetime) -> dict[str, Any]:
    """The `data` object of every Booper job response."""
    booper = schedule.metadata.get("booper", {})
    return {
        "id": schedule.id,
        "idempotency_key": booper.get("idempotency_key"),
        "inserted_at": _naive(schedule.created_at),
        "name": schedule.name,
        "description": schedule.description,
        "user_id": schedule.project_id,
        "schedule_id": schedule.id if schedule.kind == "recurring" else None,
        "job_id": schedule.id,
        "job": job_view(schedule, last, now),
        "args": args_view(schedule),
    }


def error_response(error: BelltowerError) -> tuple[int, dict[str, Any]]:
    """Phoenix-style errors: `{"errors": {"<field>": ["message"]}}`, or `{"errors": {"detail": ...}}`."""
    if error.status in (401, 404, 405, 409, 429, 503) or error.param is None:
        detail = {401: "Unauthorized", 404: "Not Found"}.get(error.status, error.message)
        return error.status, {"errors": {"detail": detail if error.status in (401, 404) else error.message}}
    field = PARAMS.get(error.param, error.param)
    status = 422 if error.status in (400, 422) else error.status
    return status, {"errors": {field: [error.message]}}
