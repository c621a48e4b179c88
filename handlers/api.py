"""API function: the native `/v1` API behind API Gateway (HTTP API, payload format 2.0).

Routes live in `handlers/routes/`, one module per resource; this file wires them, maps domain
errors to responses by type, and is the Lambda entry point.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from botocore.exceptions import BotoCoreError, ClientError

from belltower.compat import booper, iron, pipedream, taskhook
from belltower.domain.errors import BelltowerError, MethodNotAllowed, NotFound, SchedulerUnavailable
from handlers.observability import make_logger
from handlers.routes import (compat_booper, compat_iron, compat_pipedream, compat_taskhook, endpoints, events,
                             meta, occurrences, project, schedules)
from handlers.routes.http import allowed_methods, json_response

logger = make_logger("belltower-api")
#: The native API, as documented in docs/openapi.json (handlers/openapi.py builds it from these).
V1_ROUTERS = tuple(module.router for module in (schedules, occurrences, endpoints, events, project))
app = APIGatewayHttpResolver()
COMPAT_ROUTERS = tuple(module.router for module in (compat_booper, compat_taskhook, compat_pipedream, compat_iron))
for router in (*V1_ROUTERS, meta.router, *COMPAT_ROUTERS):
    app.include_router(router)
#: Unknown paths and wrong methods under a compatibility base answer in that seed's error shape.
COMPAT_ERRORS = (("/compat/booper/", booper.error_response), ("/compat/taskhook/", taskhook.error_response),
                 ("/compat/pipedream/", pipedream.error_response), ("/compat/iron/", iron.error_response))  # fmt: skip


@app.exception_handler(BelltowerError)
def on_domain_error(exc: BelltowerError) -> Response:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, SchedulerUnavailable) else None
    return json_response(exc.status, exc.to_dict(), headers)


@app.not_found
def on_not_found(_: NotFoundError) -> Response:
    path, method = app.current_event.path, app.current_event.http_method
    allowed = allowed_methods(path)
    to_seed = next((mapper for prefix, mapper in COMPAT_ERRORS if path.startswith(prefix)), None)
    if allowed and method not in allowed:
        error = MethodNotAllowed(f"{method} is not allowed here; use {', '.join(allowed)}")
        body = to_seed(error)[1] if to_seed else error.to_dict()
        return json_response(405, body, {"Allow": ", ".join(allowed)})
    error = NotFound(f"no route {method} {path}")
    return json_response(404, to_seed(error)[1] if to_seed else error.to_dict())


#: AWS answers that mean "busy or briefly unavailable, try again": the caller gets a 503 with
#: Retry-After (after botocore's own retries), never a 500.
RETRYABLE_AWS_ERRORS = frozenset({
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "Throttling", "TooManyRequestsException", "InternalServerError", "ServiceUnavailable",
    "TransactionConflictException",
})  # fmt: skip


@app.exception_handler(ClientError)
def on_aws_error(exc: ClientError) -> Response:
    if exc.response.get("Error", {}).get("Code") in RETRYABLE_AWS_ERRORS:
        logger.warning("AWS is throttling or unavailable", extra={"error_code": exc.response["Error"]["Code"]})
        return on_domain_error(SchedulerUnavailable())
    return on_unexpected(exc)


@app.exception_handler(BotoCoreError)
def on_aws_unreachable(exc: BotoCoreError) -> Response:
    logger.warning("AWS is unreachable", extra={"error": type(exc).__name__})
    return on_domain_error(SchedulerUnavailable())


@app.exception_handler(Exception)
def on_unexpected(exc: Exception) -> Response:
    logger.exception("unhandled error")
    body = {"error": {"type": "api_error", "code": "internal_error",
                      "message": "an internal error occurred; it has been logged", "param": None}}  # fmt: skip
    return json_response(500, body)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
