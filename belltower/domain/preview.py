"""Previews: the next fire times of a timing, exactly those that will be delivered (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from belltower.domain.errors import InvalidRequest
from belltower.domain.paging import parse_limit
from belltower.domain.models import Schedule
from belltower.domain.schedule_request import parse_max_runs, parse_timing
from belltower.domain.timing import (
    TIMING_FIELDS,
    format_local,
    format_utc,
    load_timezone,
    OneShotTiming,
    parse_rfc3339,
)

DEFAULT_LIMIT = 10
PREVIEW_FIELDS = frozenset(TIMING_FIELDS) | {"timezone", "start_at", "end_at", "max_runs", "limit", "start_from"}


def parse_start_from(value: Any, now: datetime) -> datetime:
    return now if value is None else parse_rfc3339(value, param="start_from")


def schedule_preview(schedule: Schedule, start_from: datetime, limit: int) -> dict[str, Any]:
    """The runs a stored schedule will still deliver, from `start_from` (inclusive)."""
    zone = load_timezone(schedule.timezone)
    if schedule.kind == "recurring":
        runs = [] if schedule.state != "active" else schedule.recurrence().preview(start_from, limit)
        if schedule.max_runs is not None:
            runs = runs[: max(schedule.max_runs - schedule.run_count, 0)]
    else:
        fire = schedule.upcoming(start_from, 1)
        runs = [{"at": format_utc(at), "local": format_local(at, zone), "dst": None} for at in fire]
    return {"object": "preview", "timezone": schedule.timezone, "runs": runs}


def timing_preview(body: Any, now: datetime) -> dict[str, Any]:
    """Validate any timing fields (+ `limit`, `start_from`) and return their runs; nothing is
    created (POST /v1/preview). Errors are those of a create with the same fields."""
    if not isinstance(body, Mapping):
        raise InvalidRequest("the request body must be a JSON object", code="invalid_json")
    for key in body:
        if key not in PREVIEW_FIELDS:
            raise InvalidRequest(f"unknown field `{key}` (a preview takes timing fields only)",
                                 param=key, code="unknown_field")  # fmt: skip
    limit = parse_limit(body.get("limit"), default=DEFAULT_LIMIT)
    start_from = parse_start_from(body.get("start_from"), now)
    timing = parse_timing(body, now)
    if isinstance(timing, OneShotTiming):
        zone = load_timezone(timing.timezone)
        runs = [] if timing.fire_at < start_from else [
            {"at": format_utc(timing.fire_at), "local": format_local(timing.fire_at, zone), "dst": timing.dst}]
    else:
        runs = timing.preview(start_from, limit)[: parse_max_runs(body.get("max_runs"))]
    return {"object": "preview", "timezone": timing.timezone, "runs": runs}
