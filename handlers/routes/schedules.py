"""`/v1/schedules` and a schedule's occurrences."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import Router

from belltower.service import schedules
from belltower.wiring import container
from handlers.routes.http import json_body, json_response, list_response, project, query, resource_id, route

router = Router()


@route(router, "POST", "/v1/schedules")
def create_schedule() -> Response:
    caller = project(router)
    created = schedules.create_schedule(container(), caller, json_body(router),
                                        idempotency_key=router.current_event.headers.get("idempotency-key"))  # fmt: skip
    if created.replayed:
        return json_response(200, created.schedule.to_api(), {"Idempotent-Replayed": "true"})
    return json_response(201, created.schedule.to_api())


@route(router, "POST", "/v1/schedules/batch")
def create_batch() -> Response:
    caller = project(router)
    results = schedules.create_batch(container(), caller, json_body(router),
                                     idempotency_key=router.current_event.headers.get("idempotency-key"))  # fmt: skip
    return json_response(200, {"data": [
        {"status": r.status, "schedule": r.schedule.to_api()} if r.schedule else
        {"status": r.status, "error": r.error.to_dict()["error"]}
        for r in results
    ]})  # fmt: skip


@route(router, "GET", "/v1/schedules")
def list_schedules() -> Response:
    page = schedules.list_schedules(container(), project(router), query(router))
    return list_response(page, [s.to_api() for s in page.items])


@route(router, "GET", "/v1/schedules/<schedule_id>")
def get_schedule(schedule_id: str) -> Response:
    caller = project(router)
    return json_response(200, schedules.get_schedule(container(), caller, resource_id("sch", schedule_id)).to_api())


@route(router, "DELETE", "/v1/schedules/<schedule_id>")
def cancel_schedule(schedule_id: str) -> Response:
    caller = project(router)
    schedule = schedules.cancel_schedule(container(), caller, resource_id("sch", schedule_id))
    return json_response(200, schedule.to_api())


@route(router, "GET", "/v1/schedules/<schedule_id>/occurrences")
def list_occurrences(schedule_id: str) -> Response:
    caller = project(router)
    page = schedules.list_occurrences(container(), caller, resource_id("sch", schedule_id), query(router))
    return list_response(page, [o.to_api() for o in page.items])
