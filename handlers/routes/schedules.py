"""`/v1/schedules`, a schedule's occurrences and preview, and `/v1/preview`."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import Router

from belltower.domain.preview import timing_preview
from belltower.service import lifecycle, schedules
from belltower.wiring import container
from handlers.routes.http import json_body, json_response, list_response, project, query, resource_id, route

router = Router()


@route(router, "POST", "/v1/schedules")
def create_schedule() -> Response[dict]:
    caller = project(router)
    created = schedules.create_schedule(container(), caller, json_body(router),
                                        idempotency_key=router.current_event.headers.get("idempotency-key"))  # fmt: skip
    if created.replayed:
        return json_response(200, created.schedule.to_api(_now()), {"Idempotent-Replayed": "true"})
    return json_response(201, created.schedule.to_api(_now()))


@route(router, "POST", "/v1/schedules/batch")
def create_batch() -> Response[dict]:
    caller = project(router)
    now = _now()
    results = schedules.create_batch(container(), caller, json_body(router),
                                     idempotency_key=router.current_event.headers.get("idempotency-key"))  # fmt: skip
    return json_response(200, {"data": [
        {"status": r.status, "schedule": r.schedule.to_api(now)} if r.schedule else
        {"status": r.status, "error": r.error.to_dict()["error"]}
        for r in results
    ]})  # fmt: skip


@route(router, "GET", "/v1/schedules", query=("limit", "cursor", "state", "kind"))
def list_schedules() -> Response[dict]:
    page = schedules.list_schedules(container(), project(router), query(router))
    now = _now()
    return list_response(page, [s.to_api(now) for s in page.items])


@route(router, "GET", "/v1/schedules/<schedule_id>")
def get_schedule(schedule_id: str) -> Response[dict]:
    caller = project(router)
    schedule = schedules.get_schedule(container(), caller, resource_id("sch", schedule_id))
    return json_response(200, schedule.to_api(_now()))


@route(router, "PATCH", "/v1/schedules/<schedule_id>")
def update_schedule(schedule_id: str) -> Response[dict]:
    caller = project(router)
    schedule = schedules.update_schedule(container(), caller, resource_id("sch", schedule_id), json_body(router))
    return json_response(200, schedule.to_api(_now()))


@route(router, "DELETE", "/v1/schedules/<schedule_id>")
def cancel_schedule(schedule_id: str) -> Response[dict]:
    caller = project(router)
    schedule = schedules.cancel_schedule(container(), caller, resource_id("sch", schedule_id))
    return json_response(200, schedule.to_api(_now()))


@route(router, "GET", "/v1/schedules/<schedule_id>/occurrences", query=("limit", "cursor", "state"))
def list_occurrences(schedule_id: str) -> Response[dict]:
    caller = project(router)
    page = schedules.list_occurrences(container(), caller, resource_id("sch", schedule_id), query(router))
    return list_response(page, [o.to_api() for o in page.items])


@route(router, "POST", "/v1/schedules/<schedule_id>/pause")
def pause_schedule(schedule_id: str) -> Response[dict]:
    caller = project(router)
    return json_response(200, lifecycle.pause(container(), caller, resource_id("sch", schedule_id)).to_api(_now()))


@route(router, "POST", "/v1/schedules/<schedule_id>/resume")
def resume_schedule(schedule_id: str) -> Response[dict]:
    caller = project(router)
    return json_response(200, lifecycle.resume(container(), caller, resource_id("sch", schedule_id)).to_api(_now()))


@route(router, "POST", "/v1/schedules/<schedule_id>/trigger")
def trigger_schedule(schedule_id: str) -> Response[dict]:
    caller = project(router)
    return json_response(201, lifecycle.trigger(container(), caller, resource_id("sch", schedule_id)).to_api())


@route(router, "GET", "/v1/schedules/<schedule_id>/preview", query=("limit", "start_from"))
def preview_schedule(schedule_id: str) -> Response[dict]:
    caller = project(router)
    return json_response(200, schedules.preview_schedule(container(), caller, resource_id("sch", schedule_id),
                                                         query(router)))  # fmt: skip


@route(router, "POST", "/v1/preview")
def preview_timing() -> Response[dict]:
    project(router)
    return json_response(200, timing_preview(json_body(router), _now()))


def _now():
    return container().clock.now()
