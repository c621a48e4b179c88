"""`/v1/endpoints`: endpoint profiles."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import Router

from belltower.service import endpoints
from belltower.wiring import container
from handlers.routes.http import json_body, json_response, list_response, project, query, resource_id, route

router = Router()


@route(router, "POST", "/v1/endpoints")
def create_endpoint() -> Response[dict]:
    caller = project(router)
    return json_response(201, endpoints.create_endpoint(container(), caller, json_body(router)).to_api())


@route(router, "GET", "/v1/endpoints", query=("limit", "cursor"))
def list_endpoints() -> Response[dict]:
    page = endpoints.list_endpoints(container(), project(router), query(router))
    return list_response(page, [e.to_api() for e in page.items])


@route(router, "GET", "/v1/endpoints/<endpoint_id>")
def get_endpoint(endpoint_id: str) -> Response[dict]:
    caller = project(router)
    return json_response(200, endpoints.get_endpoint(container(), caller, resource_id("ep", endpoint_id)).to_api())


@route(router, "PATCH", "/v1/endpoints/<endpoint_id>")
def update_endpoint(endpoint_id: str) -> Response[dict]:
    caller = project(router)
    updated = endpoints.update_endpoint(container(), caller, resource_id("ep", endpoint_id), json_body(router))
    return json_response(200, updated.to_api())


@route(router, "DELETE", "/v1/endpoints/<endpoint_id>")
def delete_endpoint(endpoint_id: str) -> Response[dict]:
    caller = project(router)
    deleted = endpoints.delete_endpoint(container(), caller, resource_id("ep", endpoint_id))
    return json_response(200, {"id": deleted.id, "object": "endpoint", "deleted": True})
