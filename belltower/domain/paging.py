"""`limit` parameters of lists and previews (PRODUCT.md §6: at most 100)."""

from __future__ import annotations

from typing import Any

from belltower.domain.errors import InvalidRequest

MAX_LIMIT = 100


def parse_limit(value: Any, *, default: int, maximum: int = MAX_LIMIT) -> int:
    """`limit` from a query string (digits) or a JSON body (an integer)."""
    if value is None:
        return default
    if isinstance(value, str) and value.isascii() and value.isdigit():  # "²".isdigit() is True
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise InvalidRequest(f"`limit` must be an integer from 1 to {maximum}", param="limit",
                             code="invalid_field")  # fmt: skip
    return value
