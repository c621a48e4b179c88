"""API function: the native `/v1` API behind API Gateway (HTTP API, payload format 2.0)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from handlers.observability import make_logger

from belltower.adapters.store import Page
from belltower.domain.errors import BelltowerError, InvalidRequest, MethodNotAllowed, NotFound, SchedulerUnavailable
from belltower.service import keys, schedules
from belltower.wiring import container

logger = make_logger("belltower-api")
app = APIGatewayHttpResolver()

MAX_REQUEST_BYTES = 1024 * 1024
_ID = {"sch": re.compile(r"^sch_[0-9A-Z]{26}$"), "occ": re.compile(r"^occ_[0-9A-Z]{26}$")}
_ROUTES: list[tuple[re.Pattern[str], str]] = []


def route(method: str, rule: str):
    """Register a route, remembering its rule so a wrong method can answer 405."""
    _ROUTES.append((re.compile("^" + re.sub(r"<\w+>", "[^/]+", rule) + "$"), method))
    return app.route(rule, method)


# --- helpers ---------------------------------------------------------------------------------
def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status_code=status, content_type="application/json",
                    body=json.dumps(body, separators=(",", ":")), headers=headers)  # fmt: skip


def _project() -> dict[str, Any]:
    return keys.authenticate(container().store, app.current_event.headers.get("authorization"))


def _body() -> Any:
    event = app.current_event
    raw: str | bytes = event.body or ""
    if event.is_base64_encoded:
        try:
            raw = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidRequest("the request body is not valid", code="invalid_json") from None
    data = raw.encode("utf-8", errors="surrogatepass") if isinstance(raw, str) else raw
    if len(data) > MAX_REQUEST_BYTES:
        raise InvalidRequest("the request body is over 1 MB", code="invalid_json")
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidRequest("the request body is not valid JSON", code="invalid_json") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _query() -> dict[str, str]:
    return dict(app.current_event.query_string_parameters or {})


def _id(kind: str, value: str) -> str:
    if not _ID[kind].match(value):
        raise NotFound(f"no such resource {value!r}", param="id")
    return value


def _list(page: Page, items: list[dict[str, Any]]) -> Response:
    return _json(200, {"object": "list", "data": items, "has_more": page.has_more,
                       "next_cursor": page.next_cursor})  # fmt: skip


# --- routes ----------------------------------------------------------------------------------
@route("POST", "/v1/schedules")
def create_schedule() -> Response:
    project = _project()
    schedule = schedules.create_schedule(container(), project, _body())
    return _json(201, schedule.to_api())


@route("GET", "/v1/schedules")
def list_schedules() -> Response:
    page = schedules.list_schedules(container(), _project(), _query())
    return _list(page, [s.to_api() for s in page.items])


@route("GET", "/v1/schedules/<schedule_id>")
def get_schedule(schedule_id: str) -> Response:
    project = _project()
    return _json(200, schedules.get_schedule(container(), project, _id("sch", schedule_id)).to_api())


@route("DELETE", "/v1/schedules/<schedule_id>")
def cancel_schedule(schedule_id: str) -> Response:
    project = _project()
    return _json(200, schedules.cancel_schedule(container(), project, _id("sch", schedule_id)).to_api())


@route("GET", "/v1/schedules/<schedule_id>/occurrences")
def list_occurrences(schedule_id: str) -> Response:
    project = _project()
    page = schedules.list_occurrences(container(), project, _id("sch", schedule_id), _query())
    return _list(page, [o.to_api() for o in page.items])


@route("GET", "/v1/occurrences/<occurrence_id>")
def get_occurrence(occurrence_id: str) -> Response:
    project = _project()
    occ = container().store.find_occurrence(project["id"], _id("occ", occurrence_id))
    if occ is None:
        raise NotFound(f"no occurrence {occurrence_id!r}", param="id")
    return _json(200, occ.to_api())


@route("GET", "/v1/project")
def get_project() -> Response:
    project = _project()
    return _json(200, {"id": project["id"], "object": "project", "name": project["name"],
                       "signing_secrets": project["signing_secrets"]})  # fmt: skip


# --- errors ----------------------------------------------------------------------------------
@app.exception_handler(BelltowerError)
def on_domain_error(exc: BelltowerError) -> Response:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, SchedulerUnavailable) else None
    return _json(exc.status, exc.to_dict(), headers)


@app.not_found
def on_not_found(_: NotFoundError) -> Response:
    path, method = app.current_event.path, app.current_event.http_method
    allowed = sorted({m for pattern, m in _ROUTES if pattern.match(path)})
    if allowed and method not in allowed:
        exc: BelltowerError = MethodNotAllowed(f"{method} is not allowed here; use {', '.join(allowed)}")
        return _json(405, exc.to_dict(), {"Allow": ", ".join(allowed)})
    return _json(404, NotFound(f"no route {method} {path}").to_dict())


@app.exception_handler(Exception)
def on_unexpected(exc: Exception) -> Response:
    logger.exception("unhandled error")
    body = {"error": {"type": "api_error", "code": "internal_error",
                      "message": "an internal error occurred; it has been logged", "param": None}}  # fmt: skip
    return _json(500, body)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
