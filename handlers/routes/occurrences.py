"""`/v1/occurrences` and `/v1/dead-letters`."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import Router

from belltower.service import lifecycle
from belltower.wiring import container
from handlers.routes.http import json_body, json_response, list_response, project, query, resource_id, route

router = Router()


@route(router, "GET", "/v1/occurrences/<occurrence_id>")
def get_occurrence(occurrence_id: str) -> Response[dict]:
    caller = project(router)
    return json_response(200, lifecycle.get_occurrence(container(), caller, resource_id("occ", occurrence_id)).to_api())


@route(router, "POST", "/v1/occurrences/<occurrence_id>/replay")
def replay_occurrence(occurrence_id: str) -> Response[dict]:
    caller = project(router)
    return json_response(201, lifecycle.replay(container(), caller, resource_id("occ", occurrence_id)).to_api())


@route(router, "GET", "/v1/dead-letters", query=("limit", "cursor"))
def list_dead_letters() -> Response[dict]:
    page = lifecycle.list_dead_letters(container(), project(router), query(router))
    return list_response(page, [o.to_api() for o in page.items])


@route(router, "POST", "/v1/dead-letters/replay")
def replay_dead_letters() -> Response[dict]:
    caller = project(router)
    body = json_body(router) if router.current_event.body else {}
    replays = lifecycle.replay_dead_letters(container(), caller, body)
    return json_response(200, {"data": [o.to_api() for o in replays]})
