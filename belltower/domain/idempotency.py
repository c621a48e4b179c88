"""Idempotency keys of `POST /v1/schedules` (pure): the key, and the fingerprint of a body.

A key comes from the `idempotency_key` body field or the `Idempotency-Key` header (both may be
sent if they agree). The same key with the same body within `KEY_TTL` returns the original
schedule; with another body it is `409 idempotency_key_reused`. "The same body" is the JSON
value with `idempotency_key` removed, compared canonically (key order and spacing ignored).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from belltower.domain.errors import InvalidRequest

KEY_TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255
FIELD = "idempotency_key"


def _invalid(message: str) -> InvalidRequest:
    return InvalidRequest(message, param=FIELD, code="invalid_field")


def _check(key: Any) -> str:
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise _invalid(f"an idempotency key is 1 to {MAX_KEY_LENGTH} printable characters")
    return key


def request_key(body: Any, header: str | None) -> str | None:
    """The request's idempotency key, or None; 400 when malformed or when header and body differ."""
    in_body = body.get(FIELD) if isinstance(body, Mapping) else None
    keys = [_check(key) for key in (in_body, header) if key is not None]
    if len(set(keys)) > 1:
        raise _invalid("the Idempotency-Key header and `idempotency_key` differ; send one")
    return keys[0] if keys else None


def key_digest(key: str) -> str:
    """What the store keys the record by: fixed length, whatever characters the key uses."""
    return hashlib.sha256(key.encode()).hexdigest()


def fingerprint(body: Any) -> str:
    """A digest of the body as JSON, without its idempotency key, independent of key order."""
    if isinstance(body, Mapping):
        body = {k: v for k, v in body.items() if k != FIELD}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", errors="surrogatepass")).hexdigest()
