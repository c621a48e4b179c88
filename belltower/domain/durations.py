"""Durations as the API accepts them (PRODUCT.md §2: `delay`, `every`, retry `base`/`max`, ...).

Three input forms, one output form:
- a Go `time.ParseDuration` string: "90s", "1h30m", "1.5h", "300ms", "1m0.5s";
- a number of seconds: 90, 1.5;
- a pair `[n, "unit"]`: [2, "hours"], [1, "week"].

Results are `timedelta`s (microsecond resolution: nanosecond inputs are rounded to the
nearest microsecond). Minimums are the caller's business; the only bound here is Go's own
maximum duration (2**63 - 1 ns, about 292 years), so no input can overflow later arithmetic.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from fractions import Fraction
from typing import Any

from belltower.domain.errors import InvalidRequest

__all__ = ["parse_duration", "format_duration", "MAX_DURATION"]

_NS_PER_UNIT: dict[str, int] = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # µ MICRO SIGN
    "\u03bcs": 1_000,  # μ GREEK SMALL LETTER MU
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3600 * 1_000_000_000,
}

_SECONDS_PER_NAMED_UNIT: dict[str, int] = {
    "second": 1,
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 604800,
}

_MAX_NS = 2**63 - 1
MAX_DURATION = timedelta(microseconds=_MAX_NS // 1000)

# One "<number><unit>" component of a Go duration; digits are ASCII only.
_COMPONENT = re.compile(r"([0-9]*)(?:\.([0-9]*))?(ns|us|\u00b5s|\u03bcs|ms|s|m|h)", re.ASCII)

_FORMS = (
    'a Go duration string such as "90s", "1h30m" or "1.5h" (units ns, us, ms, s, m, h), '
    'a non-negative number of seconds, or [n, "unit"] with unit seconds|minutes|hours|days|weeks'
)


def _invalid(param: str, detail: str) -> InvalidRequest:
    return InvalidRequest(f"{param} {detail}; expected {_FORMS}", param=param, code="invalid_duration")


def _from_nanoseconds(ns: Fraction, param: str) -> timedelta:
    if ns > _MAX_NS:
        raise _invalid(param, "is too long")
    return timedelta(microseconds=round(ns / 1000))


def _parse_go(text: str, param: str) -> timedelta:
    """Go's ParseDuration grammar: [+]( digits [. digits] unit )+, or the bare "0"."""
    if text.startswith("+"):
        text = text[1:]
    if text == "0":
        return timedelta(0)
    if not text:
        raise _invalid(param, "is empty")
    if text.startswith("-"):
        raise _invalid(param, "must not be negative")
    total = Fraction(0)
    pos = 0
    while pos < len(text):
        match = _COMPONENT.match(text, pos)
        if match is None:
            raise _invalid(param, f"is not a valid duration ({text!r})")
        whole, frac, unit = match.group(1), match.group(2), match.group(3)
        if not whole and not frac:  # Go rejects ".s" and a bare unit
            raise _invalid(param, f"is not a valid duration ({text!r})")
        number = Fraction(int(whole or "0"))
        if frac:
            number += Fraction(int(frac), 10 ** len(frac))
        total += number * _NS_PER_UNIT[unit]
        if total > _MAX_NS:
            raise _invalid(param, "is too long")
        pos = match.end()
    return _from_nanoseconds(total, param)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_non_negative_finite(value: int | float, param: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise _invalid(param, "must be a finite number")
    if value < 0:
        raise _invalid(param, "must not be negative")


def _parse_seconds(value: int | float, param: str) -> timedelta:
    _check_non_negative_finite(value, param)
    return _from_nanoseconds(Fraction(value) * 1_000_000_000, param)


def _parse_pair(value: list | tuple, param: str) -> timedelta:
    if len(value) != 2:
        raise _invalid(param, "must have exactly two elements")
    amount, unit = value
    if not _is_number(amount):
        raise _invalid(param, "must start with a number")
    if not isinstance(unit, str):
        raise _invalid(param, "must end with a unit name")
    name = unit.strip().lower()
    name = name[:-1] if name.endswith("s") else name
    if name not in _SECONDS_PER_NAMED_UNIT:
        raise _invalid(param, f"has an unknown unit {unit!r}")
    _check_non_negative_finite(amount, param)
    return _from_nanoseconds(Fraction(amount) * 1_000_000_000 * _SECONDS_PER_NAMED_UNIT[name], param)


def parse_duration(value: Any, *, param: str) -> timedelta:
    """A non-negative `timedelta` from any accepted form, else `InvalidRequest(invalid_duration)`.

    Unit names in the pair form are case-insensitive and may be singular or plural.
    """
    if isinstance(value, str):
        return _parse_go(value, param)
    if _is_number(value):
        return _parse_seconds(value, param)
    if isinstance(value, (list, tuple)):
        return _parse_pair(value, param)
    raise _invalid(param, "has an unsupported type")


def _trim_fraction(whole: int, micros: int, digits: int) -> str:
    """`whole.fraction` with trailing zeros removed (no dot when the fraction is zero)."""
    if micros == 0:
        return str(whole)
    return f"{whole}.{micros:0{digits}d}".rstrip("0")


def format_duration(td: timedelta) -> str:
    """The compact Go-like spelling: "30s", "1h", "1h30m", "1m0.5s", "300ms", "250us", "0s".

    Zero components are left out, sub-second parts appear only when present, and the result
    parses back to the same value with `parse_duration`. Negative values get a leading "-".
    """
    total_us = td // timedelta(microseconds=1)
    if total_us == 0:
        return "0s"
    sign = "-" if total_us < 0 else ""
    total_us = abs(total_us)
    if total_us < 1000:
        return f"{sign}{total_us}us"
    if total_us < 1_000_000:
        return f"{sign}{_trim_fraction(total_us // 1000, total_us % 1000, 3)}ms"
    seconds, micros = divmod(total_us, 1_000_000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours}h")
    if minutes:
        parts.append(f"{minutes}m")
    if secs or micros:
        parts.append(f"{_trim_fraction(secs, micros, 6)}s")
    return sign + "".join(parts)
