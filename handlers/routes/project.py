"""`/v1/project`."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import Router

from handlers.routes.http import json_response, project, route

router = Router()


@route(router, "GET", "/v1/project")
def get_project() -> Response:
    caller = project(router)
    return json_response(200, {"id": caller["id"], "object": "project", "name": caller["name"],
                               "signing_secrets": caller["signing_secrets"]})  # fmt: skip
