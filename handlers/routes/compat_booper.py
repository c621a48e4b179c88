"""`/compat/booper/api/jobs`: Booper's wire format over native schedules (belltower.compat.booper)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import Router

from belltower.adapters.store import all_items
from belltower.compat import booper
from belltower.domain import idempotency
from belltower.domain.ids import is_id
from belltower.domain.errors import Conflict, NotFound
from belltower.domain.models import Schedule
from belltower.service import schedules
from belltower.wiring import container
from handlers.routes.http import json_body, json_response, project, route, seed_errors

router = Router()
BASE = "/compat/booper/api/jobs"


booper_errors = seed_errors(booper.error_response)


def _respond(status: int, schedule: Schedule) -> Response:
    c = container()
    page = c.store.list_occurrences(schedule.project_id, schedule.id, limit=1)
    last = page.items[0] if page.items else None
    return json_response(status, {"data": booper.job_response(schedule, last, c.clock.now())})


def _job(caller: dict[str, Any], job_id: str) -> Schedule:
    schedule = container().store.get_schedule(caller["id"], job_id) if is_id("sch", job_id) else None
    if schedule is None or not booper.is_booper(schedule):
        raise NotFound("no such job", param="id")
    return schedule


@route(router, "POST", BASE)
@booper_errors
def create_job() -> Response:
    caller = project(router)
    c = container()
    body = json_body(router)
    native = booper.to_native(body, c.clock.now())
    key = native["metadata"]["booper"].get("idempotency_key")
    if key is None:
        return _respond(200, schedules.create_schedule(c, caller, native).schedule)
    # First job wins until it executes: a pending job with the key is returned instead.
    native_key = f"compat:booper:{key}"
    record = c.store.get_idempotency(caller["id"], idempotency.key_digest(native_key))
    if record is not None and record["state"] == "done":
        first = c.store.get_schedule(caller["id"], record["schedule_id"])
        if first is not None and not booper.executed(first):
            return _respond(200, first)
        return _respond(200, schedules.create_schedule(c, caller, native).schedule)  # key free again
    try:
        return _respond(200, schedules.create_schedule(c, caller, native, idempotency_key=native_key).schedule)
    except Conflict:  # raced with another job using the key: the first one wins
        record = c.store.get_idempotency(caller["id"], idempotency.key_digest(native_key))
        first = record and c.store.get_schedule(caller["id"], record["schedule_id"])
        if not first:
            raise
        return _respond(200, first)


@route(router, "GET", BASE)
@booper_errors
def list_jobs() -> Response:
    caller = project(router)
    c = container()
    # native lists have no metadata filter: keep the Booper jobs
    found = [s for s in all_items(c.store.list_schedules, caller["id"]) if booper.is_booper(s)]
    now = c.clock.now()
    data = []
    for s in found:
        occs = c.store.list_occurrences(caller["id"], s.id, limit=1).items
        data.append(booper.job_response(s, occs[0] if occs else None, now))
    return json_response(200, {"data": data})


@route(router, "GET", BASE + "/<job_id>")
@booper_errors
def get_job(job_id: str) -> Response:
    return _respond(200, _job(project(router), job_id))


@route(router, "DELETE", BASE + "/<job_id>")
@booper_errors
def cancel_job(job_id: str) -> Response:
    caller = project(router)
    schedule = _job(caller, job_id)
    return _respond(200, schedules.cancel_schedule(container(), caller, schedule.id))
