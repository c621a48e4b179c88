"""Retry maths for delivery (PRODUCT.md §2 `retry_policy`, §3 Delivery).

A policy says how many attempts an occurrence gets and how long to wait between them; a
response status says whether to stop, retry or fail; `Retry-After` can stretch a wait.
"""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from belltower.domain.durations import format_duration, parse_duration
from belltower.domain.errors import InvalidRequest

__all__ = [
    "RetryPolicy",
    "STRATEGIES",
    "MAX_RETRY_AFTER",
    "backoff",
    "parse_retry_after",
    "next_delay",
    "Verdict",
    "classify",
]

STRATEGIES = ("exponential", "linear", "fixed")
MAX_ATTEMPTS_RANGE = (1, 50)
FACTOR_RANGE = (1.0, 10.0)
MIN_BASE = timedelta(seconds=1)
MAX_MAX = timedelta(hours=24)
MAX_RETRY_AFTER = timedelta(hours=24)

_DEFAULT_BASE = timedelta(seconds=5)
_DEFAULT_MAX = timedelta(hours=1)
_KEYS = ("max_attempts", "strategy", "base", "factor", "max", "jitter")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _invalid_field(key: str, message: str, param: str) -> InvalidRequest:
    return InvalidRequest(f"{param}.{key} {message}", param=f"{param}.{key}", code="invalid_field")


@dataclass(frozen=True)
class RetryPolicy:
    """How an occurrence is retried. Defaults are PRODUCT.md §2's."""

    max_attempts: int = 8
    strategy: str = "exponential"
    base: timedelta = _DEFAULT_BASE
    factor: float = 2.0
    max: timedelta = _DEFAULT_MAX
    jitter: bool = True

    @classmethod
    def parse(cls, obj: Any, *, param: str = "retry_policy") -> RetryPolicy:
        """A validated policy from the API's JSON object; absent (or null) keys take defaults.

        When `base` is given without `max` and exceeds the default max (1h), `max` becomes `base`.
        """
        if obj is None:
            return cls()
        if not isinstance(obj, Mapping):
            raise InvalidRequest(f"{param} must be an object", param=param, code="invalid_field")
        for key in obj:
            if key not in _KEYS:
                raise InvalidRequest(
                    f"{param} has an unknown field {key!r}; allowed: {', '.join(_KEYS)}",
                    param=f"{param}.{key}",
                    code="unknown_field",
                )
        values = {key: obj[key] for key in _KEYS if obj.get(key) is not None}
        base = _parse_base(values, param)
        return cls(
            max_attempts=_parse_max_attempts(values, param),
            strategy=_parse_strategy(values, param),
            base=base,
            factor=_parse_factor(values, param),
            max=_parse_max(values, base, param),
            jitter=_parse_jitter(values, param),
        )

    def to_dict(self) -> dict[str, Any]:
        """The API representation: durations as Go strings, an integral factor as an int."""
        factor: int | float = int(self.factor) if float(self.factor).is_integer() else self.factor
        return {
            "max_attempts": self.max_attempts,
            "strategy": self.strategy,
            "base": format_duration(self.base),
            "factor": factor,
            "max": format_duration(self.max),
            "jitter": self.jitter,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RetryPolicy:
        """Rebuild a stored policy from `to_dict()` output (no range checks: it was validated)."""
        return cls(
            max_attempts=int(data["max_attempts"]),
            strategy=str(data["strategy"]),
            base=parse_duration(data["base"], param="retry_policy.base"),
            factor=float(data["factor"]),
            max=parse_duration(data["max"], param="retry_policy.max"),
            jitter=bool(data["jitter"]),
        )


def _parse_max_attempts(values: Mapping[str, Any], param: str) -> int:
    value = values.get("max_attempts", RetryPolicy.max_attempts)
    low, high = MAX_ATTEMPTS_RANGE
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _invalid_field("max_attempts", f"must be an integer from {low} to {high}", param)
    return value


def _parse_strategy(values: Mapping[str, Any], param: str) -> str:
    value = values.get("strategy", RetryPolicy.strategy)
    if value not in STRATEGIES:
        raise _invalid_field("strategy", f"must be one of {', '.join(STRATEGIES)}", param)
    return value


def _parse_base(values: Mapping[str, Any], param: str) -> timedelta:
    if "base" not in values:
        return _DEFAULT_BASE
    base = parse_duration(values["base"], param=f"{param}.base")
    if not MIN_BASE <= base <= MAX_MAX:
        raise _invalid_field("base", "must be between 1s and 24h", param)
    return base


def _parse_max(values: Mapping[str, Any], base: timedelta, param: str) -> timedelta:
    if "max" not in values:
        return max(_DEFAULT_MAX, base)
    cap = parse_duration(values["max"], param=f"{param}.max")
    if cap < base or cap > MAX_MAX:
        raise _invalid_field("max", f"must be at least base ({format_duration(base)}) and at most 24h", param)
    return cap


def _parse_factor(values: Mapping[str, Any], param: str) -> float:
    value = values.get("factor", RetryPolicy.factor)
    low, high = FACTOR_RANGE
    if not _is_number(value) or not math.isfinite(value) or not low <= value <= high:
        raise _invalid_field("factor", f"must be a number from {low:g} to {high:g}", param)
    return float(value)


def _parse_jitter(values: Mapping[str, Any], param: str) -> bool:
    value = values.get("jitter", RetryPolicy.jitter)
    if not isinstance(value, bool):
        raise _invalid_field("jitter", "must be true or false", param)
    return value


def _raw_seconds(policy: RetryPolicy, n: int) -> float:
    base = policy.base.total_seconds()
    if policy.strategy == "exponential":
        try:
            return base * policy.factor ** (n - 1)
        except OverflowError:
            return math.inf
    if policy.strategy == "linear":
        return base * n
    return base


def backoff(policy: RetryPolicy, failed_attempt: int, rand: Callable[[], float] = random.random) -> timedelta:
    """The wait before the next attempt, after attempt number `failed_attempt` (1-based) failed.

    d = base * factor**(n-1) (exponential), base * n (linear) or base (fixed), capped at `max`.
    With jitter, "equal jitter" is applied: d/2 + rand() * d/2, so the wait is always within
    [d/2, d] — spread out to avoid thundering herds, yet never less than half the nominal wait.
    """
    if failed_attempt < 1:
        raise ValueError("failed_attempt is 1-based")
    seconds = min(_raw_seconds(policy, failed_attempt), policy.max.total_seconds())
    if policy.jitter:
        seconds = seconds / 2 + rand() * seconds / 2
    return timedelta(seconds=seconds)


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A `Retry-After` header (delta-seconds or HTTP-date) as a wait, capped at 24 h.

    Missing, malformed, negative or past values give None ("no hint"). `now` must be aware.
    """
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return timedelta(seconds=min(int(text), int(MAX_RETRY_AFTER.total_seconds())))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": RFC 5322 for "UTC, origin unknown"
        when = when.replace(tzinfo=timezone.utc)
    wait = when - now
    if wait < timedelta(0):
        return None
    return min(wait, MAX_RETRY_AFTER)


def next_delay(
    policy: RetryPolicy,
    failed_attempt: int,
    retry_after: timedelta | None,
    rand: Callable[[], float] = random.random,
) -> timedelta:
    """The backoff, stretched to honour the receiver's `Retry-After` when it asks for longer."""
    wait = backoff(policy, failed_attempt, rand)
    if retry_after is None:
        return wait
    return max(wait, retry_after)


class Verdict(enum.Enum):
    SUCCEEDED = "succeeded"
    RETRY = "retry"
    FAIL = "fail"


def classify(status_code: int | None) -> Verdict:
    """What an attempt's outcome means: None is a timeout or connection error.

    2xx succeeds; 408, 429 and 5xx are retried; 3xx (redirects are not followed) and other
    4xx fail at once; anything else (1xx, out-of-range codes) is retried.
    """
    if status_code is None:
        return Verdict.RETRY
    if 200 <= status_code <= 299:
        return Verdict.SUCCEEDED
    if status_code in (408, 429) or 500 <= status_code <= 599:
        return Verdict.RETRY
    if 300 <= status_code <= 499:
        return Verdict.FAIL
    return Verdict.RETRY
