"""Prefixed identifiers that sort by creation time (ULID layout: 48-bit ms time + 80 bits)."""

from __future__ import annotations

import hashlib
import os
import re
from datetime import datetime, timezone

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32, lexicographically ordered
_ID_BODY = re.compile(r"[0-9A-Z]{26}")


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def _compose(prefix: str, at: datetime, entropy: bytes) -> str:
    millis = int(at.timestamp() * 1000)
    return f"{prefix}_{_encode(millis, 10)}{_encode(int.from_bytes(entropy[:10], 'big'), 16)}"


def new_id(prefix: str, now: datetime | None = None) -> str:
    """A fresh id such as `sch_01JD...`; ids made later sort after ids made earlier."""
    return _compose(prefix, now or datetime.now(timezone.utc), os.urandom(10))


def derived_id(prefix: str, at: datetime, *parts: str) -> str:
    """The same id for the same inputs: lets one fire time map to exactly one occurrence."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return _compose(prefix, at, digest)


def id_time(identifier: str) -> datetime:
    """The creation instant encoded in an id (millisecond precision)."""
    encoded = identifier.split("_", 1)[1][:10]
    millis = 0
    for ch in encoded:
        millis = millis * 32 + _ALPHABET.index(ch)
    return datetime.fromtimestamp(millis / 1000, tz=timezone.utc)


def is_id(prefix: str, value: object) -> bool:
    """`value` is a well-formed id of this kind (`prefix` + "_" + 26 characters)."""
    return (
        isinstance(value, str)
        and value.startswith(prefix + "_")
        and _ID_BODY.fullmatch(value[len(prefix) + 1:]) is not None
    )
