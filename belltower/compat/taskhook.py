"""Taskhook (`/compat/taskhook`): `/v1/schedules` (cron + timezone + task_template) onto native
recurring schedules; a schedule's tasks are its native occurrences.

- `task_template.target` → `endpoint`, `.payload` → `body` (JSON, POST), optional `.method`,
  `.headers` pass through.
- `cron`, `timezone`, `start_at`, `end_at` are the native fields (an offset-less ISO 8601 time is
  UTC); `enabled: false` creates the schedule paused.
- "No new task while the previous one is retrying or processing" is native `overlap: "skip"`;
  "missed tasks from the last hour are created on restart" is the native catch-up window (1 h).
- status: native active → "active", paused → "disabled", completed → "completed",
  cancelled → "deleted". Task status: scheduled → "queued", delivering/retrying → "processing",
  succeeded → "completed", failed/dead_lettered/expired → "failed", skipped → "skipped",
  cancelled → "cancelled".
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from belltower.domain.errors import BelltowerError, InvalidRequest
from belltower.domain.models import Occurrence, Schedule
from belltower.domain.timing import format_utc

COMPAT = "taskhook"
CREATE_FIELDS = frozenset({"cron", "timezone", "task_template", "start_at", "end_at", "enabled"})
REQUIRED = ("cron", "timezone", "task_template")
TEMPLATE_FIELDS = frozenset({"target", "payload", "method", "headers"})
STATUSES = {"active": "active", "paused": "disabled", "completed": "completed", "cancelled": "deleted"}
TASK_STATUSES = {"scheduled": "queued", "delivering": "processing", "retrying": "processing",
                 "succeeded": "completed", "failed": "failed", "dead_lettered": "failed", "expired": "failed",
                 "skipped": "skipped", "cancelled": "cancelled"}  # fmt: skip
LIST_STATUSES = ("active", "disabled", "completed", "deleted")
TASK_FILTERS = ("queued", "processing", "completed", "failed", "skipped", "cancelled")
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
PARAMS = {"endpoint": "task_template.target", "body": "task_template.payload", "method": "task_template.method",
          "headers": "task_template.headers"}  # fmt: skip
_NAIVE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?", re.ASCII)


def _invalid(param: str, message: str) -> InvalidRequest:
    return InvalidRequest(message, param=param, code="invalid_field")


def iso(value: Any) -> Any:
    """ISO 8601 without an offset is UTC; everything else is checked by the engine."""
    return value + "Z" if isinstance(value, str) and _NAIVE.fullmatch(value) else value


def _template(template: Any) -> dict[str, Any]:
    if not isinstance(template, Mapping):
        raise _invalid("task_template", "`task_template` must be an object with `target` and `payload`")
    unknown = sorted(set(template) - TEMPLATE_FIELDS)
    if unknown:
        raise _invalid(f"task_template.{unknown[0]}", f"unknown field `task_template.{unknown[0]}`")
    if not isinstance(template.get("target"), str):
        raise _invalid("task_template.target", "`task_template.target` is required (a URL)")
    native = {"endpoint": template["target"], "method": template.get("method", "POST")}
    if template.get("payload") is not None:
        native["body"] = template["payload"]
    if template.get("headers") is not None:
        native["headers"] = template["headers"]
    return native


def _enabled(body: Mapping[str, Any]) -> bool:
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        raise _invalid("enabled", "`enabled` must be true or false")
    return enabled


def to_native(body: Any) -> tuple[dict[str, Any], bool]:
    """A Taskhook create body → (native create body, enabled)."""
    if not isinstance(body, Mapping):
        raise InvalidRequest("the request body must be a JSON object", code="invalid_json")
    unknown = sorted(set(body) - CREATE_FIELDS)
    if unknown:
        raise InvalidRequest(f"unknown field `{unknown[0]}`", param=unknown[0], code="unknown_field")
    for key in REQUIRED:
        if body.get(key) is None:
            raise InvalidRequest(f"`{key}` is required", param=key, code="missing_field")
    native = {"cron": body["cron"], "timezone": body["timezone"], "overlap": "skip",
              **_template(body["task_template"]), "metadata": {"compat": COMPAT}}  # fmt: skip
    for key in ("start_at", "end_at"):
        if body.get(key) is not None:
            native[key] = iso(body[key])
    return native, _enabled(body)


def patch_to_native(body: Any) -> tuple[dict[str, Any], bool | None]:
    """A Taskhook PATCH → (native PATCH body, enabled or None when unchanged)."""
    if not isinstance(body, Mapping):
        raise InvalidRequest("the request body must be a JSON object", code="invalid_json")
    unknown = sorted(set(body) - CREATE_FIELDS)
    if unknown:
        raise InvalidRequest(f"`{unknown[0]}` cannot be updated", param=unknown[0], code="unknown_field")
    native: dict[str, Any] = {}
    for key in ("cron", "timezone"):
        if key in body:
            native[key] = body[key]
    for key in ("start_at", "end_at"):
        if key in body:
            native[key] = iso(body[key])
    if "task_template" in body:
        native.update(_template(body["task_template"]))
    return native, (_enabled(body) if "enabled" in body else None)


def is_taskhook(schedule: Schedule) -> bool:
    return schedule.metadata.get("compat") == COMPAT


def _body(schedule: Schedule) -> Any:
    req = schedule.request
    return json.loads(req.body) if req.body_is_json and req.body is not None else req.body


def schedule_view(schedule: Schedule, now: datetime) -> dict[str, Any]:
    upcoming = schedule.upcoming(now, 1)
    template: dict[str, Any] = {"target": schedule.request.url, "payload": _body(schedule)}
    if (schedule.request.method or "POST") != "POST":
        template["method"] = schedule.request.method
    return {
        "id": schedule.id,
        "status": STATUSES.get(schedule.state, schedule.state),
        "cron": schedule.cron,
        "timezone": schedule.timezone,
        "start_at": None if schedule.start_at is None else format_utc(schedule.start_at),
        "end_at": None if schedule.end_at is None else format_utc(schedule.end_at),
        "task_template": template,
        "enabled": schedule.state == "active",
        "next_execution_at": format_utc(upcoming[0]) if upcoming else None,
        "last_execution_at": None if schedule.last_fire_at is None else format_utc(schedule.last_fire_at),
        "execution_count": schedule.run_count,
        "created_at": format_utc(schedule.created_at),
        "updated_at": format_utc(schedule.updated_at),
    }


def patch_view(schedule: Schedule, patch: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The PATCH answer: the id and the fields the request changed, as they now are."""
    full = schedule_view(schedule, now)
    return {"id": schedule.id, **{k: full[k] for k in patch if k in full}}


def task_view(occ: Occurrence, schedule: Schedule) -> dict[str, Any]:
    return {
        "id": occ.id,
        "schedule_id": occ.schedule_id,
        "scheduled_for": format_utc(occ.scheduled_for),
        "status": TASK_STATUSES.get(occ.state, occ.state),
        "target": schedule.request.url,
        "payload": _body(schedule),
        "created_at": format_utc(occ.created_at),
    }


def _int(params: Mapping[str, str], key: str, default: int, low: int, high: int) -> int:
    raw = params.get(key)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise _invalid(key, f"`{key}` must be an integer from {low} to {high}")
    return int(raw)


def paging(params: Mapping[str, str]) -> tuple[int, int]:
    return _int(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT), _int(params, "offset", 0, 0, 10**9)


def list_filters(params: Mapping[str, str]) -> tuple[str | None, bool | None]:
    status, enabled = params.get("status"), params.get("enabled")
    if status is not None and status not in LIST_STATUSES:
        raise _invalid("status", f"`status` must be one of {', '.join(LIST_STATUSES)}")
    if enabled is not None and enabled not in ("true", "false"):
        raise _invalid("enabled", "`enabled` must be true or false")
    return status, None if enabled is None else enabled == "true"


def task_filter(params: Mapping[str, str]) -> str | None:
    status = params.get("status")
    if status is not None and status not in TASK_FILTERS:
        raise _invalid("status", f"`status` must be one of {', '.join(TASK_FILTERS)}")
    return status


def preview_view(schedule_id: str, preview: Mapping[str, Any]) -> dict[str, Any]:
    return {"schedule_id": schedule_id,
            "executions": [{"scheduled_for": r["at"], "local_time": r["local"]} for r in preview["runs"]]}  # fmt: skip


def error_response(error: BelltowerError) -> tuple[int, dict[str, Any]]:
    """Taskhook does not document errors: the native shape, with Taskhook's field names."""
    body = error.to_dict()
    if body["error"]["param"] in PARAMS:
        body["error"]["param"] = PARAMS[body["error"]["param"]]
    return error.status, body
