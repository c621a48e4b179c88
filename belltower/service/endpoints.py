"""Endpoint profile use cases: create, read, list, edit, delete."""

from __future__ import annotations

from typing import Any

from belltower.adapters.store import Page, StaleWrite
from belltower.domain.endpoints import new_endpoint, patch_endpoint
from belltower.domain.errors import Conflict, NotFound
from belltower.domain.ids import new_id
from belltower.domain.models import Endpoint
from belltower.domain.paging import parse_limit
from belltower.service.schedules import LIST_LIMIT
from belltower.wiring import Container


def create_endpoint(c: Container, project: dict[str, Any], body: Any) -> Endpoint:
    now = c.clock.now()
    endpoint = new_endpoint(body, endpoint_id=new_id("ep", now), project_id=project["id"], now=now,
                            allowed_destinations=c.settings.allowed_destinations)  # fmt: skip
    c.store.create_endpoint(endpoint)
    return endpoint


def get_endpoint(c: Container, project: dict[str, Any], endpoint_id: str) -> Endpoint:
    endpoint = c.store.get_endpoint(project["id"], endpoint_id)
    if endpoint is None:
        raise NotFound(f"no endpoint {endpoint_id!r}", param="id")
    return endpoint


def list_endpoints(c: Container, project: dict[str, Any], params: dict[str, str]) -> Page:
    return c.store.list_endpoints(project["id"], limit=parse_limit(params.get("limit"), default=LIST_LIMIT),
                                  cursor=params.get("cursor"))  # fmt: skip


def update_endpoint(c: Container, project: dict[str, Any], endpoint_id: str, body: Any) -> Endpoint:
    """A partial update; schedules that use the profile see it from their next delivery attempt."""
    while True:
        current = get_endpoint(c, project, endpoint_id)
        updated = patch_endpoint(current, body, now=c.clock.now(),
                                 allowed_destinations=c.settings.allowed_destinations)  # fmt: skip
        try:
            c.store.save_endpoint(updated)
            return updated
        except StaleWrite:
            continue  # edited concurrently: apply this patch to the fresh copy


def delete_endpoint(c: Container, project: dict[str, Any], endpoint_id: str) -> Endpoint:
    """Only a profile that no active or paused schedule uses can be deleted (409 otherwise)."""
    endpoint = get_endpoint(c, project, endpoint_id)
    try:
        c.store.delete_endpoint(project["id"], endpoint_id)
        return endpoint
    except StaleWrite:
        endpoint = get_endpoint(c, project, endpoint_id)  # deleted meanwhile: 404
    raise Conflict(
        f"{endpoint.in_use} active or paused schedule(s) use this endpoint; cancel them first",
        param="id",
    )
