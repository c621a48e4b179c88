"""Recurring timing (`cron` | `every`): the single source of a recurring schedule's fire times.

Everything that needs a recurring fire time asks a `Recurrence`: the preview (`preview`), the
next runs shown on a schedule (`fires`), the delivery path deciding whether a fire EventBridge
sent is one Belltower wants (`is_due`), and the translation to EventBridge Scheduler
(`eventbridge_plan` + `fixups`).

Semantics (PRODUCT.md §2):
- `cron`: see `belltower.domain.cron` (cronie day rules and cron(8) DST rules) in `timezone`.
- `every`: anchor + k * every, k >= 0, in absolute time (zones and DST do not matter). The
  anchor is the first grid point: `start_at` when given, else creation + every (so an `every`
  schedule without start_at first fires one interval after it is created).
- bounds: no fire before `start_at`; `end_at` is inclusive. `max_runs` is counted by the service.

How the EventBridge side reproduces these fires (`eventbridge_plan`, `fixups`):
- cron: 1 or 2 `cron()` schedules in the zone. EventBridge fires a superset of Belltower's fires
  on ordinary days (extra ones only in the AND day case and past end_at), which `is_due` drops,
  and misses exactly two kinds of fires around DST, which `fixups` lists for one-time `at()`
  schedules: fixed-time jobs' fires moved to the end of a spring-forward gap (AWS skips the gap
  time), and wildcard jobs' second-pass fires in a fall-back overlap (AWS runs those once).
- every, whole minutes: one `rate()` schedule, StartDate = the first fire; no fix-ups.
- every, not whole minutes (90 s): no EventBridge recurrence can express it: `chain=True`, and
  `fixups` returns every fire in the window; the service arms them as one-time `at()` schedules
  (typically just the next one, re-armed at each fire).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from belltower.domain.cron import CronSpec, Fire, cron_fires, parse_cron
from belltower.domain.durations import parse_duration
from belltower.domain.errors import InvalidRequest, Unprocessable
from belltower.domain.eventbridge import aws_cron_expressions, aws_cron_fires, rate_expression
from belltower.domain.expressions import validate_expression
from belltower.domain.timing import format_local, format_utc, load_timezone, parse_rfc3339

__all__ = ["MIN_INTERVAL", "Plan", "Recurrence", "parse_recurrence"]

UTC = timezone.utc
MIN_INTERVAL = timedelta(seconds=60)
END_DATE_MARGIN = timedelta(minutes=1)
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Plan:
    """What to create in EventBridge Scheduler for a recurrence.

    `expressions`: cron()/rate() strings (each passes `validate_expression`), to be created with
    ScheduleExpressionTimezone = `timezone`; empty when `chain`. `start_date`: StartDate (for
    rate(), the first fire, which rate() counts from; None = no bound). The caller must not send
    a StartDate more than ~5 minutes in the past: for rate(), move it forward by whole periods
    (e.g. to `fires(now, limit=1)[0].at`). `end_date`: EndDate = end_at + 1 minute (AWS documents
    EndDate loosely, so Belltower's inclusive end_at is kept reachable; `is_due` drops extras).
    `chain`: `every` is not a whole number of minutes; fire through one-time at() schedules.
    `timezone`: the ScheduleExpressionTimezone (the recurrence's zone for cron(); "UTC" for
    rate() and chains, which are absolute time).
    """

    expressions: list[str]
    start_date: datetime | None
    end_date: datetime | None
    chain: bool
    timezone: str = "UTC"


def _aware_utc(value: datetime | None, name: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class Recurrence:
    """A recurring timing: exactly one of `cron` / `every`, in IANA `timezone`, bounded by
    `start_at` (no fire before it) and `end_at` (inclusive). `anchor` is the first grid point of
    `every` (ignored for cron). Datetimes must be aware; they are stored in UTC."""

    cron: CronSpec | None
    every: timedelta | None
    timezone: str
    anchor: datetime
    start_at: datetime | None = None
    end_at: datetime | None = None
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if (self.cron is None) == (self.every is None):
            raise ValueError("a Recurrence has exactly one of cron and every")
        if self.every is not None and self.every <= timedelta(0):
            raise ValueError("every must be positive")
        object.__setattr__(self, "anchor", _aware_utc(self.anchor, "anchor"))
        object.__setattr__(self, "start_at", _aware_utc(self.start_at, "start_at"))
        object.__setattr__(self, "end_at", _aware_utc(self.end_at, "end_at"))
        object.__setattr__(self, "_tz", load_timezone(self.timezone))

    @property
    def tz(self) -> ZoneInfo:
        return self._tz

    # ------------------------------------------------------------------ fire times

    def _iter(self, after: datetime, until: datetime | None) -> Iterator[Fire]:
        """Fires strictly after `after`, within the bounds and <= `until`, ascending."""
        after = _aware_utc(after, "after")
        until = _aware_utc(until, "until")
        if self.start_at is not None and after < self.start_at - _TICK:
            after = self.start_at - _TICK
        if self.end_at is not None:
            until = self.end_at if until is None else min(until, self.end_at)
        if until is not None and until <= after:
            return iter(())
        if self.cron is not None:
            return cron_fires(self.cron, self._tz, after, until=until)
        return self._every_fires(after, until)

    def _every_fires(self, after: datetime, until: datetime | None) -> Iterator[Fire]:
        assert self.every is not None
        k = 0 if after < self.anchor else (after - self.anchor) // self.every + 1
        while True:
            instant = self.anchor + k * self.every
            if until is not None and instant > until:
                return
            yield Fire(instant, None)
            k += 1

    def fires(self, after: datetime, *, limit: int | None = None, until: datetime | None = None) -> list[Fire]:
        """Fires strictly after `after` and <= `until` (inclusive), within start_at/end_at.

        At most `limit`. Needs a bound: `limit`, `until` or `end_at` (ValueError otherwise).
        A cron without `until`/`end_at` is searched 28 years ahead at most.
        """
        if limit is None and until is None and self.end_at is None:
            raise ValueError("fires() needs limit, until or an end_at")
        fires = self._iter(after, until)
        return list(fires if limit is None else itertools.islice(fires, max(limit, 0)))

    def is_due(self, instant: datetime) -> bool:
        """True iff `instant` is exactly one of this recurrence's fire times (bounds included).

        The delivery path uses it to accept or drop a fire EventBridge sent: drops the AND-case
        extra days, fires past end_at, and anything else Belltower's semantics do not contain.
        """
        instant = _aware_utc(instant, "instant")
        return any(fire.at == instant for fire in self._iter(instant - _TICK, instant))

    def preview(self, start_from: datetime, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` runs at or after `start_from`, in the PRODUCT.md preview shape:
        `{"at": UTC RFC 3339 Z, "local": RFC 3339 with the zone's offset, "dst": mark or None}`."""
        start_from = _aware_utc(start_from, "start_from")
        return [
            {"at": format_utc(fire.at), "local": format_local(fire.at, self._tz), "dst": fire.dst}
            for fire in self.fires(start_from - _TICK, limit=limit)
        ]

    # ------------------------------------------------------------------ EventBridge

    def _first_grid_point(self) -> datetime:
        """The first `every` grid point at or after start_at (the anchor when there is none)."""
        assert self.every is not None
        if self.start_at is None or self.start_at <= self.anchor:
            return self.anchor
        k = -((self.anchor - self.start_at) // self.every)  # ceil((start_at - anchor) / every)
        return self.anchor + k * self.every

    def eventbridge_plan(self) -> Plan:
        """The EventBridge Scheduler schedules for this recurrence (see the module docstring)."""
        end_date = None if self.end_at is None else self.end_at + END_DATE_MARGIN
        if self.cron is not None:
            expressions = aws_cron_expressions(self.cron)
            for expression in expressions:
                validate_expression(expression)
            return Plan(expressions, self.start_at, end_date, chain=False, timezone=self.timezone)
        assert self.every is not None
        first = self._first_grid_point()
        rate = rate_expression(self.every)
        if rate is None:
            return Plan([], first, end_date, chain=True, timezone="UTC")
        return Plan([validate_expression(rate)], first, end_date, chain=False, timezone="UTC")

    def fixups(self, window_start: datetime, window_end: datetime) -> list[datetime]:
        """Fire times t with window_start < t <= window_end that Belltower's semantics contain but
        the planned EventBridge schedules (evaluated with AWS semantics) do not: these become
        one-time at() schedules.

        - rate(): none (rate fires are exactly the `every` grid from the plan's StartDate);
        - chain: every fire in the window;
        - cron: only fires carrying a DST mark can be missing (a fire without one is an ordinary
          wall time on a day EventBridge also fires); each candidate is checked against the AWS
          evaluation of the emitted expressions: a gap fire of a fixed-time job (AWS skips gap
          times) and a second-pass overlap fire of a wildcard job (AWS runs it once) remain.
        """
        plan = self.eventbridge_plan()
        fires = self._iter(window_start, window_end)
        if plan.chain:
            return [fire.at for fire in fires]
        if self.cron is None:
            return []
        missing = []
        for fire in fires:
            if fire.dst is None:
                continue
            if not any(
                next(aws_cron_fires(expression, self._tz, fire.at - _TICK, fire.at), None) == fire.at
                for expression in plan.expressions
            ):
                missing.append(fire.at)
        return missing


# ---------------------------------------------------------------------------- request parsing


def _ceil_second(value: datetime) -> datetime:
    if value.microsecond:
        return value.replace(microsecond=0) + timedelta(seconds=1)
    return value


def _optional_timestamp(body: Mapping[str, Any], name: str) -> datetime | None:
    value = body.get(name)
    return None if value is None else parse_rfc3339(value, param=name)


def parse_recurrence(body: Mapping[str, Any], now: datetime) -> Recurrence:
    """The recurring timing of a create/preview body: `cron` | `every`, `timezone`, `start_at`,
    `end_at`.

    Errors: both/neither of cron and every (`multiple_timing` / `missing_timing`), a bad cron
    (`invalid_cron`), a bad interval (`invalid_duration`) or one under 60 s
    (`interval_too_short`, 422), a bad zone (`invalid_timezone`), a bad timestamp
    (`invalid_timestamp`), end_at not after start_at or not in the future (`invalid_field`, 422).
    `every` must be whole seconds (`invalid_duration` otherwise: fire times, like at(), have
    second precision); its anchor is start_at (rounded up to a whole second) or, without
    start_at, now (rounded up) + every.
    """
    now = _aware_utc(now, "now")
    cron_text, every_value = body.get("cron"), body.get("every")
    if cron_text is not None and every_value is not None:
        raise InvalidRequest("send exactly one timing field, got cron, every", code="multiple_timing")
    if cron_text is None and every_value is None:
        raise Unprocessable("a recurring schedule needs cron or every", code="missing_timing")
    zone_name = body.get("timezone")
    zone_name = "UTC" if zone_name is None else zone_name
    load_timezone(zone_name)
    spec = parse_cron(cron_text) if cron_text is not None else None
    every = None
    if every_value is not None:
        every = parse_duration(every_value, param="every")
        if every < MIN_INTERVAL:
            raise Unprocessable("every must be at least 60s", param="every", code="interval_too_short")
        if every % timedelta(seconds=1):
            raise InvalidRequest(
                "every must be a whole number of seconds (fire times have second precision)",
                param="every",
                code="invalid_duration",
            )
    start_at = _optional_timestamp(body, "start_at")
    end_at = _optional_timestamp(body, "end_at")
    if end_at is not None and start_at is not None and end_at <= start_at:
        raise Unprocessable(
            f"end_at ({format_utc(end_at)}) must be after start_at ({format_utc(start_at)})",
            param="end_at",
            code="invalid_field",
        )
    if end_at is not None and end_at <= now:
        raise Unprocessable(
            f"end_at ({format_utc(end_at)}) must be in the future (now is {format_utc(now)})",
            param="end_at",
            code="invalid_field",
        )
    if start_at is not None:
        anchor = _ceil_second(start_at)
    else:
        anchor = _ceil_second(now) + (every or timedelta(0))
    return Recurrence(spec, every, zone_name, anchor, start_at, end_at)
