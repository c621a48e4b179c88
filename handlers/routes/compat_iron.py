"""`/compat/iron/2/projects/{project_id}/tasks` and `/schedules`: IronWorker's wire format over
native schedules (belltower.compat.iron)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import Router

from belltower.compat import iron
from belltower.domain.errors import BelltowerError, NotFound
from belltower.domain.ids import is_id
from belltower.domain.models import Schedule
from belltower.service import keys, schedules
from belltower.wiring import container
from handlers.routes.http import json_body, json_response, query, route, seed_errors

router = Router()
BASE = "/compat/iron/2/projects/<project_id>"
SCAN_PAGE = 100
iron_errors = seed_errors(iron.error_response)


def _project(project_id: str) -> dict[str, Any]:
    headers = router.current_event.headers
    caller = keys.authenticate(container().store, iron.token(headers.get("authorization"), query(router).get("oauth")))
    if project_id != caller["id"]:
        raise NotFound("Project not found")
    return caller


def _json(project_id: str) -> tuple[dict[str, Any], Any]:
    caller = _project(project_id)
    if not iron.is_json(router.current_event.headers.get("content-type")):
        raise iron.NotAcceptable("Content-Type must be application/json")
    return caller, json_body(router)


def _profiles(caller: dict[str, Any], names: set[str]) -> dict[str, str]:
    """Endpoint profile ids by name (the newest of a name wins); 404 for an unknown code_name."""
    c, found, cursor = container(), {}, None
    while True:
        page = c.store.list_endpoints(caller["id"], limit=SCAN_PAGE, cursor=cursor)
        for endpoint in page.items:
            found.setdefault(endpoint.name, endpoint.id)
        if not page.has_more:
            break
        cursor = page.next_cursor
    for name in sorted(names):
        if name not in found:
            raise NotFound(f"Code package {name!r} not found (create an endpoint profile with that name)")
    return found


def _create(caller: dict[str, Any], items: list[tuple[str, dict[str, Any]]]) -> list[str]:
    profiles = _profiles(caller, {name for name, _ in items})
    c = container()
    return [schedules.create_schedule(c, caller, {**native, "endpoint_id": profiles[name]}).schedule.id
            for name, native in items]  # fmt: skip


def _find(caller: dict[str, Any], item_id: str, kind: str, what: str) -> Schedule:
    found = container().store.get_schedule(caller["id"], item_id) if is_id("sch", item_id) else None
    if found is None or not iron.is_iron(found, kind):
        raise NotFound(f"{what} not found")
    return found


def _last(schedule: Schedule):
    items = container().store.list_occurrences(schedule.project_id, schedule.id, limit=1).items
    return items[0] if items else None


def _list(caller: dict[str, Any], kind: str) -> list[Schedule]:
    c, found, cursor = container(), [], None
    page_no, per_page = iron.page(query(router))
    while len(found) < (page_no + 1) * per_page:
        page = c.store.list_schedules(caller["id"], limit=SCAN_PAGE, cursor=cursor)
        found += [s for s in page.items if iron.is_iron(s, kind)]
        if not page.has_more:
            break
        cursor = page.next_cursor
    return found[page_no * per_page:(page_no + 1) * per_page]


def _cancel(caller: dict[str, Any], schedule: Schedule) -> Response:
    try:
        schedules.cancel_schedule(container(), caller, schedule.id)
    except BelltowerError as error:
        if error.status != 409:
            raise
        raise iron.NotAcceptable("Already finished; nothing to cancel") from None
    return json_response(200, {"msg": "Cancelled"})


@route(router, "POST", BASE + "/tasks")
@iron_errors
def queue_tasks(project_id: str) -> Response:
    caller, body = _json(project_id)
    ids = _create(caller, iron.tasks_to_native(body))
    return json_response(200, {"msg": "Queued up", "tasks": [{"id": i} for i in ids]})


@route(router, "GET", BASE + "/tasks")
@iron_errors
def list_tasks(project_id: str) -> Response:
    caller = _project(project_id)
    return json_response(200, {"tasks": [iron.task_view(s, _last(s)) for s in _list(caller, "task")]})


@route(router, "GET", BASE + "/tasks/<task_id>")
@iron_errors
def get_task(project_id: str, task_id: str) -> Response:
    task = _find(_project(project_id), task_id, "task", "Task")
    return json_response(200, iron.task_view(task, _last(task)))


@route(router, "POST", BASE + "/tasks/<task_id>/cancel")
@iron_errors
def cancel_task(project_id: str, task_id: str) -> Response:
    caller = _project(project_id)
    return _cancel(caller, _find(caller, task_id, "task", "Task"))


@route(router, "POST", BASE + "/schedules")
@iron_errors
def create_schedules(project_id: str) -> Response:
    caller, body = _json(project_id)
    ids = _create(caller, iron.schedules_to_native(body, container().clock.now()))
    return json_response(200, {"msg": "Scheduled", "schedules": [{"id": i} for i in ids]})


@route(router, "GET", BASE + "/schedules")
@iron_errors
def list_schedules(project_id: str) -> Response:
    caller = _project(project_id)
    now = container().clock.now()
    return json_response(200, {"schedules": [iron.schedule_view(s, now) for s in _list(caller, "schedule")]})


@route(router, "GET", BASE + "/schedules/<schedule_id>")
@iron_errors
def get_schedule(project_id: str, schedule_id: str) -> Response:
    found = _find(_project(project_id), schedule_id, "schedule", "Schedule")
    return json_response(200, iron.schedule_view(found, container().clock.now()))


@route(router, "POST", BASE + "/schedules/<schedule_id>/cancel")
@iron_errors
def cancel_schedule(project_id: str, schedule_id: str) -> Response:
    caller = _project(project_id)
    return _cancel(caller, _find(caller, schedule_id, "schedule", "Schedule"))
