"""Deployment settings read from CDK context (`cdk.json`, or `cdk deploy -c key=value`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from constructs import Node

#: The context keys Belltower reads, with their defaults (`alarm_email` has none: no e-mail).
CONTEXT_STAGE = "stage"
CONTEXT_ALARM_EMAIL = "alarm_email"
CONTEXT_ALLOWED_DESTINATIONS = "allowed_destinations"
CONTEXT_RETENTION_DAYS = "retention_days"
CONTEXT_CATCH_UP_WINDOW = "catch_up_window_seconds"

_STAGE_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,19}$")
_EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class BelltowerConfig:
    stage: str = "dev"
    alarm_email: str | None = None
    #: URL prefixes that bypass the https/public-address destination rules (development only).
    allowed_destinations: tuple[str, ...] = ()
    retention_days: int = 30
    catch_up_window_seconds: int = 3600

    def __post_init__(self) -> None:
        if not _STAGE_PATTERN.match(self.stage):
            raise ValueError(
                f"context {CONTEXT_STAGE!r} must be 1-20 letters, digits or '-', starting with a "
                f"letter; got {self.stage!r}"
            )
        if self.alarm_email is not None and not _EMAIL_PATTERN.match(self.alarm_email):
            raise ValueError(f"context {CONTEXT_ALARM_EMAIL!r} is not an e-mail address: {self.alarm_email!r}")
        if self.retention_days < 1:
            raise ValueError(f"context {CONTEXT_RETENTION_DAYS!r} must be >= 1")
        if self.catch_up_window_seconds < 0:
            raise ValueError(f"context {CONTEXT_CATCH_UP_WINDOW!r} must be >= 0")

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> BelltowerConfig:
        """From a plain mapping of context values (strings from `-c`, or JSON values)."""
        defaults = cls()
        email = context.get(CONTEXT_ALARM_EMAIL)
        email = str(email).strip() if email is not None else ""
        return cls(
            stage=str(context.get(CONTEXT_STAGE) or defaults.stage),
            alarm_email=email or None,
            allowed_destinations=_as_prefixes(context.get(CONTEXT_ALLOWED_DESTINATIONS)),
            retention_days=_as_int(context, CONTEXT_RETENTION_DAYS, defaults.retention_days),
            catch_up_window_seconds=_as_int(
                context, CONTEXT_CATCH_UP_WINDOW, defaults.catch_up_window_seconds
            ),
        )

    @classmethod
    def from_node(cls, node: Node) -> BelltowerConfig:
        keys = (
            CONTEXT_STAGE,
            CONTEXT_ALARM_EMAIL,
            CONTEXT_ALLOWED_DESTINATIONS,
            CONTEXT_RETENTION_DAYS,
            CONTEXT_CATCH_UP_WINDOW,
        )
        return cls.from_context({k: node.try_get_context(k) for k in keys})


def _as_prefixes(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    return tuple(p.strip() for p in (str(i) for i in items) if p.strip())


def _as_int(context: Mapping[str, Any], key: str, default: int) -> int:
    value = context.get(key)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"context {key!r} must be an integer, got {value!r}") from None
