"""`/compat/taskhook/v1/schedules`: Taskhook's wire format over native recurring schedules
(belltower.compat.taskhook)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import Router

from belltower.adapters.store import all_items
from belltower.compat import taskhook
from belltower.domain.errors import NotFound
from belltower.domain.ids import is_id
from belltower.domain.models import Schedule
from belltower.service import lifecycle, schedules
from belltower.wiring import container
from handlers.routes.http import json_body, json_response, project, query, route, seed_errors

router = Router()
BASE = "/compat/taskhook/v1/schedules"
taskhook_errors = seed_errors(taskhook.error_response)


def _now():
    return container().clock.now()


def _schedule(caller: dict[str, Any], schedule_id: str) -> Schedule:
    schedule = container().store.get_schedule(caller["id"], schedule_id) if is_id("sch", schedule_id) else None
    if schedule is None or not taskhook.is_taskhook(schedule):
        raise NotFound(f"no schedule {schedule_id!r}", param="id")
    return schedule


@route(router, "POST", BASE)
@taskhook_errors
def create() -> Response:
    caller = project(router)
    native, enabled = taskhook.to_native(json_body(router))
    schedule = schedules.create_schedule(container(), caller, native).schedule
    if not enabled:
        schedule = lifecycle.pause(container(), caller, schedule.id)
    return json_response(201, taskhook.schedule_view(schedule, _now()))


@route(router, "GET", BASE)
@taskhook_errors
def list_all() -> Response:
    caller = project(router)
    params = query(router)
    limit, offset = taskhook.paging(params)
    status, enabled = taskhook.list_filters(params)
    c, now, found = container(), _now(), []
    for s in all_items(c.store.list_schedules, caller["id"]):  # newest first; no metadata filter natively
        if not taskhook.is_taskhook(s):
            continue
        view = taskhook.schedule_view(s, now)
        if (status is None or view["status"] == status) and (enabled is None or view["enabled"] == enabled):
            found.append(view)
    return json_response(200, {"total": len(found), "schedules": found[offset:offset + limit]})


@route(router, "GET", BASE + "/<schedule_id>")
@taskhook_errors
def retrieve(schedule_id: str) -> Response:
    return json_response(200, taskhook.schedule_view(_schedule(project(router), schedule_id), _now()))


@route(router, "PATCH", BASE + "/<schedule_id>")
@taskhook_errors
def update(schedule_id: str) -> Response:
    caller = project(router)
    schedule = _schedule(caller, schedule_id)
    body = json_body(router)
    native, enabled = taskhook.patch_to_native(body)
    c = container()
    if native:
        schedule = schedules.update_schedule(c, caller, schedule.id, native)
    if enabled is True:
        schedule = lifecycle.resume(c, caller, schedule.id)
    elif enabled is False:
        schedule = lifecycle.pause(c, caller, schedule.id)
    return json_response(200, taskhook.patch_view(schedule, body, _now()))


@route(router, "DELETE", BASE + "/<schedule_id>")
@taskhook_errors
def delete(schedule_id: str) -> Response:
    caller = project(router)
    schedule = schedules.cancel_schedule(container(), caller, _schedule(caller, schedule_id).id)
    return json_response(200, {"id": schedule.id, "status": "deleted"})


@route(router, "GET", BASE + "/<schedule_id>/tasks")
@taskhook_errors
def tasks(schedule_id: str) -> Response:
    caller = project(router)
    schedule = _schedule(caller, schedule_id)
    params = query(router)
    limit, offset = taskhook.paging(params)
    status = taskhook.task_filter(params)
    # newest first; a Taskhook status covers several native states
    runs = all_items(container().store.list_occurrences, caller["id"], schedule.id)
    found = [t for t in (taskhook.task_view(o, schedule) for o in runs) if status is None or t["status"] == status]
    return json_response(200, {"total": len(found), "tasks": found[offset:offset + limit]})


@route(router, "GET", BASE + "/<schedule_id>/preview")
@taskhook_errors
def preview(schedule_id: str) -> Response:
    caller = project(router)
    schedule = _schedule(caller, schedule_id)
    params = {k: v for k, v in query(router).items() if k in ("limit", "start_from")}
    if "start_from" in params:
        params["start_from"] = taskhook.iso(params["start_from"])
    runs = schedules.preview_schedule(container(), caller, schedule.id, params)
    return json_response(200, taskhook.preview_view(schedule.id, runs))
