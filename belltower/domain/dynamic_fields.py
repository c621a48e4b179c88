"""Dynamic fields in a delivered body (Booper's `$job`, `$state`, `$previous`), expanded purely
from the schedule, the occurrence being delivered and the schedule's earlier occurrences.

A reference is a string that is exactly `$job`, `$state` or `$previous`, or one of them followed
by a path of `.`-separated segments (`$previous.body.items.0.id`: an object member, or a list
index). Wherever a JSON body (at any depth, or the whole body) holds a reference as a value, it is
replaced by the value it names, keeping its JSON type; a path that leads nowhere gives null.
Other strings (`"$jobs"`, `"run $job"`) and object keys are sent as they are.

- `$job`: this delivery: `{"id", "schedule_id", "name", "occurrence_id", "scheduled_at", "attempt"}`
  (`id` is the job id, as the Booper API shows it; `schedule_id` is null for a one-shot job).
- `$previous`: the job's previous run, i.e. the newest earlier occurrence that made an attempt:
  `{"occurrence_id", "scheduled_at", "state", "status_code", "body", "error", "completed_at"}`,
  from its last attempt; `body` is the response body (the first 4 KB the engine keeps), parsed
  when it is JSON. null before the first run.
- `$state`: the `state` member of the JSON object the job's latest successful run answered, so a
  receiver carries state from one run to the next by answering `{"state": ...}`. null before
  that, or when the latest successful run answered without one.

Only schedules that opt in are expanded (`opted_in`: `metadata.booper.dynamic_fields`, set by the
Booper route when a body holds a reference); every other body is delivered verbatim.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from belltower.domain.models import DeliveryRequest, Occurrence, Schedule
from belltower.domain.timing import format_utc

NAMES = ("job", "state", "previous")
#: Each reference can expand to about 4 KB (a response excerpt): a bound on what a body can grow to.
MAX_REFERENCES = 32
_LOOKS_LIKE = re.compile(r"\$(job|state|previous)(\.|\Z)", re.ASCII)
_REFERENCE = re.compile(r"\$(job|state|previous)((?:\.[^.]+)*)", re.ASCII)


class InvalidReference(ValueError):
    """A body whose dynamic fields cannot be expanded (the message says why)."""


def reference(value: Any) -> tuple[str, list[str]] | None:
    """`"$previous.body.id"` → ("previous", ["body", "id"]); None for anything that is not a reference.
    InvalidReference for a string that starts like one but has an empty path segment."""
    if not isinstance(value, str) or not _LOOKS_LIKE.match(value):
        return None
    match = _REFERENCE.fullmatch(value)
    if match is None:
        raise InvalidReference(f"{value!r} is not a valid dynamic field: use $job, $state or $previous, "
                               "optionally followed by .member or .0 (a list index) segments")  # fmt: skip
    path = match.group(2)
    return match.group(1), path[1:].split(".") if path else []


def _walk(value: Any, found: list[str], strict: bool) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if strict and reference(key) is not None:
                raise InvalidReference(f"dynamic fields are expanded in values, not in keys: {key!r}")
            _walk(item, found, strict)
    elif isinstance(value, list):
        for item in value:
            _walk(item, found, strict)
    else:
        try:
            ref = reference(value)
        except InvalidReference:
            if strict:
                raise
            ref = None
        if ref is not None:
            found.append(ref[0])
            if strict and len(found) > MAX_REFERENCES:
                raise InvalidReference(f"a body holds at most {MAX_REFERENCES} dynamic fields")


def scan(body: Any) -> list[str]:
    """The names (sorted) of the dynamic fields a body uses; InvalidReference for a malformed one,
    one used as an object key, or too many."""
    found: list[str] = []
    _walk(body, found, strict=True)
    return sorted(set(found))


def used_in(request: DeliveryRequest) -> frozenset[str]:
    """The dynamic fields the request's body uses (what must be looked up to expand it). A body
    edited with `/v1` is not checked: what is not a valid reference there is sent as it is."""
    found: list[str] = []
    try:
        _walk(_body_value(request), found, strict=False)
    except ValueError:
        return frozenset()
    return frozenset(found)


def opted_in(schedule: Schedule) -> bool:
    booper = schedule.metadata.get("booper") if schedule.metadata.get("compat") == "booper" else None
    return isinstance(booper, Mapping) and booper.get("dynamic_fields") is True


def _body_value(request: DeliveryRequest) -> Any:
    if request.body is None:
        return None
    return json.loads(request.body) if request.body_is_json else request.body


def response_body(excerpt: str | None) -> Any:
    """A recorded response body: its JSON value when it is JSON, else the text (null when empty)."""
    if not excerpt:
        return None
    try:
        return json.loads(excerpt, parse_constant=_not_json)
    except (ValueError, RecursionError):
        return excerpt


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def job_value(schedule: Schedule, occ: Occurrence, attempt: int) -> dict[str, Any]:
    return {
        "id": schedule.id,
        "schedule_id": schedule.id if schedule.kind == "recurring" else None,
        "name": schedule.name,
        "occurrence_id": occ.id,
        "scheduled_at": format_utc(occ.scheduled_for),
        "attempt": attempt,
    }


def previous_value(earlier: Sequence[Occurrence]) -> dict[str, Any] | None:
    """`earlier`: the schedule's occurrences before the one being delivered, newest first."""
    run = next((o for o in earlier if o.attempts), None)
    if run is None:
        return None
    last = run.attempts[-1]
    return {
        "occurrence_id": run.id,
        "scheduled_at": format_utc(run.scheduled_for),
        "state": run.state,
        "status_code": last.status_code,
        "body": response_body(last.response_excerpt),
        "error": last.error,
        "completed_at": format_utc(run.completed_at) if run.completed_at else None,
    }


def state_value(earlier: Sequence[Occurrence]) -> Any:
    run = next((o for o in earlier if o.state == "succeeded" and o.attempts), None)
    body = response_body(run.attempts[-1].response_excerpt) if run is not None else None
    return body.get("state") if isinstance(body, Mapping) else None


def context(schedule: Schedule, occ: Occurrence, attempt: int, earlier: Sequence[Occurrence]) -> dict[str, Any]:
    return {"job": job_value(schedule, occ, attempt), "previous": previous_value(earlier),
            "state": state_value(earlier)}  # fmt: skip


def _lookup(value: Any, path: list[str]) -> Any:
    for segment in path:
        if isinstance(value, Mapping):
            value = value.get(segment)
        elif isinstance(value, list) and segment.isascii() and segment.isdigit() and int(segment) < len(value):
            value = value[int(segment)]
        else:
            return None
    return value


def expand(value: Any, ctx: Mapping[str, Any]) -> Any:
    """`value` with every reference replaced by what it names in `ctx` (see `context`)."""
    if isinstance(value, Mapping):
        return {key: expand(item, ctx) for key, item in value.items()}
    if isinstance(value, list):
        return [expand(item, ctx) for item in value]
    try:
        ref = reference(value)
    except InvalidReference:
        return value
    return value if ref is None else _lookup(ctx.get(ref[0]), ref[1])


def expand_request(request: DeliveryRequest, ctx: Mapping[str, Any]) -> DeliveryRequest:
    """The request with its body expanded. A whole body that is one reference becomes JSON (with
    `Content-Type: application/json`) unless it names a string, which is sent as text."""
    try:
        value = _body_value(request)
    except ValueError:
        return request
    if value is None:
        return request
    expanded = expand(value, ctx)
    if not request.body_is_json and isinstance(expanded, str):
        return replace(request, body=expanded)
    return replace(request, body=json.dumps(expanded, separators=(",", ":"), ensure_ascii=False), body_is_json=True)
