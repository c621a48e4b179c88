"""`/v1/events`: the project's lifecycle event feed."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import Router

from belltower.service import events
from belltower.wiring import container
from handlers.routes.http import list_response, project, query, route

router = Router()


@route(router, "GET", "/v1/events", query=("after", "limit", "cursor"))
def list_events() -> Response[dict]:
    page = events.list_events(container(), project(router), query(router))
    return list_response(page, [e.to_api() for e in page.items])
