"""EventBridge Scheduler `cron()` / `rate()`: translation from Belltower timing, a grammar
validator, and evaluators WITH AWS SEMANTICS (AWS-NOTES.md, "EventBridge Scheduler expressions").

AWS `cron(min hour dom month dow year)`:
- six fields; exactly one of day-of-month / day-of-week is `?` (that field does not restrict);
- day-of-week 1-7 with 1 = SUNDAY, or SUN-SAT; no `/` in day-of-week; `L`, `W`, `#` exist;
- no Vixie OR: the non-`?` day field alone selects the days;
- DST (per ScheduleExpressionTimezone): a time that does not exist on spring-forward day is
  SKIPPED, for every job; a repeated fall-back time runs ONCE — assumed here to be the FIRST pass
  (AWS does not say which; Belltower's fix-ups and delivery check rely on this assumption).

`rate(N minute|minutes|hour|hours|day|days)` (singular only for 1): StartDate + k * N in absolute
time, k >= 0 (the first fire is at StartDate).

Emission choices (`aws_cron_expressions`), so tests can assert the exact strings:
- minute, hour, day-of-month, month: `*` when every value is selected; `first/step` when the
  values are an arithmetic progression (step > 1, >= 3 values) running to the field's end
  (`*/15` -> `0/15`, `10/5` -> `10/5`); otherwise a comma list where runs of 3+ consecutive
  values become ranges (`1-5`, `5,10,15,...,40`). Months are numbers.
- day-of-week: NAMES (SUN..SAT), never numbers, so the 0/1-based numbering can never be confused;
  runs of 3+ consecutive days (in AWS order SUN..SAT) become ranges: `MON-FRI`; a Unix range that
  wraps past Saturday after mapping is split (`5-7` -> `SUN,FRI,SAT`); steps are expanded.
- year: always `*`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from belltower.domain.cron import (
    DAY_NAMES,
    GAP_SKIP,
    MONTH_NAMES,
    OVERLAP_FIRST,
    CronSpec,
    month_length,
    walk,
)
from belltower.domain.expressions import InvalidExpression

__all__ = [
    "aws_cron_expressions",
    "validate_aws_cron",
    "parse_aws_cron",
    "aws_cron_fires",
    "rate_expression",
    "parse_rate",
    "rate_fires",
    "AwsCron",
]

UTC = timezone.utc
MAX_EXPRESSION_LENGTH = 256

_ALL_DAYS = frozenset(range(1, 32))
_ALL_WEEKDAYS = frozenset(range(7))

# ---------------------------------------------------------------------------- Unix -> AWS


def _runs(values: list[int]) -> list[list[int]]:
    """Maximal runs of consecutive integers in a sorted list."""
    runs: list[list[int]] = []
    for value in values:
        if runs and value == runs[-1][-1] + 1:
            runs[-1].append(value)
        else:
            runs.append([value])
    return runs


def _join_runs(values: list[int], spell) -> str:
    parts = []
    for run in _runs(values):
        if len(run) >= 3:
            parts.append(f"{spell(run[0])}-{spell(run[-1])}")
        else:
            parts.extend(spell(value) for value in run)
    return ",".join(parts)


def _render_numbers(values: frozenset[int], low: int, high: int) -> str:
    """A numeric AWS field (minute, hour, day-of-month, month) selecting exactly `values`."""
    ordered = sorted(values)
    if ordered == list(range(low, high + 1)):
        return "*"
    if len(ordered) >= 3:
        step = ordered[1] - ordered[0]
        if step > 1 and ordered == list(range(ordered[0], high + 1, step)):
            return f"{ordered[0]}/{step}"
    return _join_runs(ordered, str)


def _render_weekdays(unix_days: frozenset[int]) -> str:
    """An AWS day-of-week field for Unix days (0 = Sunday): names, in AWS order SUN..SAT."""
    aws = sorted(day + 1 for day in unix_days)  # Unix n (0-6) -> AWS n + 1 (1 = SUN)
    return _join_runs(aws, lambda number: DAY_NAMES[number - 1])


def _days_per_year(spec: CronSpec) -> tuple[int, int]:
    """How many days of a common year each day field alone selects (within the cron's months)."""
    by_dom = sum(1 for month in spec.months for day in spec.days if day <= month_length(2001, month))
    by_dow = sum(
        1
        for month in spec.months
        for day in range(1, month_length(2001, month) + 1)
        if (date(2001, month, day).weekday() + 1) % 7 in spec.weekdays
    )
    return by_dom, by_dow


def _dom_can_fire(spec: CronSpec) -> bool:
    return any(day <= month_length(2000, month) for month in spec.months for day in spec.days)


def aws_cron_expressions(spec: CronSpec) -> list[str]:
    """The EventBridge `cron(...)` expressions (1 or 2) to create for a Unix cron.

    - one day field restricts (the other selects every day): one expression, the other day
      field `?` (both unrestricted: `cron(m h * mon ? *)`);
    - Vixie OR (both day fields restricted, neither starting with `*`): TWO expressions, one per
      day field; a day matching both yields the same instant from both, which the service
      dedupes by instant (one fire time, one occurrence). A day-of-month side that can never
      exist in the months (Feb 30) is left out;
    - AND (a day field starting with `*` but selecting fewer than all days, e.g. `*/2`, with the
      other restricted): not expressible; ONE expression with the more selective day field (fewer
      days in a common year; ties: day-of-month). EventBridge then also fires on days only that
      field matches: the delivery check (`Recurrence.is_due`) drops those fires.
    DST differences (AWS skips gap times and runs overlap times once) are not handled here; see
    `Recurrence.fixups`.
    """
    minute = _render_numbers(spec.minutes, 0, 59)
    hour = _render_numbers(spec.hours, 0, 23)
    month = _render_numbers(spec.months, 1, 12)
    dom = _render_numbers(spec.days, 1, 31)
    dow = _render_weekdays(spec.weekdays)
    by_dom = f"cron({minute} {hour} {dom} {month} ? *)"
    by_dow = f"cron({minute} {hour} ? {month} {dow} *)"
    dom_all = spec.days == _ALL_DAYS
    dow_all = spec.weekdays == _ALL_WEEKDAYS
    if spec.day_or:
        if dom_all or dow_all:
            expressions = [f"cron({minute} {hour} * {month} ? *)"]
        elif _dom_can_fire(spec):
            expressions = [by_dom, by_dow]
        else:
            expressions = [by_dow]
    elif dow_all:
        expressions = [by_dom]
    elif dom_all:
        expressions = [by_dow]
    else:
        days_by_dom, days_by_dow = _days_per_year(spec)
        expressions = [by_dom if days_by_dom <= days_by_dow else by_dow]
    for expression in expressions:
        validate_aws_cron(expression)
    return expressions


# ---------------------------------------------------------------------------- the AWS grammar


@dataclass(frozen=True)
class AwsDays:
    """One AWS day field. `values`: plain days (dom 1-31, dow 1-7 with 1 = SUN).

    `last` (dom `L` / dow `L` = Saturday is folded into values), `last_weekday` (dom `LW`),
    `nearest_weekday` (dom `nW`), `last_of` (dow `nL`: last such weekday of the month),
    `nth` (dow `n#k`: (weekday, k)).
    """

    values: frozenset[int] = frozenset()
    last: bool = False
    last_weekday: bool = False
    nearest_weekday: int | None = None
    last_of: int | None = None
    nth: tuple[int, int] | None = None


@dataclass(frozen=True)
class AwsCron:
    """A parsed EventBridge cron. Exactly one of `dom` / `dow` is None (the `?` field)."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    dom: AwsDays | None
    months: frozenset[int]
    dow: AwsDays | None
    years: frozenset[int]


_CRON = re.compile(r"cron\((.*)\)", re.ASCII | re.DOTALL)
_PLAIN = re.compile(
    r"(?:(?P<star>\*)|(?P<a>[0-9A-Z]+)(?:-(?P<b>[0-9A-Z]+))?)(?:/(?P<step>[0-9]+))?", re.ASCII
)
_DOM_SPECIAL = re.compile(r"L|LW|(?P<day>[0-9]{1,2})W", re.ASCII)
_DOW_SPECIAL = re.compile(r"L|(?P<last>[0-9A-Z]+)L|(?P<day>[0-9A-Z]+)#(?P<nth>[0-9]+)", re.ASCII)


def _bad(expression: str, why: str) -> InvalidExpression:
    return InvalidExpression(f"{expression!r} is not a valid EventBridge cron expression: {why}")


def _aws_value(token: str, low: int, high: int, names, what: str, expression: str) -> int:
    if token.isdigit():
        number = int(token)
    elif names is not None and token in names:
        return names.index(token) + 1
    else:
        raise _bad(expression, f"{what}: {token!r} is not a number{' or name' if names else ''}")
    if not low <= number <= high:
        raise _bad(expression, f"{what}: {number} is outside {low}-{high}")
    return number


def _aws_plain(
    text: str, low: int, high: int, what: str, expression: str, *, names=None, steps: bool = True
) -> frozenset[int]:
    values: set[int] = set()
    for element in text.split(","):
        match = _PLAIN.fullmatch(element)
        if match is None:
            raise _bad(expression, f"{what}: invalid element {element!r}")
        step = 1
        if match.group("step") is not None:
            if not steps:
                raise _bad(expression, f"{what}: '/' is not allowed in this field")
            step = int(match.group("step"))
            if not 1 <= step <= high - low + 1:
                raise _bad(expression, f"{what}: step {step} is outside 1-{high - low + 1}")
        if match.group("star"):
            values.update(range(low, high + 1, step))
            continue
        first = _aws_value(match.group("a"), low, high, names, what, expression)
        if match.group("b") is None:
            last = high if match.group("step") is not None else first
        else:
            last = _aws_value(match.group("b"), low, high, names, what, expression)
            if first > last:
                raise _bad(expression, f"{what}: range {element!r} is reversed (split it)")
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _aws_dom(text: str, expression: str) -> AwsDays:
    special = _DOM_SPECIAL.fullmatch(text)
    if special:
        if text == "L":
            return AwsDays(last=True)
        if text == "LW":
            return AwsDays(last_weekday=True)
        day = int(special.group("day"))
        if not 1 <= day <= 31:
            raise _bad(expression, f"day-of-month: {text!r} is outside 1-31")
        return AwsDays(nearest_weekday=day)
    if any(mark in text for mark in "LW#"):
        raise _bad(expression, f"day-of-month: {text!r} (L and W stand alone in the field)")
    return AwsDays(values=_aws_plain(text, 1, 31, "day-of-month", expression))


def _aws_dow(text: str, expression: str) -> AwsDays:
    if "/" in text:
        raise _bad(expression, "day-of-week: '/' is not allowed (list the days)")
    special = _DOW_SPECIAL.fullmatch(text)
    if special:
        if text == "L":
            return AwsDays(values=frozenset({7}))
        if special.group("last") is not None:
            return AwsDays(last_of=_aws_value(special.group("last"), 1, 7, DAY_NAMES, "day-of-week", expression))
        day = _aws_value(special.group("day"), 1, 7, DAY_NAMES, "day-of-week", expression)
        nth = int(special.group("nth"))
        if not 1 <= nth <= 5:
            raise _bad(expression, f"day-of-week: {text!r} needs #1 to #5")
        return AwsDays(nth=(day, nth))
    if "#" in text or text.endswith("L"):
        raise _bad(expression, f"day-of-week: {text!r} (L and # stand alone in the field, one # at most)")
    return AwsDays(values=_aws_plain(text, 1, 7, "day-of-week", expression, names=DAY_NAMES, steps=False))


def parse_aws_cron(expression: str) -> AwsCron:
    """Parse an EventBridge `cron(...)` expression (raise InvalidExpression when AWS would reject it).

    Fields are separated by single spaces; names are upper-case as AWS documents them. Ranges
    must not be reversed (wrapped ranges are split by the emitter). `L`, `LW`, `nW` (day-of-month)
    and `L`, `nL`, `n#k` (day-of-week) must stand alone in their field.
    """
    if not isinstance(expression, str):
        raise InvalidExpression(f"not an expression: {expression!r}")
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise _bad(expression[:40] + "...", f"longer than {MAX_EXPRESSION_LENGTH} characters")
    match = _CRON.fullmatch(expression)
    if match is None:
        raise _bad(expression, "expected cron(minutes hours day-of-month month day-of-week year)")
    fields = match.group(1).split(" ")
    if len(fields) != 6 or any(not field for field in fields):
        raise _bad(expression, f"expected 6 fields separated by single spaces, got {len(fields)}")
    minute, hour, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise _bad(expression, "exactly one of day-of-month and day-of-week must be '?'")
    for name, text in (("minutes", minute), ("hours", hour), ("month", month), ("year", year)):
        if "?" in text:
            raise _bad(expression, f"{name}: '?' is only allowed in a day field")
    return AwsCron(
        expression=expression,
        minutes=_aws_plain(minute, 0, 59, "minutes", expression),
        hours=_aws_plain(hour, 0, 23, "hours", expression),
        dom=None if dom == "?" else _aws_dom(dom, expression),
        months=_aws_plain(month, 1, 12, "month", expression, names=MONTH_NAMES),
        dow=None if dow == "?" else _aws_dow(dow, expression),
        years=_aws_plain(year, 1970, 2199, "year", expression),
    )


def validate_aws_cron(expression: str) -> str:
    """Return `expression` unchanged if it is a valid EventBridge cron, else raise InvalidExpression."""
    parse_aws_cron(expression)
    return expression


# ---------------------------------------------------------------------------- AWS evaluation


def _aws_weekday(day: date) -> int:
    """1 = Sunday ... 7 = Saturday."""
    return (day.weekday() + 1) % 7 + 1


def _nearest_weekday(year: int, month: int, target: int) -> int | None:
    """Quartz `nW`: the weekday nearest to day `target`, never leaving the month."""
    length = month_length(year, month)
    if target > length:
        return None
    weekday = date(year, month, target).weekday()  # Mon = 0 ... Sun = 6
    if weekday == 5:  # Saturday -> Friday, or Monday when the 1st
        return target + 2 if target == 1 else target - 1
    if weekday == 6:  # Sunday -> Monday, or Friday when the last day
        return target - 2 if target == length else target + 1
    return target


def _last_weekday(year: int, month: int) -> int:
    day = month_length(year, month)
    while date(year, month, day).weekday() >= 5:
        day -= 1
    return day


def _dom_matches(days: AwsDays, day: date) -> bool:
    if days.last:
        return day.day == month_length(day.year, day.month)
    if days.last_weekday:
        return day.day == _last_weekday(day.year, day.month)
    if days.nearest_weekday is not None:
        return day.day == _nearest_weekday(day.year, day.month, days.nearest_weekday)
    return day.day in days.values


def _dow_matches(days: AwsDays, day: date) -> bool:
    weekday = _aws_weekday(day)
    if days.last_of is not None:
        return weekday == days.last_of and day.day + 7 > month_length(day.year, day.month)
    if days.nth is not None:
        return weekday == days.nth[0] and (day.day - 1) // 7 + 1 == days.nth[1]
    return weekday in days.values


def aws_day_matches(cron: AwsCron, day: date) -> bool:
    """Whether EventBridge fires `cron` on local date `day` (no Vixie OR: the non-`?` field decides)."""
    if day.month not in cron.months or day.year not in cron.years:
        return False
    if cron.dom is not None:
        return _dom_matches(cron.dom, day)
    assert cron.dow is not None
    return _dow_matches(cron.dow, day)


def aws_cron_fires(
    expression: str | AwsCron, tz: ZoneInfo, after: datetime, until: datetime | None = None
) -> Iterator[datetime]:
    """EventBridge's fire times of a cron expression in `tz`, with AWS semantics.

    Aware UTC instants strictly after `after` and <= `until`, ascending. A time inside a
    spring-forward gap is skipped; a time inside a fall-back overlap fires once, on the first
    pass (assumption, see the module docstring). Without `until` the search covers 28 years
    (and never passes the year field's last year).
    """
    cron = expression if isinstance(expression, AwsCron) else parse_aws_cron(expression)
    times = tuple(h * 60 + m for h in sorted(cron.hours) for m in sorted(cron.minutes))
    fires = walk(
        tz,
        after,
        until,
        months=cron.months,
        day_ok=lambda day: aws_day_matches(cron, day),
        times=times,
        gap=GAP_SKIP,
        overlap=OVERLAP_FIRST,
        last_year=max(cron.years),
    )
    for instant, _ in fires:
        yield instant


# ---------------------------------------------------------------------------- rate()

_RATE = re.compile(r"rate\(([1-9][0-9]*) (minute|minutes|hour|hours|day|days)\)", re.ASCII)
_UNIT = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


def rate_expression(every: timedelta) -> str | None:
    """`rate(N unit)` for a whole number of minutes (largest exact unit), else None.

    120 min -> `rate(2 hours)`, 1440 min -> `rate(1 day)`, 90 min -> `rate(90 minutes)`;
    90 s -> None: not expressible, the caller chains one-time at() schedules instead.
    """
    if every < timedelta(minutes=1) or every % timedelta(minutes=1):
        return None
    minutes = every // timedelta(minutes=1)
    for unit, size in (("day", 1440), ("hour", 60), ("minute", 1)):
        if minutes % size == 0:
            count = minutes // size
            return f"rate({count} {unit}{'' if count == 1 else 's'})"
    raise AssertionError("unreachable")


def parse_rate(expression: str) -> timedelta:
    """The period of a `rate(...)` expression (InvalidExpression if it is not a valid one)."""
    match = _RATE.fullmatch(expression) if isinstance(expression, str) else None
    if match is None:
        raise InvalidExpression(f"not a valid rate() expression: {expression!r}")
    count, unit = int(match.group(1)), match.group(2)
    if (count == 1) != (not unit.endswith("s")):
        raise InvalidExpression(f"{expression}: use the singular unit for 1 only")
    return count * _UNIT[unit.rstrip("s")]


def rate_fires(
    expression: str, start: datetime, after: datetime, until: datetime | None = None
) -> Iterator[datetime]:
    """EventBridge's fire times of a rate expression with StartDate `start`: start + k * period,
    k >= 0, strictly after `after`, <= `until` (absolute time: zones and DST do not matter)."""
    period = parse_rate(expression)
    if start.tzinfo is None or after.tzinfo is None:
        raise ValueError("start and after must be timezone-aware")
    start = start.astimezone(UTC)
    k = 0 if after < start else (after - start) // period + 1
    while True:
        instant = start + k * period
        if until is not None and instant > until:
            return
        yield instant
        k += 1
