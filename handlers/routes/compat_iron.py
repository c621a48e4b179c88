"""`/compat/iron/2/projects/{project_id}/tasks`, `/schedules` and `/codes`: IronWorker's wire
format over native schedules and endpoint profiles (belltower.compat.iron)."""

from __future__ import annotations

from itertools import islice
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import Router

from belltower.adapters.store import SCAN_PAGE, all_items
from belltower.compat import iron
from belltower.domain.errors import BelltowerError, Conflict, NotFound
from belltower.domain.ids import is_id
from belltower.domain.models import Endpoint, Occurrence, Schedule
from belltower.service import endpoints, keys, schedules
from belltower.wiring import container
from handlers.routes.http import json_body, json_response, query, raw_body, route, seed_errors

router = Router()
BASE = "/compat/iron/2/projects/<project_id>"
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
    iron.check_size(raw_body(router))
    return caller, json_body(router)


def _all_profiles(caller: dict[str, Any]) -> list[Endpoint]:
    """The project's endpoint profiles, newest first."""
    return list(all_items(container().store.list_endpoints, caller["id"]))


def _profiles(caller: dict[str, Any], names: set[str]) -> dict[str, str]:
    """Endpoint profile ids by name (the newest of a name wins); 404 for an unknown code_name."""
    found: dict[str, str] = {}
    for endpoint in _all_profiles(caller):
        found.setdefault(endpoint.name, endpoint.id)
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


def _last(schedule: Schedule) -> Occurrence | None:
    items = container().store.list_occurrences(schedule.project_id, schedule.id, limit=1).items
    return items[0] if items else None


def _code(caller: dict[str, Any], code_id: str) -> Endpoint:
    found = container().store.get_endpoint(caller["id"], code_id) if is_id("ep", code_id) else None
    if found is None:
        raise NotFound("Code package not found")
    return found


def _page(items: list[Any]) -> list[Any]:
    page_no, per_page = iron.page(query(router))
    return items[page_no * per_page:(page_no + 1) * per_page]


def _list(caller: dict[str, Any], kind: str) -> list[Schedule]:
    page_no, per_page = iron.page(query(router))
    found = (s for s in all_items(container().store.list_schedules, caller["id"]) if iron.is_iron(s, kind))
    return list(islice(found, page_no * per_page, (page_no + 1) * per_page))


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


@route(router, "POST", BASE + "/tasks/webhook")
@iron_errors
def queue_webhook_task(project_id: str) -> Response:
    """The raw body (anything, up to 64 KB) is the payload of a task queued now."""
    caller = _project(project_id)
    body = raw_body(router)
    iron.check_size(body)
    [task_id] = _create(caller, [iron.webhook_to_native(query(router).get("code_name"), body)])
    return json_response(200, {"id": task_id, "msg": "Queued up."})


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


@route(router, "GET", BASE + "/tasks/<task_id>/log")
@iron_errors
def get_task_log(project_id: str, task_id: str) -> Response:
    task = _find(_project(project_id), task_id, "task", "Task")
    runs = container().store.list_occurrences(task.project_id, task.id, limit=SCAN_PAGE).items
    return Response(status_code=200, content_type="text/plain; charset=utf-8", body=iron.task_log(task, runs))


@route(router, "POST", BASE + "/tasks/<task_id>/progress")
@iron_errors
def set_task_progress(project_id: str, task_id: str) -> Response:
    """Kept in `metadata.iron.progress` through the native PATCH: only while the task is queued or
    running (a finished schedule cannot be edited)."""
    caller, body = _json(project_id)
    task = _find(caller, task_id, "task", "Task")
    value = iron.progress(body)
    try:
        schedules.update_schedule(container(), caller, task.id, {"metadata": iron.with_progress(task.metadata, value)})
    except Conflict:
        finished = _find(caller, task_id, "task", "Task")  # as it is now (it may have finished meanwhile)
        status = iron.task_view(finished, _last(finished))["status"]
        raise iron.NotAcceptable(f"Task has finished ({status}): progress can be set only while it is queued "
                                 "or running") from None
    except BelltowerError as error:
        if error.param != "metadata":
            raise
        raise iron.NotAcceptable("msg is too long to keep with the task", param="msg") from None
    return json_response(200, {"msg": "Progress set"})


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


@route(router, "GET", BASE + "/codes")
@iron_errors
def list_codes(project_id: str) -> Response:
    """Code packages are the project's endpoint profiles, newest first."""
    caller = _project(project_id)
    return json_response(200, {"codes": [iron.code_view(e) for e in _page(_all_profiles(caller))]})


@route(router, "POST", BASE + "/codes")
@iron_errors
def upload_code(project_id: str) -> Response:
    _project(project_id)
    raise iron.NotSupported(iron.UPLOAD_REFUSED)


@route(router, "GET", BASE + "/codes/<code_id>")
@iron_errors
def get_code(project_id: str, code_id: str) -> Response:
    return json_response(200, iron.code_view(_code(_project(project_id), code_id)))


@route(router, "DELETE", BASE + "/codes/<code_id>")
@iron_errors
def delete_code(project_id: str, code_id: str) -> Response:
    """Deletes the endpoint profile; refused while a queued task or an active schedule uses it."""
    caller = _project(project_id)
    code = _code(caller, code_id)
    try:
        endpoints.delete_endpoint(container(), caller, code.id)
    except Conflict as error:
        raise iron.NotAcceptable(f"Code package {code.name!r} cannot be deleted: {error.message}") from None
    return json_response(200, {"msg": "Deleted"})


@route(router, "GET", BASE + "/codes/<code_id>/download")
@iron_errors
def download_code(project_id: str, code_id: str) -> Response:
    raise iron.download_refused(_code(_project(project_id), code_id))


@route(router, "GET", BASE + "/codes/<code_id>/revisions")
@iron_errors
def list_code_revisions(project_id: str, code_id: str) -> Response:
    """One revision: the profile as it is now (earlier versions are not kept)."""
    code = _code(_project(project_id), code_id)
    return json_response(200, {"revisions": _page([iron.revision_view(code)])})
