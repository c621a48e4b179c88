"""`/compat/pipedream`: Pipedream's "New Scheduled Tasks" source over native one-shot schedules
(belltower.compat.pipedream)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import Router

from belltower.adapters.store import SCAN_PAGE, all_items
from belltower.compat import pipedream
from belltower.domain.errors import BelltowerError, InvalidRequest, NotFound, Unauthorized
from belltower.domain.ids import is_id, new_id
from belltower.service import events, keys, schedules
from belltower.wiring import container
from handlers.routes.http import json_body, json_response, route, seed_errors

router = Router()
BASE = "/compat/pipedream"
#: At most this many feed events are read per SSE request; the client resumes from the last id.
SSE_SCAN = 1000
pipedream_errors = seed_errors(pipedream.error_response)


def _project(*, allow_bearer: bool = False) -> dict[str, Any]:
    """The project whose API key is the `x-pd-secret` (or, for the stream, a Bearer key)."""
    headers = router.current_event.headers
    secret = headers.get("x-pd-secret")
    if secret is None and allow_bearer:
        return keys.authenticate(container().store, headers.get("authorization"))
    return keys.authenticate(container().store, f"Bearer {secret or ''}")


def _profile_id(caller: dict[str, Any]) -> str | None:
    profiles = all_items(container().store.list_endpoints, caller["id"])
    return next((e.id for e in profiles if e.name == pipedream.PROFILE_NAME), None)


@route(router, "POST", BASE + "/schedule")
@pipedream_errors
def schedule() -> Response:
    c = container()
    now = c.clock.now()
    try:
        body = json_body(router)
    except InvalidRequest:
        body = None
    errors = pipedream.schedule_errors(body, now)
    try:
        caller = _project()
    except Unauthorized:
        return json_response(400, pipedream.errors_body(errors + [pipedream.BAD_SECRET]))
    if errors:
        return json_response(400, pipedream.errors_body(errors))
    profile = _profile_id(caller)
    if profile is None:
        return json_response(400, pipedream.errors_body([pipedream.NO_PROFILE]))
    schedule_id = new_id("sch", now)
    native = pipedream.to_native(body, schedule_id=schedule_id, endpoint_id=profile, now=now)
    created = schedules.create_schedule(c, caller, native, schedule_id=schedule_id).schedule
    return json_response(200, {"msg": pipedream.SCHEDULED, "id": created.id})


@route(router, "POST", BASE + "/cancel")
@pipedream_errors
def cancel() -> Response:
    caller = _project()
    try:
        task_id = pipedream.cancel_id(json_body(router))
    except InvalidRequest:
        task_id = None
    c = container()
    found = c.store.get_schedule(caller["id"], task_id) if is_id("sch", task_id) else None
    if found is None or not pipedream.is_pipedream(found) or found.state != "active":
        raise NotFound(pipedream.NOT_FOUND)
    try:
        schedules.cancel_schedule(c, caller, found.id)
    except BelltowerError:  # emitted meanwhile
        raise NotFound(pipedream.NOT_FOUND) from None
    return json_response(200, {"msg": pipedream.CANCELLED})


@route(router, "GET", BASE + "/sse")
@pipedream_errors
def stream() -> Response:
    """The emitted tasks since `Last-Event-ID`, as text/event-stream. API Gateway cannot hold a
    stream open: the answer ends after the backlog and `retry:` tells the client when to resume."""
    caller = _project(allow_bearer=True)
    c = container()
    after = router.current_event.headers.get("last-event-id") or None
    if after is not None and not is_id("evt", after):
        raise InvalidRequest("Last-Event-ID must be an id this stream sent")
    chunks, last, scanned, cache = ["retry: 2000\n\n"], after, 0, {}
    while scanned < SSE_SCAN:
        page = events.list_events(c, caller, {"limit": str(SCAN_PAGE), **({"after": last} if last else {})})
        for event in page.items:
            last, scanned = event.id, scanned + 1
            if not pipedream.is_emission(event):
                continue
            sid = event.data["schedule_id"]
            if sid not in cache:
                cache[sid] = c.store.get_schedule(caller["id"], sid)
            schedule = cache[sid]
            if schedule is not None and pipedream.is_pipedream(schedule):
                chunks.append(pipedream.sse_message(event.id, pipedream.emitted_payload(schedule)))
        if not page.has_more:
            break
    if last and last != after:
        chunks.append(f"id: {last}\n\n")  # resume after everything read, emitted or not
    return Response(status_code=200, content_type="text/event-stream", body="".join(chunks),
                    headers={"Cache-Control": "no-cache"})  # fmt: skip
