"""5-field Unix cron: parsing, and Belltower's evaluator (PRODUCT.md §2, the `cron` bullet).

Grammar (cronie / Vixie cron, crontab(5)):

    minute hour day-of-month month day-of-week        e.g. "30 4 1,15 * 5", "*/15 9-17 * * MON-FRI"

- each field is a comma list of elements: `*`, `n`, `a-b`, each optionally with `/step`
  (`*/15`, `5-40/5`), and `n/step` meaning `n-max/step` (`10/5` = 10,15,...,55);
- month names JAN-DEC and day names SUN-SAT (case-insensitive, also inside ranges);
- day-of-week 0-7 where 0 and 7 are both Sunday;
- macros `@hourly`, `@daily`/`@midnight`, `@weekly`, `@monthly`, `@yearly`/`@annually`
  (exactly `0 * * * *`, `0 0 * * *`, `0 0 * * 0`, `0 0 1 * *`, `0 0 1 1 *`).

Rejected, always with `InvalidRequest(code="invalid_cron", param="cron")` and a message naming
the problem: any field count other than 5 (6/7-field crons with seconds or years), `?`, `L`,
`W`, `#` (Quartz/EventBridge syntax), out-of-range values, unknown names, reversed ranges such as
`5-1` (cronie rejects them: ranges never wrap; write `5-6,0-1`), step 0 and steps larger than the
field's largest value (`*/90` in minutes selects only minute 0: use `every`), empty fields or
list elements, `@reboot` and unknown macros, and crons that can never fire (`0 0 30 2 *`).

Meaning (cronie):
- days: when day-of-month AND day-of-week are both restricted, a day matches if EITHER matches
  (`30 4 1,15 * 5` = the 1st, the 15th and every Friday). A day field whose text starts with `*`
  (`*`, `*/2`) counts as unrestricted for this decision: the two fields are then ANDed, each
  still restricting by its values (`0 0 */2 * 5` = Fridays that fall on an odd day);
- DST (cron(8)): a job at a particular time (minute AND hour fields both not starting with `*`)
  whose local time falls in a spring-forward gap fires once at the end of the gap (all gap times
  of a day collapse into that one instant, which also merges with a real fire at that instant);
  in a fall-back overlap it fires once, on the first pass. A job with a wildcard minute or hour
  follows the wall clock: gap times do not occur, overlap times fire in both passes.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from belltower.domain.errors import InvalidRequest
from belltower.domain.timing import DST_REPEATED_HOUR, DST_SHIFTED_FROM_GAP, resolve_local

__all__ = [
    "CronSpec",
    "Fire",
    "parse_cron",
    "day_matches",
    "cron_fires",
    "month_length",
    "SEARCH_YEARS",
]

UTC = timezone.utc
MAX_CRON_LENGTH = 256
SEARCH_YEARS = 28  # the Gregorian weekday/date pattern repeats within 28 years (1901-2099)

MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")

_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] | None = None  # names[i] stands for low + i


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day-of-month", 1, 31),
    _Field("month", 1, 12, MONTH_NAMES),
    _Field("day-of-week", 0, 7, DAY_NAMES),
)

_ELEMENT = re.compile(
    r"(?:(?P<star>\*)|(?P<a>[0-9A-Za-z]+)(?:-(?P<b>[0-9A-Za-z]+))?)(?:/(?P<step>[0-9A-Za-z]*))?",
    re.ASCII,
)
_FIELD_CHARS = re.compile(r"[0-9A-Za-z*,/\-]+", re.ASCII)
_QUARTZ_DAY = re.compile(r"(?:[0-9]*L|LW|[0-9]+W|[A-Za-z]{3}L)", re.ASCII | re.IGNORECASE)


# ---------------------------------------------------------------------------- the parsed form


@dataclass(frozen=True)
class CronSpec:
    """A parsed 5-field cron.

    `text` is the original (stripped) text; `fields` the five field texts after macro expansion.
    Value sets: `minutes` 0-59, `hours` 0-23, `days` 1-31, `months` 1-12, `weekdays` 0-6 with
    0 = Sunday (a 7 in the text is stored as 0).
    `fixed_time`: minute and hour fields both do not start with `*` (cron(8)'s "job at a
    particular time", which gets the DST catch-up rules). `dom_restricted` / `dow_restricted`:
    the field does not start with `*`. `day_or`: both are restricted, so either may match.
    """

    text: str
    fields: tuple[str, str, str, str, str]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    fixed_time: bool
    dom_restricted: bool
    dow_restricted: bool
    day_or: bool

    @property
    def times(self) -> tuple[int, ...]:
        """The minutes of the day (hour * 60 + minute) the cron fires at, ascending."""
        return tuple(h * 60 + m for h in sorted(self.hours) for m in sorted(self.minutes))


@dataclass(frozen=True, slots=True)
class Fire:
    """One fire time: `at` is aware UTC; `dst` is None, "shifted_from_gap" or "repeated_hour"."""

    at: datetime
    dst: str | None = None


# ---------------------------------------------------------------------------- parsing


def _invalid(message: str) -> InvalidRequest:
    return InvalidRequest(message, param="cron", code="invalid_cron")


def _value(token: str, field: _Field, element: str) -> int:
    if token.isdigit():
        number = int(token)
    elif field.names is not None and token.upper() in field.names:
        return field.low + field.names.index(token.upper())
    elif field.names is not None:
        raise _invalid(
            f"cron {field.name} field has an unknown name {token!r} in {element!r}; "
            f"use {field.names[0]}-{field.names[-1]} or numbers"
        )
    else:
        raise _invalid(f"cron {field.name} field takes numbers only, got {element!r}")
    if not field.low <= number <= field.high:
        raise _invalid(
            f"cron {field.name} value {number} in {element!r} is out of range {field.low}-{field.high}"
        )
    return number


def _explain_unparsable(element: str, field: _Field) -> InvalidRequest:
    if field.name in ("day-of-month", "day-of-week") and _QUARTZ_DAY.fullmatch(element):
        return _invalid(
            f"cron {field.name} element {element!r} uses L/W (last day, nearest weekday): "
            "that is Quartz/EventBridge syntax, not Unix cron"
        )
    return _invalid(f"cron {field.name} field has an invalid element {element!r}")


def _element_values(element: str, field: _Field) -> range:
    if field.name in ("day-of-month", "day-of-week") and _QUARTZ_DAY.fullmatch(element):
        if not (field.names and element.upper() in field.names):
            raise _explain_unparsable(element, field)
    match = _ELEMENT.fullmatch(element)
    if match is None:
        raise _explain_unparsable(element, field)
    step_text = match.group("step")
    step = 1
    if step_text is not None:
        if not step_text.isdigit():
            raise _invalid(f"cron {field.name} element {element!r} needs a number after '/'")
        step = int(step_text)
        if step == 0:
            raise _invalid(f"cron {field.name} element {element!r} has step 0")
        if step > field.high:
            raise _invalid(
                f"cron {field.name} element {element!r} has step {step}, larger than the field's "
                f"largest value {field.high}; for an interval the field cannot divide, use `every`"
            )
    if match.group("star"):
        return range(field.low, field.high + 1, step)
    first = _value(match.group("a"), field, element)
    if match.group("b") is None:
        last = field.high if step_text is not None else first  # "10/5" means 10-max/5
        return range(first, last + 1, step)
    last = _value(match.group("b"), field, element)
    if first > last:
        top = 6 if field.name == "day-of-week" else field.high
        raise _invalid(
            f"cron {field.name} range {element!r} is reversed: cron ranges do not wrap around; "
            f"write it as a list, e.g. {first}-{top},{field.low}-{last}"
        )
    return range(first, last + 1, step)


def _field_values(text: str, field: _Field) -> frozenset[int]:
    if not _FIELD_CHARS.fullmatch(text):
        raise _invalid(f"cron {field.name} field {text!r} has characters cron does not use")
    values: set[int] = set()
    for element in text.split(","):
        if not element:
            raise _invalid(f"cron {field.name} field {text!r} has an empty list element")
        values.update(_element_values(element, field))
    if field.name == "day-of-week" and 7 in values:
        values.discard(7)
        values.add(0)
    return frozenset(values)


def _split_fields(text: str) -> list[str]:
    if text.startswith("@"):
        macro = text.lower()
        if macro == "@reboot":
            raise _invalid("cron @reboot runs only when a machine boots: it has no fire times")
        if macro not in _MACROS:
            raise _invalid(f"cron {text!r} is not a known macro; use one of {', '.join(_MACROS)}")
        return _MACROS[macro].split(" ")
    for mark, meaning in (("?", "'?' is EventBridge/Quartz syntax, use '*'"),
                          ("#", "'#' (nth weekday of the month) is Quartz/EventBridge syntax")):
        if mark in text:
            raise _invalid(f"cron {text!r} is not Unix cron: {meaning}")
    if re.search(r"[^\S \t]", text):
        raise _invalid("cron fields are separated by spaces or tabs only; it has other characters")
    fields = re.split(r"[ \t]+", text)
    if len(fields) in (6, 7):
        raise _invalid(
            f"cron {text!r} has {len(fields)} fields; Belltower takes the 5-field Unix form "
            "'minute hour day-of-month month day-of-week' (no seconds or year field)"
        )
    if len(fields) != 5:
        raise _invalid(
            f"cron {text!r} has {len(fields)} field(s); expected 5: minute hour day-of-month month day-of-week"
        )
    return fields


def month_length(year: int, month: int) -> int:
    if month == 2:
        return 29 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _check_can_fire(spec: CronSpec) -> None:
    """Reject a cron whose day-of-month never exists in its months (`0 0 30 2 *`).

    With day_or the weekday side always matches some day; otherwise the day-of-month values must
    exist in at least one selected month (Feb counts 29 days: `0 0 29 2 *` fires in leap years).
    Given a possible (month, day), every weekday combination occurs within 28 years.
    """
    if spec.day_or:
        return
    if any(day <= month_length(2000, month) for month in spec.months for day in spec.days):
        return
    raise _invalid(
        f"cron {spec.text!r} never fires: none of its months has day {', '.join(map(str, sorted(spec.days)))}"
    )


def parse_cron(text: object) -> CronSpec:
    """Parse a 5-field Unix cron (see the module docstring) or raise InvalidRequest(invalid_cron)."""
    if not isinstance(text, str):
        raise _invalid("cron must be a string such as \"*/15 * * * *\"")
    text = text.strip()
    if not text:
        raise _invalid("cron is empty; expected 5 fields: minute hour day-of-month month day-of-week")
    if len(text) > MAX_CRON_LENGTH:
        raise _invalid(f"cron is longer than {MAX_CRON_LENGTH} characters")
    fields = _split_fields(text)
    minutes, hours, days, months, weekdays = (
        _field_values(field_text, field) for field_text, field in zip(fields, _FIELDS)
    )
    dom_restricted = not fields[2].startswith("*")
    dow_restricted = not fields[4].startswith("*")
    spec = CronSpec(
        text=text,
        fields=tuple(fields),  # type: ignore[arg-type]
        minutes=minutes,
        hours=hours,
        days=days,
        months=months,
        weekdays=weekdays,
        fixed_time=not fields[0].startswith("*") and not fields[1].startswith("*"),
        dom_restricted=dom_restricted,
        dow_restricted=dow_restricted,
        day_or=dom_restricted and dow_restricted,
    )
    _check_can_fire(spec)
    return spec


# ---------------------------------------------------------------------------- day matching


def unix_weekday(day: date) -> int:
    """0 = Sunday ... 6 = Saturday."""
    return (day.weekday() + 1) % 7


def day_matches(spec: CronSpec, day: date) -> bool:
    """Whether the cron fires on local date `day` (month, then day-of-month/day-of-week, cronie rules)."""
    if day.month not in spec.months:
        return False
    dom_hit = day.day in spec.days
    dow_hit = unix_weekday(day) in spec.weekdays
    return (dom_hit or dow_hit) if spec.day_or else (dom_hit and dow_hit)


# ---------------------------------------------------------------------------- the day walker
#
# Shared by Belltower's evaluator (here) and the EventBridge one (eventbridge.py): walk local
# dates, and for each matching date turn its wall-clock times into instants under a DST policy.
# A date whose UTC offset is constant is resolved arithmetically (fast path); a date with a
# transition is resolved time by time. Fires of neighbouring dates can interleave only around
# transitions, so dates are merged through a heap, and a date is opened only once its earliest
# possible instant (its midnight minus a day, wider than any UTC offset) can precede the next fire.

GAP_SHIFT = "shift"  # a gap time fires at the end of the gap
GAP_SKIP = "skip"  # a gap time does not occur
OVERLAP_FIRST = "first"  # an overlap time fires on its first pass only
OVERLAP_BOTH = "both"  # an overlap time fires on both passes

_ONE_DAY = timedelta(days=1)
_ONE_MINUTE = timedelta(minutes=1)
_MINUTES = tuple(timedelta(minutes=n) for n in range(24 * 60))
_MARK_RANK = {None: 0, DST_REPEATED_HOUR: 1, DST_SHIFTED_FROM_GAP: 2}  # a real fire wins a merge


def _constant_offset(day: date, tz: ZoneInfo) -> timedelta | None:
    """The UTC offset of `day` if no transition happens from its midnight to the next, else None."""
    start = datetime(day.year, day.month, day.day)
    end = start + _ONE_DAY
    offset = start.replace(tzinfo=tz).utcoffset()
    for wall in (start, end):
        for fold in (0, 1):
            if wall.replace(tzinfo=tz, fold=fold).utcoffset() != offset:
                return None
    return offset


def _fast_day(base: datetime, times: tuple[int, ...], after: datetime) -> Iterator[tuple[datetime, str | None]]:
    """Fires of a date without a transition: `base` is its midnight as an instant."""
    first = bisect_right(times, (after - base) // _ONE_MINUTE) if after >= base else 0
    for index in range(first, len(times)):
        yield base + _MINUTES[times[index]], None


def _single_transition(day: date, tz: ZoneInfo) -> tuple[timedelta, timedelta, datetime] | None:
    """(offset before, offset after, transition instant) when exactly one change of UTC offset
    governs the wall times of `day`; None when the zone does something more unusual."""
    midnight = datetime(day.year, day.month, day.day)
    before = midnight.replace(tzinfo=tz, fold=0).utcoffset()
    after = (midnight + _ONE_DAY).replace(tzinfo=tz, fold=1).utcoffset()
    if before is None or after is None or before == after:
        return None
    as_utc = midnight.replace(tzinfo=UTC)
    low = int(min(as_utc - before, as_utc + _ONE_DAY - after).timestamp()) - 1
    high = int(max(as_utc - before, as_utc + _ONE_DAY - after).timestamp()) + 1

    def offset(second: int) -> timedelta | None:
        return datetime.fromtimestamp(second, tz).utcoffset()

    if offset(low) != before or offset(high) != after:
        return None
    while high - low > 1:  # the first second whose offset is no longer `before`
        middle = (low + high) // 2
        if offset(middle) == before:
            low = middle
        else:
            high = middle
    if offset(high) != after:
        return None
    return before, after, datetime.fromtimestamp(high, UTC)


def _transition_day(
    day: date, tz: ZoneInfo, times: tuple[int, ...], after: datetime, gap: str, overlap: str
) -> Iterator[tuple[datetime, str | None]]:
    """Fires of a date with a transition, resolved time by time, sorted and merged.

    A wall time W maps to W - before if that instant precedes the transition, and to W - after
    if that one does not: both -> an overlap (first pass = W - before), neither -> a gap.
    """
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    found: dict[datetime, str | None] = {}

    def add(instant: datetime, mark: str | None) -> None:
        if instant in found and _MARK_RANK[found[instant]] <= _MARK_RANK[mark]:
            return
        found[instant] = mark

    transition = _single_transition(day, tz)
    for minute_of_day in times:
        wall = midnight + _MINUTES[minute_of_day]
        if transition is not None:
            before, after_offset, change = transition
            first = wall - before
            second = wall - after_offset
            first_ok, second_ok = first < change, second >= change
            gap_end = change
        else:  # unusual day: ask the zone about every time
            naive = wall.replace(tzinfo=None)
            first = wall - naive.replace(tzinfo=tz, fold=0).utcoffset()
            second = wall - naive.replace(tzinfo=tz, fold=1).utcoffset()
            first_ok = second_ok = True
            if first > second:  # a gap: fold=0 applied the smaller (earlier) offset
                first_ok = second_ok = False
            elif first == second:
                second_ok = False
            gap_end = None
        if first_ok and second_ok and first != second:  # fall-back overlap
            add(first, DST_REPEATED_HOUR)
            if overlap == OVERLAP_BOTH:
                add(second, DST_REPEATED_HOUR)
        elif first_ok or second_ok:
            add(first if first_ok else second, None)
        elif gap == GAP_SHIFT:  # spring-forward gap: the wall time does not exist
            add(gap_end if gap_end is not None else resolve_local(wall.replace(tzinfo=None), tz)[0],
                DST_SHIFTED_FROM_GAP)
    for instant in sorted(found):
        if instant > after:
            yield instant, found[instant]


def walk(
    tz: ZoneInfo,
    after: datetime,
    until: datetime | None,
    *,
    months: frozenset[int],
    day_ok: Callable[[date], bool],
    times: tuple[int, ...],
    gap: str,
    overlap: str,
    last_year: int | None = None,
) -> Iterator[tuple[datetime, str | None]]:
    """(instant, dst mark) strictly after `after` (and <= `until`), ascending, deduplicated.

    Without `until` the walk stops after SEARCH_YEARS years of dates, so a cron that matches
    nothing ends instead of looping. `last_year` stops it earlier (EventBridge's year field).
    """
    if after.tzinfo is None or (until is not None and until.tzinfo is None):
        raise ValueError("after and until must be timezone-aware")
    after = after.astimezone(UTC)
    if not times or not months:
        return
    start_day = max(after.astimezone(tz).date(), date.min + timedelta(days=2)) - timedelta(days=2)
    if until is not None:
        until = until.astimezone(UTC)
        last_day = until.astimezone(tz).date() + timedelta(days=2)
    else:
        last_day = start_day + timedelta(days=366 * SEARCH_YEARS + 4)
    if last_year is not None:
        last_day = min(last_day, date(last_year, 12, 31))
    last_day = min(last_day, date.max - timedelta(days=2))

    heap: list[tuple[datetime, int, str | None, Iterator[tuple[datetime, str | None]]]] = []
    counter = 0
    next_day = start_day

    def earliest(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=UTC) - _ONE_DAY

    def day_fires(day: date) -> Iterator[tuple[datetime, str | None]]:
        offset = _constant_offset(day, tz)
        if offset is not None:
            base = datetime(day.year, day.month, day.day, tzinfo=UTC) - offset
            return _fast_day(base, times, after)
        return _transition_day(day, tz, times, after, gap, overlap)

    def push(source: Iterator[tuple[datetime, str | None]]) -> None:
        nonlocal counter
        item = next(source, None)
        if item is not None:
            counter += 1
            heapq.heappush(heap, (item[0], counter, item[1], source))

    last_yielded: datetime | None = None
    horizon = earliest(next_day)  # no unopened date has a fire before this
    while True:
        while next_day <= last_day and (not heap or heap[0][0] >= horizon):
            if until is not None and horizon > until:
                break
            if next_day.month not in months:
                next_day = date(next_day.year + next_day.month // 12, next_day.month % 12 + 1, 1)
            else:
                if day_ok(next_day):
                    push(day_fires(next_day))
                next_day += _ONE_DAY
            horizon = earliest(next_day)
        if not heap:
            return
        instant, _, mark, source = heapq.heappop(heap)
        push(source)
        while heap and heap[0][0] == instant:  # the same instant from two dates (rare)
            _, _, other, other_source = heapq.heappop(heap)
            if _MARK_RANK[other] < _MARK_RANK[mark]:
                mark = other
            push(other_source)
        if until is not None and instant > until:
            return
        if instant == last_yielded:
            continue
        last_yielded = instant
        yield instant, mark


# ---------------------------------------------------------------------------- Belltower's evaluator


def cron_fires(
    spec: CronSpec, tz: ZoneInfo, after: datetime, *, until: datetime | None = None
) -> Iterator[Fire]:
    """Belltower's fire times of `spec` in `tz`: strictly after `after`, <= `until` (inclusive).

    Lazy, ascending, without duplicates; each `Fire.at` is aware UTC. DST per the module
    docstring: for a fixed-time job a gap time becomes one fire at the end of the gap marked
    "shifted_from_gap" (unless a real fire is at that instant: then it is unmarked) and an
    overlap time fires on the first pass marked "repeated_hour"; for a wildcard job gap times are
    skipped and overlap times fire on both passes, both marked "repeated_hour".
    Without `until` the search covers SEARCH_YEARS years after `after`.
    """
    fires = walk(
        tz,
        after,
        until,
        months=spec.months,
        day_ok=lambda day: day_matches(spec, day),
        times=spec.times,
        gap=GAP_SHIFT if spec.fixed_time else GAP_SKIP,
        overlap=OVERLAP_FIRST if spec.fixed_time else OVERLAP_BOTH,
    )
    for instant, mark in fires:
        yield Fire(instant, mark)

