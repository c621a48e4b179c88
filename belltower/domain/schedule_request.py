"""Validation of a create-schedule request body into a `ScheduleSpec` (pure).

Every rejection is a domain error with the PRODUCT.md code and the offending `param`. The field
parsers without a leading underscore (`parse_method`, `parse_headers`, `parse_timeout`,
`optional_text`, `check_fields`) are shared with endpoint profiles (`belltower.domain.endpoints`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from belltower.domain.destinations import validate_destination
from belltower.domain.durations import parse_duration
from belltower.domain.errors import InvalidRequest, NotFound, Unprocessable
from belltower.domain.ids import is_id
from belltower.domain.models import DeliveryRequest
from belltower.domain.recurrence import Recurrence, parse_recurrence
from belltower.domain.retry import RetryPolicy
from belltower.domain.timing import TIMING_FIELDS, NotOneShot, OneShotTiming, format_utc, resolve_one_shot

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
MAX_BATCH = 100

#: Fields of PRODUCT.md §2 that this build accepts on create (`idempotency_key` is the
#: service's: see `belltower.domain.idempotency`).
SUPPORTED_FIELDS = frozenset(
    {
        "endpoint", "endpoint_id", "method", "headers", "query", "body", "idempotency_key",
        "webhook_url", "callback_url", "failure_callback_url",
        "delay", "fire_at", "local_fire_at", "timezone",
        "cron", "every", "start_at", "end_at", "max_runs", "overlap",
        "retry_policy", "timeout", "ttl",
        "name", "description", "metadata",
    }
)  # fmt: skip
RECURRING_ONLY = ("start_at", "end_at", "max_runs", "overlap")
OVERLAP_POLICIES = ("skip", "allow")
MAX_RUNS_LIMIT = 1_000_000


@dataclass(frozen=True)
class Limits:
    max_headers: int = 64
    max_header_value_bytes: int = 8 * 1024
    max_body_bytes: int = 256 * 1024
    max_metadata_keys: int = 32
    max_metadata_bytes: int = 4 * 1024
    min_timeout: timedelta = timedelta(seconds=1)
    max_timeout: timedelta = timedelta(minutes=15)
    default_timeout: timedelta = timedelta(seconds=30)


DEFAULT_LIMITS = Limits()

#: Headers Belltower sets itself on every delivery, or that HTTP owns; a schedule may not set them.
RESERVED_HEADERS = frozenset(
    {
        "host", "content-length", "transfer-encoding", "connection", "upgrade", "te", "trailer",
        "idempotency-key", "user-agent", "webhook-id", "webhook-timestamp", "webhook-signature",
    }
)  # fmt: skip
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


@dataclass(frozen=True)
class ScheduleFields:
    """Everything of a schedule but its timing.

    With `endpoint_id`, `request.url` is None and `request.method`, `retry_policy` and `timeout`
    are None unless the body overrides the profile's (see `belltower.domain.endpoints`).
    """

    request: DeliveryRequest
    endpoint_id: str | None
    retry_policy: RetryPolicy | None
    timeout: timedelta | None
    ttl: timedelta | None
    webhook_url: str | None
    callback_url: str | None
    failure_callback_url: str | None
    name: str | None
    description: str | None
    metadata: dict[str, Any]
    max_runs: int | None
    overlap: str


@dataclass(frozen=True)
class ScheduleSpec:
    """A validated schedule, ready to be stored."""

    fields: ScheduleFields
    timing: OneShotTiming | Recurrence


def parse_create(
    body: Any,
    *,
    now: datetime,
    allowed_destinations: Sequence[str] = (),
    limits: Limits = DEFAULT_LIMITS,
) -> ScheduleSpec:
    if not isinstance(body, Mapping):
        raise InvalidRequest("the request body must be a JSON object", code="invalid_json")
    check_fields(body, SUPPORTED_FIELDS)
    fields = parse_fields(body, allowed_destinations, limits)
    return ScheduleSpec(fields, parse_timing(body, now))


def parse_fields(
    body: Mapping[str, Any], allowed_destinations: Sequence[str] = (), limits: Limits = DEFAULT_LIMITS
) -> ScheduleFields:
    endpoint_id = _parse_destination_choice(body)
    inherits = endpoint_id is not None
    return ScheduleFields(
        request=_parse_request(body, allowed_destinations, limits),
        endpoint_id=endpoint_id,
        retry_policy=_own(body, "retry_policy", RetryPolicy.parse, inherits),
        timeout=_own(body, "timeout", lambda value: parse_timeout(value, limits), inherits),
        ttl=_parse_ttl(body.get("ttl")),
        webhook_url=_notification_url(body, "webhook_url", allowed_destinations),
        callback_url=_notification_url(body, "callback_url", allowed_destinations),
        failure_callback_url=_notification_url(body, "failure_callback_url", allowed_destinations),
        name=optional_text(body, "name", 200),
        description=optional_text(body, "description", 2000),
        metadata=_parse_metadata(body.get("metadata"), limits),
        max_runs=parse_max_runs(body.get("max_runs")),
        overlap=_parse_overlap(body.get("overlap")),
    )


def _own(body: Mapping[str, Any], key: str, parse: Callable[[Any], Any], inherits: bool) -> Any:
    """The parsed field; unset on a schedule with a profile it is None (the profile's applies)."""
    if inherits and body.get(key) is None:
        return None
    return parse(body.get(key))


#: Fields whose change re-plans the timing (and so the EventBridge schedules).
TIMING_RELATED = frozenset(TIMING_FIELDS) | {"timezone", "start_at", "end_at"}


def parse_patch(
    current: Mapping[str, Any],
    patch: Any,
    *,
    now: datetime,
    one_shot: bool,
    allowed_destinations: Sequence[str] = (),
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[ScheduleFields, OneShotTiming | Recurrence | None]:
    """Apply a PATCH to a schedule's create body (`current`, see `create_body`).

    A field set to null is removed (back to its default). `headers` merge by name (a null value
    removes one: header values are secrets and cannot be read back to resend). A new timing
    source (delay, fire_at, local_fire_at, cron, every) replaces the old one, and a new
    destination (`endpoint` or `endpoint_id`) the old one; `timezone`, `start_at`, `end_at`
    alone re-plan the current timing. Returns the merged fields, and the new timing, or None
    when the timing is untouched (the schedule keeps its fire times and EventBridge schedules).
    """
    if not isinstance(patch, Mapping):
        raise InvalidRequest("the request body must be a JSON object", code="invalid_json")
    if not patch:
        raise InvalidRequest("send at least one field to change", code="invalid_field")
    check_fields(patch, SUPPORTED_FIELDS - {"idempotency_key"})
    merged = dict(current)
    new_source = {k for k in TIMING_FIELDS if patch.get(k) is not None}
    if new_source:
        for key in TIMING_FIELDS:
            merged.pop(key, None)
        if not new_source & {"cron", "every"}:
            for key in RECURRING_ONLY:
                merged.pop(key, None)
    if patch.get("endpoint") is not None or patch.get("endpoint_id") is not None:
        merged.pop("endpoint", None)
        merged.pop("endpoint_id", None)
    merged.update({k: v for k, v in patch.items() if k != "headers"})
    if "headers" in patch:
        merged["headers"] = _merge_headers(merged.get("headers") or {}, patch["headers"])
    merged = {k: v for k, v in merged.items() if v is not None}
    fields = parse_fields(merged, allowed_destinations, limits)
    if not TIMING_RELATED & patch.keys():
        if one_shot:
            _check_recurring_only(patch)
        return fields, None
    return fields, parse_timing(merged, now)


def _merge_headers(current: Mapping[str, str], patch: Any) -> Any:
    if not isinstance(patch, Mapping):
        return patch  # parse_headers says what is wrong with it
    merged = {name: value for name, value in current.items()
              if not any(name.lower() == changed.lower() for changed in patch)}  # fmt: skip
    merged.update({name: value for name, value in patch.items() if value is not None})
    return merged


def create_body(schedule: Any) -> dict[str, Any]:
    """A stored schedule as the create body that would make it now (the base of a PATCH).
    Header values are included: this never leaves the service."""
    req = schedule.request
    body: dict[str, Any] = {
        "endpoint": req.url,
        "endpoint_id": schedule.endpoint_id,
        "method": req.method,
        "headers": dict(req.headers),
        "query": dict(req.query),
        "body": json.loads(req.body) if req.body_is_json and req.body is not None else req.body,
        "timezone": schedule.timezone,
        "retry_policy": None if schedule.retry_policy is None else schedule.retry_policy.to_dict(),
        "timeout": None if schedule.timeout is None else schedule.timeout.total_seconds(),
        "webhook_url": schedule.webhook_url,
        "callback_url": schedule.callback_url,
        "failure_callback_url": schedule.failure_callback_url,
        "ttl": None if schedule.ttl is None else schedule.ttl.total_seconds(),
        "name": schedule.name,
        "description": schedule.description,
        "metadata": dict(schedule.metadata),
    }
    if schedule.kind == "one_shot":
        body["fire_at"] = format_utc(schedule.fire_at)
    else:
        # An `every` without start_at counts from its anchor: keep that grid across edits.
        start_at = schedule.start_at or (schedule.anchor if schedule.every is not None else None)
        body.update(
            cron=schedule.cron,
            every=None if schedule.every is None else schedule.every.total_seconds(),
            start_at=None if start_at is None else format_utc(start_at),
            end_at=None if schedule.end_at is None else format_utc(schedule.end_at),
            max_runs=schedule.max_runs,
            overlap=schedule.overlap,
        )
    return {k: v for k, v in body.items() if v is not None}


def parse_timing(body: Mapping[str, Any], now: datetime) -> OneShotTiming | Recurrence:
    """Exactly one timing source: a one-shot's fire time, or a recurrence (cron / every)."""
    try:
        timing = resolve_one_shot(body, now)
    except NotOneShot:
        return parse_recurrence(body, now)
    _check_recurring_only(body)
    return timing


def _check_recurring_only(body: Mapping[str, Any]) -> None:
    for key in RECURRING_ONLY:
        if body.get(key) is not None:
            raise InvalidRequest(f"`{key}` applies to recurring schedules (cron or every) only",
                                 param=key, code="invalid_field")  # fmt: skip


def parse_max_runs(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_RUNS_LIMIT:
        raise InvalidRequest(f"`max_runs` must be an integer from 1 to {MAX_RUNS_LIMIT}",
                             param="max_runs", code="invalid_field")  # fmt: skip
    return value


def _parse_overlap(value: Any) -> str:
    if value is None:
        return "skip"
    if value not in OVERLAP_POLICIES:
        raise InvalidRequest("`overlap` must be skip or allow", param="overlap", code="invalid_field")
    return value


def parse_batch(body: Any, max_items: int = MAX_BATCH) -> list[Any]:
    """The create bodies of `POST /v1/schedules/batch`: `{"schedules": [ ... ]}`, 1 to 100 of them.

    Each item is validated later, on its own, so one bad item does not fail the others.
    """
    if not isinstance(body, Mapping):
        raise InvalidRequest('the request body must be a JSON object: {"schedules": [...]}', code="invalid_json")
    check_fields(body, frozenset({"schedules"}))
    items = body.get("schedules")
    if not isinstance(items, list) or not 1 <= len(items) <= max_items:
        raise InvalidRequest(f"`schedules` must be an array of 1 to {max_items} schedules", param="schedules",
                             code="invalid_field")  # fmt: skip
    return items


def check_fields(
    body: Mapping[str, Any], supported: frozenset[str], not_yet: frozenset[str] = frozenset()
) -> None:
    """Every key is `supported`; one of `not_yet` is refused by name, anything else is unknown."""
    for key in body:
        if key in not_yet:
            raise InvalidRequest(
                f"`{key}` is not supported by this Belltower version yet", param=key,
                code="invalid_field",
            )  # fmt: skip
        if key not in supported:
            raise InvalidRequest(f"unknown field `{key}`", param=key, code="unknown_field")


def _parse_destination_choice(body: Mapping[str, Any]) -> str | None:
    """Exactly one of `endpoint` (a URL) and `endpoint_id` (a profile); the profile id or None."""
    has_url, has_profile = body.get("endpoint") is not None, body.get("endpoint_id") is not None
    if has_url and has_profile:
        raise InvalidRequest("send `endpoint` or `endpoint_id`, not both", param="endpoint_id",
                             code="invalid_field")  # fmt: skip
    if not has_url and not has_profile:
        raise InvalidRequest("`endpoint` (a URL) or `endpoint_id` (an endpoint profile) is required",
                             param="endpoint", code="invalid_field")  # fmt: skip
    return parse_endpoint_id(body["endpoint_id"]) if has_profile else None


def _notification_url(body: Mapping[str, Any], key: str, allowed: Sequence[str]) -> str | None:
    """Notifications go out like deliveries, so their URLs obey the same destination rules."""
    value = body.get(key)
    return None if value is None else validate_destination(value, allowed_prefixes=allowed, param=key)


def parse_endpoint_id(value: Any) -> str:
    """A schedule's `endpoint_id`: a string (400 otherwise) naming an endpoint id (404 otherwise)."""
    if not isinstance(value, str):
        raise InvalidRequest("`endpoint_id` must be the id of an endpoint profile (ep_...)",
                             param="endpoint_id", code="invalid_field")  # fmt: skip
    if not is_id("ep", value):
        raise NotFound(f"no endpoint {value!r}", param="endpoint_id")
    return value


def _parse_request(
    body: Mapping[str, Any], allowed: Sequence[str], limits: Limits
) -> DeliveryRequest:
    """The schedule's own request; with a profile, `url` is None and `method` None unless set."""
    if body.get("endpoint") is None:
        url, method = None, None if body.get("method") is None else parse_method(body["method"])
    else:
        url = validate_destination(body["endpoint"], allowed_prefixes=allowed, param="endpoint")
        method = parse_method(body.get("method"))
    headers = parse_headers(body.get("headers"), limits)
    query = _parse_query(body.get("query"))
    payload, is_json = _serialise_body(body.get("body"), limits)
    return DeliveryRequest(
        url=url, method=method, headers=headers, query=query, body=payload, body_is_json=is_json,
    )  # fmt: skip


def parse_method(value: Any) -> str:
    """An HTTP method of METHODS (any case), upper-cased; None or "" is the default POST."""
    method = value or "POST"
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise InvalidRequest(
            f"`method` must be one of {', '.join(METHODS)}", param="method", code="invalid_field"
        )
    return method.upper()


def parse_headers(value: Any, limits: Limits = DEFAULT_LIMITS) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidRequest("`headers` must be an object of strings", param="headers",
                             code="invalid_field")  # fmt: skip
    if len(value) > limits.max_headers:
        raise InvalidRequest(f"at most {limits.max_headers} headers", param="headers",
                             code="invalid_field")  # fmt: skip
    headers: dict[str, str] = {}
    seen: set[str] = set()
    for name, header_value in value.items():
        param = f"headers.{name}"
        lowered = name.lower()
        if not _HEADER_NAME.match(name):
            raise InvalidRequest("invalid header name", param=param, code="invalid_field")
        if lowered in RESERVED_HEADERS or lowered.startswith("belltower-"):
            raise InvalidRequest(f"`{name}` is set by Belltower and cannot be overridden",
                                 param=param, code="invalid_field")  # fmt: skip
        if lowered in seen:
            raise InvalidRequest("duplicate header name", param=param, code="invalid_field")
        if not isinstance(header_value, str) or any(c in header_value for c in "\r\n\0"):
            raise InvalidRequest("header values must be single-line strings", param=param,
                                 code="invalid_field")  # fmt: skip
        if len(header_value.encode()) > limits.max_header_value_bytes:
            raise InvalidRequest(f"header values are limited to {limits.max_header_value_bytes} "
                                 "bytes", param=param, code="invalid_field")  # fmt: skip
        seen.add(lowered)
        headers[name] = header_value
    return headers


def _parse_query(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidRequest("`query` must be an object", param="query", code="invalid_field")
    for key, item in value.items():
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            raise InvalidRequest("query values must be strings or numbers",
                                 param=f"query.{key}", code="invalid_field")  # fmt: skip
    return dict(value)


def _serialise_body(value: Any, limits: Limits) -> tuple[str | None, bool]:
    if value is None:
        return None, False
    if isinstance(value, str):
        payload, is_json = value, False
    else:
        payload, is_json = json.dumps(value, separators=(",", ":"), ensure_ascii=False), True
    if len(payload.encode()) > limits.max_body_bytes:
        raise Unprocessable(f"the delivery body is limited to {limits.max_body_bytes // 1024} KB",
                            param="body", code="payload_too_large")  # fmt: skip
    return payload, is_json


def parse_timeout(value: Any, limits: Limits = DEFAULT_LIMITS) -> timedelta:
    if value is None:
        return limits.default_timeout
    timeout = parse_duration(value, param="timeout")
    if not limits.min_timeout <= timeout <= limits.max_timeout:
        raise InvalidRequest("`timeout` must be between 1s and 15m", param="timeout",
                             code="invalid_field")  # fmt: skip
    return timeout


def _parse_ttl(value: Any) -> timedelta | None:
    if value is None:
        return None
    ttl = parse_duration(value, param="ttl")
    if ttl < timedelta(seconds=1):
        raise InvalidRequest("`ttl` must be at least 1s", param="ttl", code="invalid_field")
    return ttl


def optional_text(body: Mapping[str, Any], key: str, max_len: int) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > max_len:
        raise InvalidRequest(f"`{key}` must be a string of at most {max_len} characters",
                             param=key, code="invalid_field")  # fmt: skip
    return value


def _parse_metadata(value: Any, limits: Limits) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidRequest("`metadata` must be an object", param="metadata", code="invalid_field")
    if len(value) > limits.max_metadata_keys:
        raise InvalidRequest(f"`metadata` holds at most {limits.max_metadata_keys} keys",
                             param="metadata", code="invalid_field")  # fmt: skip
    if len(json.dumps(value).encode()) > limits.max_metadata_bytes:
        raise InvalidRequest("`metadata` is limited to 4 KB", param="metadata",
                             code="invalid_field")  # fmt: skip
    return dict(value)
