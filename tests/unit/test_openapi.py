"""The committed OpenAPI document is the one the routes generate, and covers every route."""

from __future__ import annotations

import json
from pathlib import Path

from handlers.openapi import CONTRACT, render
from handlers.routes.http import ROUTES

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_committed_document_matches_the_code():
    # When this fails, run `make openapi` and commit docs/openapi.json.
    assert render() == DOCUMENT.read_text()


def test_every_native_route_is_in_the_contract():
    routes = {(method.lower(), pattern.pattern) for pattern, method in ROUTES}
    documented = json.loads(DOCUMENT.read_text())["paths"]
    for method, pattern in routes:
        if not pattern.startswith("^/v1/") or "openapi" in pattern:
            continue
        assert any(method in ops and _matches(pattern, path) for path, ops in documented.items()), (method, pattern)
    assert len({k for k in CONTRACT}) == sum(len(ops) for ops in documented.values())


def _matches(pattern: str, path: str) -> bool:
    import re

    return re.match(pattern, re.sub(r"\{\w+\}", "x", path)) is not None


def test_errors_and_auth_are_documented_on_every_operation():
    doc = json.loads(DOCUMENT.read_text())
    for ops in doc["paths"].values():
        for operation in ops.values():
            assert {"400", "401", "404", "422", "503"} <= set(operation["responses"])
            assert operation["security"] == [{"bearer": []}]


def test_documented_query_parameters_are_the_ones_routes_accept():
    import re

    from handlers.routes.http import QUERY_NAMES

    doc = json.loads(DOCUMENT.read_text())
    for path, ops in doc["paths"].items():
        for method, operation in ops.items():
            pattern = "^" + re.sub(r"\{\w+\}", "[^/]+", path) + "$"
            declared = QUERY_NAMES[(method.upper(), pattern)]
            documented = tuple(p["name"] for p in operation["parameters"] if p["in"] == "query")
            assert documented == declared, (method, path)
