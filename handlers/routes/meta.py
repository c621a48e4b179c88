"""`/v1/openapi.json`: the API contract (public, no key needed). Not part of the contract itself."""

from __future__ import annotations

from functools import lru_cache

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import Router

from handlers.routes.http import route

router = Router()


@lru_cache(maxsize=1)
def _document() -> str:
    from handlers.openapi import render  # pydantic is imported only when someone asks

    return render()


@route(router, "GET", "/v1/openapi.json")
def openapi_document() -> Response[dict]:
    return Response(status_code=200, content_type="application/json", body=_document())
