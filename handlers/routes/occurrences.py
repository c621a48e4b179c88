"""`/v1/occurrences`."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import Router

from belltower.domain.errors import NotFound
from belltower.wiring import container
from handlers.routes.http import json_response, project, resource_id, route

router = Router()


@route(router, "GET", "/v1/occurrences/<occurrence_id>")
def get_occurrence(occurrence_id: str) -> Response:
    caller = project(router)
    occ = container().store.find_occurrence(caller["id"], resource_id("occ", occurrence_id))
    if occ is None:
        raise NotFound(f"no occurrence {occurrence_id!r}", param="id")
    return json_response(200, occ.to_api())
