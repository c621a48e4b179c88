"""`/v1/project`."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import Router

from belltower.service import keys
from belltower.wiring import container
from handlers.routes.http import json_response, project, route

router = Router()


@route(router, "GET", "/v1/project")
def get_project() -> Response[dict]:
    return json_response(200, keys.project_view(project(router), container().clock.now()))


@route(router, "POST", "/v1/project/signing-secret/rotate")
def rotate_signing_secret() -> Response[dict]:
    c = container()
    rotated = keys.rotate_signing_secret(c, project(router)["id"])
    return json_response(200, keys.project_view(rotated, c.clock.now()))
