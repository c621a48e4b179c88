"""What every route module shares: JSON responses, auth, body/query parsing, the route registry.

`route(router, method, rule)` registers a route on a Powertools Router and remembers its rule, so
the API can answer 405 (with `Allow`) for a known path and a wrong method.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import Router

from belltower.adapters.store import Page
from belltower.domain.errors import InvalidRequest, NotFound
from belltower.domain.ids import is_id
from belltower.service import keys
from belltower.wiring import container

MAX_REQUEST_BYTES = 1024 * 1024
ROUTES: list[tuple[re.Pattern[str], str]] = []
#: The query parameters each route takes (anything else is 400 unknown_field).
QUERY_NAMES: dict[tuple[str, str], tuple[str, ...]] = {}


def route(router: Router, method: str, rule: str, *, query: tuple[str, ...] = ()):
    pattern = re.compile("^" + re.sub(r"<\w+>", "[^/]+", rule) + "$")
    ROUTES.append((pattern, method))
    QUERY_NAMES[(method, pattern.pattern)] = query
    return router.route(rule, method)


def allowed_methods(path: str) -> list[str]:
    """The methods routed for `path`; a literal route (`/v1/schedules/batch`) shadows a
    parameterised one (`/v1/schedules/<id>`), as it does when requests are routed."""
    matching = [(pattern, method) for pattern, method in ROUTES if pattern.match(path)]
    literal = [(p, m) for p, m in matching if "[^/]+" not in p.pattern]
    return sorted({method for _, method in (literal or matching)})


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[dict]:
    return Response(status_code=status, content_type="application/json",
                    body=json.dumps(body, separators=(",", ":")), headers=headers)  # fmt: skip


def list_response(page: Page, items: list[dict[str, Any]]) -> Response[dict]:
    return json_response(200, {"object": "list", "data": items, "has_more": page.has_more,
                               "next_cursor": page.next_cursor})  # fmt: skip


def project(router: Router) -> dict[str, Any]:
    """The caller's project, from `Authorization: Bearer <key>` (401 otherwise); then the
    request's query parameters are checked against the route's."""
    caller = keys.authenticate(container().store, router.current_event.headers.get("authorization"))
    _check_query_names(router)
    return caller


def _check_query_names(router: Router) -> None:
    """Native routes refuse query parameters they do not take; the compatibility routes keep
    their seed services' leniency."""
    event = router.current_event
    if not event.path.startswith("/v1/"):
        return
    matching = [p for p, m in ROUTES if m == event.http_method and p.match(event.path)]
    literal = [p for p in matching if "[^/]+" not in p.pattern]
    allowed = QUERY_NAMES.get((event.http_method, (literal or matching or [re.compile("")])[0].pattern), ())
    for name in event.query_string_parameters or {}:
        if name not in allowed:
            raise InvalidRequest(f"unknown query parameter `{name}`", param=name, code="unknown_field")


def raw_body(router: Router) -> bytes:
    """The request body as sent (API Gateway base64-encodes one that is not UTF-8 text)."""
    event = router.current_event
    raw: str | bytes = event.body or ""
    if event.is_base64_encoded:
        try:
            raw = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidRequest("the request body is not valid", code="invalid_json") from None
    return raw.encode("utf-8", errors="surrogatepass") if isinstance(raw, str) else raw


def json_body(router: Router) -> Any:
    data = raw_body(router)
    if len(data) > MAX_REQUEST_BYTES:
        raise InvalidRequest("the request body is over 1 MB", code="invalid_json")
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidRequest("the request body is not valid JSON", code="invalid_json") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def query(router: Router) -> dict[str, str]:
    return dict(router.current_event.query_string_parameters or {})


def resource_id(prefix: str, value: str) -> str:
    """A well-formed id of the expected kind, or 404 (never a lookup with a malformed key)."""
    if not is_id(prefix, value):
        raise NotFound(f"no such resource {value!r}", param="id")
    return value


def seed_errors(to_seed):
    """Decorate a compatibility route: domain errors answer in the seed's shape (`to_seed(error)`
    returns the status and body) instead of the native one."""
    import functools

    from belltower.domain.errors import BelltowerError

    def decorate(handler):
        @functools.wraps(handler)
        def wrapped(*args: Any, **kwargs: Any) -> Response:
            try:
                return handler(*args, **kwargs)
            except BelltowerError as error:
                status, body = to_seed(error)
                return json_response(status, body)
        return wrapped
    return decorate
