"""Endpoint profiles: named destinations that schedules reference by `endpoint_id` (pure).

A profile holds `url, method, headers, retry_policy, timeout`, validated with the same rules as a
schedule's own fields (the `schedule_request` parsers, `destinations.validate_destination`).
A schedule that references a profile is resolved against it at delivery time
(`resolve_target`), so an edit of the profile applies to every later delivery attempt.

Merge rule: `url` is the profile's; the schedule's own `method`, `retry_policy` and `timeout`
replace the profile's when the schedule sets them; `headers` are merged by name (compared
case-insensitively), the schedule's value winning; `query` and `body` belong to the schedule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from belltower.domain.destinations import validate_destination
from belltower.domain.errors import InvalidRequest
from belltower.domain.models import DeliveryRequest, Endpoint, Schedule
from belltower.domain.retry import RetryPolicy
from belltower.domain.schedule_request import (
    check_fields, optional_text, parse_headers, parse_method, parse_timeout,
)  # fmt: skip

ENDPOINT_FIELDS = frozenset({"name", "url", "method", "headers", "retry_policy", "timeout"})
MAX_NAME = 200


def _body(body: Any) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise InvalidRequest("the request body must be a JSON object", code="invalid_json")
    check_fields(body, ENDPOINT_FIELDS)
    return body


def _name(body: Mapping[str, Any]) -> str:
    name = optional_text(body, "name", MAX_NAME)
    if not name:
        raise InvalidRequest("`name` is required (1 to 200 characters)", param="name", code="invalid_field")
    return name


def _url(body: Mapping[str, Any], allowed: Sequence[str]) -> str:
    if body.get("url") is None:
        raise InvalidRequest("`url` is required", param="url", code="invalid_field")
    return validate_destination(body["url"], allowed_prefixes=allowed, param="url")


def new_endpoint(
    body: Any, *, endpoint_id: str, project_id: str, now: datetime, allowed_destinations: Sequence[str] = ()
) -> Endpoint:
    """A profile from a create body; `method`, `headers`, `retry_policy`, `timeout` default as on schedules."""
    body = _body(body)
    return Endpoint(
        id=endpoint_id,
        project_id=project_id,
        name=_name(body),
        url=_url(body, allowed_destinations),
        method=parse_method(body.get("method")),
        headers=parse_headers(body.get("headers")),
        retry_policy=RetryPolicy.parse(body.get("retry_policy")),
        timeout=parse_timeout(body.get("timeout")),
        created_at=now,
        updated_at=now,
    )


def patch_endpoint(
    endpoint: Endpoint, body: Any, *, now: datetime, allowed_destinations: Sequence[str] = ()
) -> Endpoint:
    """The profile with the fields of a PATCH body applied.

    A field that is present is validated as on create (null resets `method`, `retry_policy` and
    `timeout` to their defaults; `name` and `url` cannot be null). `headers` is merged by name,
    since the stored values cannot be read back: `{"X-New": "v"}` adds or replaces one header,
    `{"X-Old": null}` removes one.
    """
    body = _body(body)
    changes: dict[str, Any] = {}
    if "name" in body:
        changes["name"] = _name(body)
    if "url" in body:
        changes["url"] = _url(body, allowed_destinations)
    if "method" in body:
        changes["method"] = parse_method(body["method"])
    if "headers" in body:
        changes["headers"] = _merge_header_patch(endpoint.headers, body["headers"])
    if "retry_policy" in body:
        changes["retry_policy"] = RetryPolicy.parse(body["retry_policy"])
    if "timeout" in body:
        changes["timeout"] = parse_timeout(body["timeout"])
    return replace(endpoint, **changes, updated_at=now)


def _merge_header_patch(current: dict[str, str], patch: Any) -> dict[str, str]:
    if patch is None:
        return {}
    if not isinstance(patch, Mapping):
        raise InvalidRequest("`headers` must be an object of strings (null removes a header)",
                             param="headers", code="invalid_field")  # fmt: skip
    merged = dict(current)
    for name, value in patch.items():
        for existing in [k for k in merged if k.lower() == str(name).lower()]:
            del merged[existing]
        if value is not None:
            merged[name] = value
    return parse_headers(merged)


@dataclass(frozen=True)
class DeliveryTarget:
    """What one delivery attempt sends and under which policy, after the profile is applied."""

    request: DeliveryRequest
    retry_policy: RetryPolicy
    timeout: timedelta


def merge_headers(base: Mapping[str, str], override: Mapping[str, str]) -> dict[str, str]:
    """`base` with `override` on top; names are compared case-insensitively."""
    overridden = {name.lower() for name in override}
    return {**{k: v for k, v in base.items() if k.lower() not in overridden}, **override}


def resolve_target(schedule: Schedule, endpoint: Endpoint | None) -> DeliveryTarget:
    """The schedule's own destination, or its profile with the schedule's overrides on top."""
    own = schedule.request
    if schedule.endpoint_id is None:
        return DeliveryTarget(own, schedule.retry_policy, schedule.timeout)
    if endpoint is None or endpoint.id != schedule.endpoint_id:
        raise ValueError(f"schedule {schedule.id} needs endpoint {schedule.endpoint_id}")
    request = replace(own, url=endpoint.url, method=own.method or endpoint.method,
                      headers=merge_headers(endpoint.headers, own.headers))  # fmt: skip
    return DeliveryTarget(
        request,
        schedule.retry_policy or endpoint.retry_policy,
        schedule.timeout or endpoint.timeout,
    )
