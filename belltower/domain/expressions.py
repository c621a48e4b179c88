"""EventBridge Scheduler expressions and names: built here, and validated before they are sent.

moto accepts any string; AWS does not. Every expression Belltower emits passes `validate_expression`.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

_NAME = re.compile(r"^[0-9a-zA-Z\-_.]{1,64}$")
_AT = re.compile(r"^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$")
_RATE = re.compile(r"^rate\(([1-9]\d*) (minute|minutes|hour|hours|day|days)\)$")


class InvalidExpression(ValueError):
    """Belltower was about to send something EventBridge Scheduler would reject: a bug."""


def at_expression(when: datetime) -> str:
    """`at(yyyy-mm-ddThh:mm:ss)` in UTC: no zone suffix, no fraction (seconds are truncated)."""
    if when.tzinfo is None:
        raise ValueError("at_expression needs an aware datetime")
    utc = when.astimezone(timezone.utc)
    return f"at({utc.strftime('%Y-%m-%dT%H:%M:%S')})"


def validate_expression(expression: str) -> str:
    """Return `expression` if EventBridge Scheduler accepts it: `at(...)`, `rate(...)` or `cron(...)`.

    Raises InvalidExpression otherwise. `cron(...)` goes through the full six-field grammar of
    `belltower.domain.eventbridge.validate_aws_cron`.
    """
    if not isinstance(expression, str):
        raise InvalidExpression(f"not a valid EventBridge Scheduler expression: {expression!r}")
    if expression.startswith("cron("):
        from belltower.domain.eventbridge import validate_aws_cron  # eventbridge imports this module

        return validate_aws_cron(expression)
    at = _AT.match(expression)
    if at:
        try:
            datetime(*(int(part) for part in at.groups()))
        except ValueError as exc:
            raise InvalidExpression(f"{expression}: {exc}") from exc
        return expression
    rate = _RATE.match(expression)
    if rate:
        singular = not rate.group(2).endswith("s")
        if singular != (rate.group(1) == "1"):
            raise InvalidExpression(f"{expression}: use the singular unit for 1 only")
        return expression
    raise InvalidExpression(f"not a valid EventBridge Scheduler expression: {expression!r}")


def validate_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidExpression(f"not a valid schedule name: {name!r}")
    return name
