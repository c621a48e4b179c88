"""IronWorker (`/compat/iron/2`): tasks and scheduled tasks onto native schedules.

- Auth: `Authorization: OAuth <token>` or `?oauth=<token>`; the token is a Belltower API key and
  `{project_id}` is the Belltower project id (another id is 404).
- `code_name` names an endpoint profile; `payload` (a string) is the delivered body.
- A task is a one-shot schedule (`delay` seconds, default 0 → fires now); a scheduled task is
  a one-shot (no `run_every`) or a recurring schedule (`run_every` → `every`, `run_times` →
  `max_runs`, `start_at`/`delay` → `start_at`, `end_at`).
- `timeout` (≤ 3600 s) is the native per-attempt timeout, capped at the native 15 minutes;
  `priority` (0-2) is accepted and kept (it has no native meaning: nothing queues).
- Times in responses are Unix nanoseconds (`created_at`, `start_time`, ...) or RFC 3339 strings
  (`start_at`, `end_at`, `next_start`), as in the seed. Errors are `{"msg"}` with 401, 404, 405,
  and 406 for any invalid request (a request over 64 KB included); 400 for what Belltower does
  not do by design (uploading or downloading code).
- Code packages are the project's endpoint profiles (`code_view`); a task's log is built from its
  occurrences' attempts (`task_log`); `progress` is kept in `metadata.iron.progress`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from belltower.domain.errors import BelltowerError, InvalidRequest
from belltower.domain.models import Endpoint, Occurrence, Schedule
from belltower.domain.timing import format_utc

COMPAT = "iron"
MAX_TIMEOUT, NATIVE_MAX_TIMEOUT = 3600, 900
NO_END = "2262-04-11T23:47:16Z"
TASK_FIELDS = frozenset({"code_name", "payload", "priority", "timeout", "delay"})
SCHEDULE_FIELDS = frozenset({"code_name", "payload", "run_every", "end_at", "run_times", "priority", "start_at",
                             "delay", "name", "timeout"})  # fmt: skip
TASK_STATUS = {"scheduled": "queued", "delivering": "running", "retrying": "running", "succeeded": "complete",
               "failed": "error", "dead_lettered": "error", "expired": "killed", "skipped": "killed",
               "cancelled": "cancelled"}  # fmt: skip
_NAIVE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?", re.ASCII)
#: "all requests are limited to 64KB in size, unless otherwise noted" (the code upload is noted).
MAX_REQUEST_BYTES = 64 * 1024
#: A progress `msg` is kept in the schedule's metadata (4 KB in all), so it is capped below that.
MAX_PROGRESS_MSG_BYTES = 2048
RUNTIME = "http"
DELIVERS_TO_HTTP = ("Belltower delivers to HTTP endpoints; create an endpoint profile with POST /v1/endpoints "
                    "(its name is the code_name your tasks use)")  # fmt: skip
UPLOAD_REFUSED = "Code packages cannot be uploaded: " + DELIVERS_TO_HTTP


class NotAcceptable(InvalidRequest):
    """406: IronWorker's "invalid request" (also a missing JSON Content-Type)."""

    status = 406


class NotSupported(BelltowerError):
    """400: what IronWorker does and Belltower does not by design (uploading or downloading code)."""

    status = 400
    code = "not_supported"


def _bad(message: str, param: str | None = None) -> NotAcceptable:
    return NotAcceptable(message, param=param, code="invalid_field")


def token(authorization: str | None, oauth_param: str | None) -> str:
    """The OAuth token of the request (header first), as a native `Bearer` credential."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() == "oauth" and value.strip():
        return "Bearer " + value.strip()
    return "Bearer " + (oauth_param or "")


def is_json(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == "application/json"


def check_size(body: bytes) -> None:
    if len(body) > MAX_REQUEST_BYTES:
        raise _bad(f"the request is {len(body)} bytes; requests are limited to 64KB")


def _int(item: Mapping[str, Any], key: str, low: int, high: int | None, default: int | None) -> int | None:
    """`item[key]` checked to be an integer in range; absent or null → `default`."""
    value = item.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        raise _bad(f"{key} must be an integer from {low}" + (f" to {high}" if high is not None else ""), key)
    return value


def _common(item: Any, fields: frozenset[str], kind: str) -> tuple[str, dict[str, Any]]:
    if not isinstance(item, Mapping):
        raise _bad(f"each of {kind} must be an object")
    unknown = sorted(set(item) - fields)
    if unknown:
        raise _bad(f"unknown field {unknown[0]}", unknown[0])
    if not isinstance(item.get("code_name"), str) or not item["code_name"]:
        raise _bad("code_name is required", "code_name")
    payload = item.get("payload", "")
    if not isinstance(payload, str):
        raise _bad("payload must be a string", "payload")
    if len(payload.encode()) > 64 * 1024:
        raise _bad("payload is limited to 64KB", "payload")
    timeout = _int(item, "timeout", 1, MAX_TIMEOUT, None)
    priority = _int(item, "priority", 0, 2, 0)
    native: dict[str, Any] = {"method": "POST", "metadata": {"compat": COMPAT, "iron": {
        "code_name": item["code_name"], "priority": priority, "timeout": timeout or MAX_TIMEOUT}}}  # fmt: skip
    if payload:
        native["body"] = payload
    if timeout is not None:
        native["timeout"] = min(timeout, NATIVE_MAX_TIMEOUT)
    return item["code_name"], native


def _items(body: Any, key: str) -> list[Any]:
    items = body.get(key) if isinstance(body, Mapping) else None
    if not isinstance(items, list) or not items or len(items) > 100:
        raise _bad(f"the body must be an object with a \"{key}\" array of 1 to 100 objects", key)
    return items


def _time(value: Any, param: str) -> Any:
    return value + "Z" if isinstance(value, str) and _NAIVE.fullmatch(value) else value


def webhook_to_native(code_name: str | None, body: bytes) -> tuple[str, dict[str, Any]]:
    """`POST /tasks/webhook?code_name=X`: the raw request body is the payload of a task queued now."""
    if not code_name:
        raise _bad("code_name is required: POST /tasks/webhook?code_name=<the code package>", "code_name")
    try:
        payload = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad("the webhook body must be UTF-8 text (it becomes the task's payload)", "payload") from None
    [item] = tasks_to_native({"tasks": [{"code_name": code_name, "payload": payload}]})
    return item


def tasks_to_native(body: Any) -> list[tuple[str, dict[str, Any]]]:
    """`{"tasks": [...]}` → [(code_name, native create body without the destination)]."""
    out = []
    for item in _items(body, "tasks"):
        code_name, native = _common(item, TASK_FIELDS, "tasks")
        native["delay"] = max(_int(item, "delay", 0, None, 0), 1)
        native["metadata"]["iron"]["kind"] = "task"
        out.append((code_name, native))
    return out


def schedules_to_native(body: Any, now: datetime) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for item in _items(body, "schedules"):
        code_name, native = _common(item, SCHEDULE_FIELDS, "schedules")
        iron = native["metadata"]["iron"]
        iron["kind"] = "schedule"
        delay = _int(item, "delay", 0, None, None)
        if delay is not None:
            iron["delay"] = delay
        if "start_at" in item and delay is not None:
            raise _bad("set start_at or delay, not both", "delay")
        every = _int(item, "run_every", 1, None, None)
        run_times = _int(item, "run_times", 1, None, None)
        if item.get("name") is not None:
            native["name"] = item["name"]
        if every is None:
            if run_times not in (None, 1):
                raise _bad("run_times above 1 needs run_every", "run_times")
            if "end_at" in item:
                raise _bad("end_at needs run_every", "end_at")
            if "start_at" in item:
                native["fire_at"] = _time(item["start_at"], "start_at")
            else:
                native["delay"] = max(delay or 0, 1)
        else:
            native["every"] = every
            if run_times is not None:
                native["max_runs"] = run_times
            if "start_at" in item:
                native["start_at"] = _time(item["start_at"], "start_at")
            elif delay:
                native["start_at"] = format_utc(now + timedelta(seconds=delay))
            if "end_at" in item:
                native["end_at"] = _time(item["end_at"], "end_at")
        out.append((code_name, native))
    return out


def is_iron(schedule: Schedule, kind: str) -> bool:
    iron = schedule.metadata.get("iron") if schedule.metadata.get("compat") == COMPAT else None
    return isinstance(iron, Mapping) and iron.get("kind") == kind


def nanos(dt: datetime | None) -> int | None:
    return None if dt is None else int(dt.timestamp()) * 10**9 + dt.microsecond * 1000


def task_view(schedule: Schedule, last: Occurrence | None) -> dict[str, Any]:
    iron = schedule.metadata["iron"]
    if schedule.state == "cancelled" and (last is None or not last.is_terminal or last.state == "cancelled"):
        status = "cancelled"
    else:
        status = "queued" if last is None else TASK_STATUS.get(last.state, "queued")
    start = last.attempts[0].started_at if last is not None and last.attempts else None
    end = last.completed_at if last is not None and last.is_terminal else None
    view = {
        "id": schedule.id,
        "created_at": nanos(schedule.created_at),
        "updated_at": nanos(schedule.updated_at),
        "project_id": schedule.project_id,
        "code_id": schedule.endpoint_id,
        "status": status,
        "code_name": iron["code_name"],
        "start_time": nanos(start),
        "end_time": nanos(end),
        "duration": None if start is None or end is None else int((end - start).total_seconds() * 1000),
        "run_times": 1,
        "timeout": iron.get("timeout", MAX_TIMEOUT),
        "priority": iron.get("priority", 0),
    }
    if last is not None and last.attempts and last.attempts[-1].error:
        view["msg"] = last.attempts[-1].error
    progress = iron.get("progress")
    if isinstance(progress, Mapping):
        for key in ("percent", "msg"):
            if progress.get(key) is not None:
                view[key] = progress[key]
    return view


def progress(body: Any) -> dict[str, Any]:
    """`POST /tasks/{id}/progress {percent, msg}` → what `metadata.iron.progress` holds. Each call
    replaces the previous progress (a field left out is no longer shown)."""
    if not isinstance(body, Mapping):
        raise _bad("the body must be an object with percent and/or msg")
    unknown = sorted(set(body) - {"percent", "msg"})
    if unknown:
        raise _bad(f"unknown field {unknown[0]}", unknown[0])
    if body.get("percent") is None and body.get("msg") is None:
        raise _bad("send percent (an integer from 0 to 100) and/or msg (a string)")
    out: dict[str, Any] = {}
    if body.get("percent") is not None:
        out["percent"] = _int(body, "percent", 0, 100, None)
    if body.get("msg") is not None:
        if not isinstance(body["msg"], str):
            raise _bad("msg must be a string", "msg")
        if len(json.dumps(body["msg"]).encode()) > MAX_PROGRESS_MSG_BYTES:
            raise _bad(f"msg is limited to {MAX_PROGRESS_MSG_BYTES} bytes (as JSON) here: a task's progress is "
                       "kept with the task", "msg")  # fmt: skip
        out["msg"] = body["msg"]
    return out


def with_progress(metadata: Mapping[str, Any], value: Mapping[str, Any]) -> dict[str, Any]:
    """The schedule's metadata with `iron.progress` replaced (the whole metadata goes in a PATCH)."""
    return {**metadata, "iron": {**metadata["iron"], "progress": dict(value)}}


def _attempt_line(attempt: Any) -> str:
    when = format_utc(attempt.started_at)
    if attempt.status_code is not None:
        result = f"HTTP {attempt.status_code} in {attempt.duration_ms} ms"
        if attempt.error:
            result += f" ({attempt.error})"
    else:
        result = f"{attempt.error or 'no response'} after {attempt.duration_ms} ms"
    return f"{when} attempt {attempt.number}: {result}"


def _end_line(occ: Occurrence) -> str:
    if occ.state == "retrying":
        return "retrying" + (f" at {format_utc(occ.next_attempt_at)}" if occ.next_attempt_at else "")
    if occ.state in ("scheduled", "delivering", "failed"):
        return {"scheduled": "queued", "delivering": "running", "failed": "error"}[occ.state]
    line = (format_utc(occ.completed_at) + " " if occ.completed_at else "") + TASK_STATUS.get(occ.state, occ.state)
    return line + (f" ({occ.outcome})" if occ.outcome and occ.state != "succeeded" else "")


def task_log(schedule: Schedule, occurrences: Sequence[Occurrence]) -> str:
    """`GET /tasks/{id}/log` (text/plain): every attempt of the task, oldest first: when it started,
    the HTTP status (or the error) and how long it took, then the response body it got (the
    closest thing to a worker's output: the first 4 KB the engine keeps), indented; then how the
    run ended. A task replayed with `/v1` has one section per run."""
    lines: list[str] = []
    runs = sorted(occurrences, key=lambda o: o.id)
    for number, occ in enumerate(runs, start=1):
        if len(runs) > 1:
            origin = f"replay of {occ.replay_of}" if occ.replay_of else occ.origin
            lines.append(f"--- run {number}: {occ.id}" + ("" if origin == "schedule" else f", {origin}") + " ---")
        for attempt in occ.attempts:
            lines.append(_attempt_line(attempt))
            lines += ["  " + line for line in (attempt.response_excerpt or "").splitlines()]
        lines.append(_end_line(occ))
    if not runs:
        if schedule.state == "cancelled":
            lines.append(format_utc(schedule.updated_at) + " cancelled before it ran")
        else:
            runs_at = f" to run at {format_utc(schedule.fire_at)}" if schedule.fire_at else ""
            lines.append(f"{format_utc(schedule.created_at)} queued{runs_at}")
    return "\n".join(lines) + "\n"


def _timestamper(endpoint: Endpoint) -> dict[str, int | None]:
    return {"created_at": nanos(endpoint.created_at), "updated_at": nanos(endpoint.updated_at)}


def code_view(endpoint: Endpoint) -> dict[str, Any]:
    """An endpoint profile as a code package: `rev` counts its versions (1 + its edits), and
    `latest_checksum` changes with every edit (an MD5 of its visible settings and version)."""
    settings = json.dumps({**endpoint.to_api(), "version": endpoint.version}, sort_keys=True)
    return {
        "id": endpoint.id,
        "Timestamper": _timestamper(endpoint),
        "project_id": endpoint.project_id,
        "name": endpoint.name,
        "runtime": RUNTIME,
        "latest_checksum": hashlib.md5(settings.encode(), usedforsecurity=False).hexdigest(),
        "rev": endpoint.version,
        "latest_history_id": endpoint.id,
        "latest_change": nanos(endpoint.updated_at),
    }


def revision_view(endpoint: Endpoint) -> dict[str, Any]:
    """The one revision a profile has: its current settings (earlier versions are not kept)."""
    return {
        "id": endpoint.id,
        "Timestamper": _timestamper(endpoint),
        "code_id": endpoint.id,
        "project_id": endpoint.project_id,
        "rev": endpoint.version,
        "runtime": RUNTIME,
        "name": endpoint.name,
        "file_name": None,
        "last_email": None,
    }


def download_refused(endpoint: Endpoint) -> NotSupported:
    return NotSupported(f"Code package {endpoint.name!r} has no code to download: it is the endpoint profile "
                        f"{endpoint.id} ({endpoint.method} {endpoint.url}). " + DELIVERS_TO_HTTP)  # fmt: skip


def schedule_view(schedule: Schedule, now: datetime) -> dict[str, Any]:
    iron = schedule.metadata["iron"]
    status = {"active": "scheduled", "paused": "scheduled", "completed": "complete"}.get(schedule.state, "cancelled")
    upcoming = schedule.upcoming(now, 1)
    start = schedule.fire_at if schedule.kind == "one_shot" else (schedule.start_at or schedule.anchor)
    view = {
        "id": schedule.id,
        "created_at": nanos(schedule.created_at),
        "updated_at": nanos(schedule.updated_at),
        "project_id": schedule.project_id,
        "status": status,
        "code_name": iron["code_name"],
        "start_at": None if start is None else format_utc(start),
        "end_at": format_utc(schedule.end_at) if schedule.end_at else NO_END,
        "next_start": format_utc(upcoming[0]) if upcoming else (format_utc(schedule.last_fire_at)
                                                              if schedule.last_fire_at else None),
        "last_run_time": nanos(schedule.last_fire_at),
        "run_times": 1 if schedule.kind == "one_shot" else schedule.max_runs,
        "run_count": schedule.run_count,
        "priority": iron.get("priority", 0),
    }
    if schedule.every is not None:
        view["run_every"] = int(schedule.every.total_seconds())
    if "delay" in iron:
        view["delay"] = iron["delay"]
    if status == "complete":
        view["msg"] = "Ran max times." if schedule.runs_exhausted or schedule.kind == "one_shot" else "Ended."
    return view


def page(params: Mapping[str, str]) -> tuple[int, int]:
    """(page, per_page): page 0-100 (default 0), per_page 1-100 (default 30)."""
    def num(key: str, default: int, low: int) -> int:
        raw = params.get(key)
        if raw is None:
            return default
        if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= 100:
            raise _bad(f"{key} must be an integer from {low} to 100", key)
        return int(raw)
    return num("page", 0, 0), num("per_page", 30, 1)


def error_response(error: BelltowerError) -> tuple[int, dict[str, Any]]:
    if isinstance(error, NotSupported) or error.status in (401, 404, 405, 429, 503):
        return error.status, {"msg": error.message}
    return 406, {"msg": error.message}
