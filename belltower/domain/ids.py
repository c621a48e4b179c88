"""Prefixed identifiers that sort by creation time (ULID layout: 48-bit ms time + 80 bits)."""

from __future__ import annotations

import hashlib
import os
import re
import threading
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


class MonotonicIds:
    """Fresh ids of one prefix that strictly increase within this process, even within one
    millisecond (the ULID "monotonic" rule: an id that would not sort after the previous one is
    the previous one plus one)."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        self._last = ""
        self._lock = threading.Lock()

    def next(self, now: datetime) -> str:
        candidate = new_id(self._prefix, now)
        with self._lock:
            if candidate <= self._last:
                body = self._last[len(self._prefix) + 1:]
                candidate = f"{self._prefix}_{_encode(_decode(body) + 1, len(body))}"
            self._last = candidate
        return candidate


def id_ceiling(prefix: str, at: datetime) -> str:
    """The greatest id of this kind whose time part is `at` (for "created up to `at`" ranges)."""
    return f"{prefix}_{_encode(int(at.timestamp() * 1000), 10)}{_ALPHABET[-1] * 16}"


def derived_id(prefix: str, at: datetime, *parts: str) -> str:
    """The same id for the same inputs: lets one fire time map to exactly one occurrence."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return _compose(prefix, at, digest)


def _decode(encoded: str) -> int:
    value = 0
    for ch in encoded:
        value = value * 32 + _ALPHABET.index(ch)
    return value


def id_time(identifier: str) -> datetime:
    """The creation instant encoded in an id (millisecond precision)."""
    millis = _decode(identifier.split("_", 1)[1][:10])
    return datetime.fromtimestamp(millis / 1000, tz=timezone.utc)


def is_id(prefix: str, value: object) -> bool:
    """`value` is a well-formed id of this kind (`prefix` + "_" + 26 characters)."""
    return (
        isinstance(value, str)
        and value.startswith(prefix + "_")
        and _ID_BODY.fullmatch(value[len(prefix) + 1:]) is not None
    )
