"""The OpenAPI 3 document of the native `/v1` API, generated from the routes themselves.

Powertools walks the real route table (paths, methods, path parameters, operation ids); this
module adds what the routes cannot say about themselves, because they parse their bodies with the
domain's own validators (which give PRODUCT.md's precise error codes): the request and response
models below, the error responses, and bearer authentication. `docs/openapi.json` is this
document, committed; a test fails when they drift apart (`make openapi` regenerates it).

Imported only to build the document (it brings pydantic), never on a request's hot path.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from belltower import __version__

Timestamp = str  # RFC 3339, UTC with Z in responses
Duration = str | float | int | list[Any]  # Go duration "90s", seconds, or [n, "unit"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RetryPolicy(_Strict):
    max_attempts: int | None = Field(None, ge=1, le=50)
    strategy: Literal["exponential", "linear", "fixed"] | None = None
    base: Duration | None = None
    factor: float | None = Field(None, ge=1, le=10)
    max: Duration | None = None
    jitter: bool | None = None


class RetryPolicyOut(BaseModel):
    max_attempts: int
    strategy: Literal["exponential", "linear", "fixed"]
    base: str
    factor: float
    max: str
    jitter: bool


class ScheduleCreate(_Strict):
    """Exactly one destination (`endpoint` or `endpoint_id`) and one timing source."""

    endpoint: str | None = Field(None, max_length=2048, description="https URL")
    endpoint_id: str | None = None
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] | None = None
    headers: dict[str, str] | None = Field(None, description="values are secrets: never shown again")
    query: dict[str, str | int | float] | None = None
    body: Any = Field(None, description="a string, or JSON serialised with Content-Type: application/json")
    delay: Duration | None = None
    fire_at: str | int | float | None = Field(None, description="RFC 3339 with offset, or Unix seconds")
    local_fire_at: str | None = Field(None, description="YYYY-MM-DDTHH:MM[:SS] in `timezone`")
    cron: str | None = Field(None, description="5-field Unix cron, Vixie semantics")
    every: Duration | None = None
    timezone: str | None = Field(None, description="IANA zone, default UTC")
    start_at: str | None = None
    end_at: str | None = None
    max_runs: int | None = Field(None, ge=1)
    overlap: Literal["skip", "allow"] | None = None
    retry_policy: RetryPolicy | None = None
    timeout: Duration | None = None
    ttl: Duration | None = None
    callback_url: str | None = None
    failure_callback_url: str | None = None
    webhook_url: str | None = None
    idempotency_key: str | None = Field(None, min_length=1, max_length=255)
    name: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=2000)
    metadata: dict[str, Any] | None = None


class ScheduleUpdate(ScheduleCreate):
    """Any create field; null removes one; a new timing source replaces the old one."""


class Schedule(BaseModel):
    id: str
    object: Literal["schedule"]
    kind: Literal["one_shot", "recurring"]
    state: Literal["active", "paused", "completed", "cancelled"]
    endpoint: str | None
    endpoint_id: str | None = None
    method: str | None
    header_keys: list[str]
    query: dict[str, Any]
    body: Any
    fire_at: Timestamp | None
    cron: str | None
    every: str | None
    timezone: str
    start_at: Timestamp | None
    end_at: Timestamp | None
    max_runs: int | None
    next_fire_at: Timestamp | None
    next_runs: list[Timestamp]
    run_count: int
    last_fire_at: Timestamp | None
    retry_policy: RetryPolicyOut | None
    timeout: str | None
    ttl: str | None
    overlap: Literal["skip", "allow"]
    callback_url: str | None
    failure_callback_url: str | None
    webhook_url: str | None
    name: str | None
    description: str | None
    metadata: dict[str, Any]
    created_at: Timestamp
    updated_at: Timestamp


class Attempt(BaseModel):
    number: int
    started_at: Timestamp
    duration_ms: int
    status_code: int | None
    error: str | None
    response_excerpt: str


class Occurrence(BaseModel):
    id: str
    object: Literal["occurrence"]
    schedule_id: str
    scheduled_for: Timestamp
    state: Literal["scheduled", "delivering", "retrying", "succeeded", "failed", "dead_lettered",
                   "expired", "skipped", "cancelled"]  # fmt: skip
    attempts: list[Attempt]
    next_attempt_at: Timestamp | None
    completed_at: Timestamp | None
    replay_of: str | None
    replayed_by: str | None = None
    outcome: str | None
    origin: Literal["schedule", "trigger", "replay"]
    callbacks: dict[str, Any] = {}


class Endpoint(BaseModel):
    id: str
    object: Literal["endpoint"]
    name: str | None
    url: str
    method: str
    header_keys: list[str]
    retry_policy: RetryPolicyOut
    timeout: str
    created_at: Timestamp
    updated_at: Timestamp


class EndpointCreate(_Strict):
    name: str | None = None
    url: str = Field(max_length=2048)
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] | None = None
    headers: dict[str, str] | None = None
    retry_policy: RetryPolicy | None = None
    timeout: Duration | None = None


class EndpointUpdate(_Strict):
    name: str | None = None
    url: str | None = Field(None, max_length=2048)
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] | None = None
    headers: dict[str, str | None] | None = None
    retry_policy: RetryPolicy | None = None
    timeout: Duration | None = None


class Event(BaseModel):
    id: str
    object: Literal["event"]
    type: str
    created_at: Timestamp
    data: dict[str, Any]


class SigningSecret(BaseModel):
    secret: str
    created_at: Timestamp
    expires_at: Timestamp | None


class Project(BaseModel):
    id: str
    object: Literal["project"]
    name: str
    signing_secrets: list[SigningSecret]


class PreviewRun(BaseModel):
    at: Timestamp
    local: str
    dst: Literal["shifted_from_gap", "repeated_hour"] | None


class Preview(BaseModel):
    object: Literal["preview"]
    timezone: str
    runs: list[PreviewRun]


class PreviewRequest(_Strict):
    delay: Duration | None = None
    fire_at: str | int | float | None = None
    local_fire_at: str | None = None
    cron: str | None = None
    every: Duration | None = None
    timezone: str | None = None
    start_at: str | None = None
    end_at: str | None = None
    max_runs: int | None = None
    limit: int | None = Field(None, ge=1, le=100)
    start_from: str | None = None


def _page(item: type[BaseModel]) -> type[BaseModel]:
    return create_model(f"{item.__name__}List", object=(Literal["list"], ...), data=(list[item], ...),
                        has_more=(bool, ...), next_cursor=(str | None, ...))  # fmt: skip


class BatchRequest(_Strict):
    #: Each item is a ScheduleCreate body, validated on its own: a bad item gets its error in the
    #: response, in order, and does not fail the call.
    schedules: list[Any] = Field(min_length=1, max_length=100, description="ScheduleCreate bodies")


class BatchItem(BaseModel):
    status: int
    schedule: Schedule | None = None
    error: ErrorBody | None = None


class ErrorBody(BaseModel):
    type: str
    code: str
    message: str
    param: str | None


class Error(BaseModel):
    error: ErrorBody


BatchItem.model_rebuild()


class BatchResponse(BaseModel):
    data: list[BatchItem]


class ReplayRequest(_Strict):
    ids: list[str] | None = Field(None, min_length=1, max_length=100)


class OccurrencesResponse(BaseModel):
    data: list[Occurrence]


ScheduleList, OccurrenceList, EndpointList, EventList = (
    _page(Schedule), _page(Occurrence), _page(Endpoint), _page(Event))  # fmt: skip

#: (method, path) -> (request model, {status: response model}). Every route must be here.
CONTRACT: dict[tuple[str, str], tuple[type[BaseModel] | None, dict[int, type[BaseModel] | None]]] = {
    ("post", "/v1/schedules"): (ScheduleCreate, {201: Schedule, 200: Schedule}),
    ("get", "/v1/schedules"): (None, {200: ScheduleList}),
    ("post", "/v1/schedules/batch"): (BatchRequest, {200: BatchResponse}),
    ("get", "/v1/schedules/{schedule_id}"): (None, {200: Schedule}),
    ("patch", "/v1/schedules/{schedule_id}"): (ScheduleUpdate, {200: Schedule}),
    ("delete", "/v1/schedules/{schedule_id}"): (None, {200: Schedule}),
    ("post", "/v1/schedules/{schedule_id}/pause"): (None, {200: Schedule}),
    ("post", "/v1/schedules/{schedule_id}/resume"): (None, {200: Schedule}),
    ("post", "/v1/schedules/{schedule_id}/trigger"): (None, {201: Occurrence}),
    ("get", "/v1/schedules/{schedule_id}/occurrences"): (None, {200: OccurrenceList}),
    ("get", "/v1/schedules/{schedule_id}/preview"): (None, {200: Preview}),
    ("post", "/v1/preview"): (PreviewRequest, {200: Preview}),
    ("get", "/v1/occurrences/{occurrence_id}"): (None, {200: Occurrence}),
    ("post", "/v1/occurrences/{occurrence_id}/replay"): (None, {201: Occurrence}),
    ("get", "/v1/dead-letters"): (None, {200: OccurrenceList}),
    ("post", "/v1/dead-letters/replay"): (ReplayRequest, {200: OccurrencesResponse}),
    ("post", "/v1/endpoints"): (EndpointCreate, {201: Endpoint}),
    ("get", "/v1/endpoints"): (None, {200: EndpointList}),
    ("get", "/v1/endpoints/{endpoint_id}"): (None, {200: Endpoint}),
    ("patch", "/v1/endpoints/{endpoint_id}"): (EndpointUpdate, {200: Endpoint}),
    ("delete", "/v1/endpoints/{endpoint_id}"): (None, {200: Endpoint, 204: None}),
    ("get", "/v1/events"): (None, {200: EventList}),
    ("get", "/v1/project"): (None, {200: Project}),
    ("post", "/v1/project/signing-secret/rotate"): (None, {200: Project}),
}
ERROR_STATUSES = {400: "invalid request", 401: "missing or wrong API key", 404: "not found",
                  405: "method not allowed", 409: "invalid state or idempotency key reused",
                  422: "well-formed but not acceptable", 429: "rate limited",
                  503: "scheduler unavailable (see Retry-After)"}  # fmt: skip
_LIMIT = {"type": "integer", "minimum": 1, "maximum": 100}
_CURSOR = {"type": "string", "description": "next_cursor of the previous page"}
_SCHEDULE_STATE = {"type": "string", "enum": ["active", "paused", "completed", "cancelled"]}
_OCCURRENCE_STATE = {"type": "string", "enum": list(Occurrence.model_fields["state"].annotation.__args__)}
QUERY_PARAMETERS: dict[str, dict[str, dict[str, Any]]] = {
    "/v1/schedules": {"limit": _LIMIT, "cursor": _CURSOR, "state": _SCHEDULE_STATE,
                      "kind": {"type": "string", "enum": ["one_shot", "recurring"]}},
    "/v1/schedules/{schedule_id}/occurrences": {"limit": _LIMIT, "cursor": _CURSOR, "state": _OCCURRENCE_STATE},
    "/v1/schedules/{schedule_id}/preview": {"limit": _LIMIT, "start_from": {"type": "string", "format": "date-time"}},
    "/v1/dead-letters": {"limit": _LIMIT, "cursor": _CURSOR},
    "/v1/endpoints": {"limit": _LIMIT, "cursor": _CURSOR},
    "/v1/events": {"after": {"type": "string", "description": "an event id"}, "limit": _LIMIT, "cursor": _CURSOR},
}  # fmt: skip


def build_document() -> dict[str, Any]:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    from handlers.api import V1_ROUTERS

    resolver = APIGatewayHttpResolver(enable_validation=False)
    for router in V1_ROUTERS:
        resolver.include_router(router)
    generated = resolver.get_openapi_schema(title="Belltower", version=__version__,
                                            summary="A serverless HTTP task scheduler")  # fmt: skip
    doc = json.loads(generated.model_dump_json(by_alias=True, exclude_none=True))
    components: dict[str, Any] = {}
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            request, responses = CONTRACT[(method, path)]
            operation.pop("requestBody", None)
            if request is not None:
                operation["requestBody"] = {
                    "required": request is not ReplayRequest,
                    "content": {"application/json": {"schema": _ref(request, components, "validation")}},
                }
            operation["parameters"] = [p for p in operation.get("parameters", []) if p["in"] == "path"] + [
                {"name": name, "in": "query", "required": False, "schema": schema}
                for name, schema in QUERY_PARAMETERS.get(path, {}).items() if method == "get"
            ]  # fmt: skip
            if (method, path) == ("post", "/v1/schedules"):
                operation["parameters"].append({"name": "Idempotency-Key", "in": "header", "required": False,
                                                "schema": {"type": "string", "maxLength": 255}})  # fmt: skip
            operation["responses"] = {
                str(status): {"description": "OK" if model else "No content",
                              **({"content": {"application/json": {"schema": _ref(model, components)}}}
                                 if model else {})}
                for status, model in responses.items()
            } | {
                str(status): {"description": text, "content": {"application/json": {"schema": _ref(Error, components)}}}
                for status, text in ERROR_STATUSES.items()
            }  # fmt: skip
            operation["security"] = [{"bearer": []}]
    doc["components"] = {"schemas": components,
                         "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}}  # fmt: skip
    doc["servers"] = [{"url": "http://127.0.0.1:8080", "description": "belltower dev"}]
    return doc


def _ref(model: type[BaseModel], components: dict[str, Any], mode: str = "serialization") -> dict[str, str]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def render() -> str:
    return json.dumps(build_document(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(render(), end="")
