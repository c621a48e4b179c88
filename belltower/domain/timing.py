"""One-shot timing: turn `delay` / `fire_at` / `local_fire_at` (+ `timezone`) into one UTC instant.

PRODUCT.md §2 and the one-shot guide: exactly one timing source; `delay` ≥ 1 s; `fire_at`
strict RFC 3339 (or Unix seconds), in the future and ≤ 10 years out; `local_fire_at` is a wall
time in an IANA zone where a spring-forward gap resolves to the end of the gap and a fall-back
overlap to its first occurrence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from belltower.domain.durations import parse_duration
from belltower.domain.errors import InvalidRequest, Unprocessable

__all__ = [
    "TIMING_FIELDS",
    "MAX_HORIZON",
    "MIN_DELAY",
    "DST_SHIFTED_FROM_GAP",
    "DST_REPEATED_HOUR",
    "NotOneShot",
    "OneShotTiming",
    "load_timezone",
    "parse_rfc3339",
    "parse_fire_at",
    "parse_local_datetime",
    "resolve_local",
    "format_utc",
    "format_local",
    "resolve_one_shot",
]

TIMING_FIELDS = ("delay", "fire_at", "local_fire_at", "cron", "every")
RECURRING_FIELDS = ("cron", "every")
MAX_HORIZON = timedelta(days=3652)
MIN_DELAY = timedelta(seconds=1)
DST_SHIFTED_FROM_GAP = "shifted_from_gap"
DST_REPEATED_HOUR = "repeated_hour"

_UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=_UTC)

# ---------------------------------------------------------------------------- time zones

_ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*", re.ASCII)
# Files in the zoneinfo tree that are not IANA zone names (or are aliases of the host's zone).
_NOT_ZONES = {"localtime", "posixrules", "Factory"}
_NOT_ZONE_PREFIXES = ("posix/", "right/")


def _invalid_timezone(value: Any, param: str) -> InvalidRequest:
    return InvalidRequest(
        f"{param} must be an IANA time zone name such as \"America/New_York\" or \"UTC\"; got {value!r:.80}",
        param=param,
        code="invalid_timezone",
    )


def load_timezone(name: Any, *, param: str = "timezone") -> ZoneInfo:
    """The `ZoneInfo` for an IANA name; anything else (paths, host aliases, unknown) is rejected."""
    if not isinstance(name, str) or len(name) > 64 or not _ZONE_NAME.fullmatch(name):
        raise _invalid_timezone(name, param)
    if name in _NOT_ZONES or name.startswith(_NOT_ZONE_PREFIXES):
        raise _invalid_timezone(name, param)
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError, UnicodeError):  # not found, a directory, not TZif, ...
        raise _invalid_timezone(name, param) from None


# ---------------------------------------------------------------------------- timestamps

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)
_LOCAL = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?", re.ASCII)
_HAS_OFFSET = re.compile(r".*(?:[Zz]|[+-]\d{2}:?\d{2})", re.ASCII | re.DOTALL)


def _invalid_timestamp(param: str, message: str) -> InvalidRequest:
    return InvalidRequest(f"{param} {message}", param=param, code="invalid_timestamp")


def parse_rfc3339(value: Any, *, param: str) -> datetime:
    """A strict RFC 3339 date-time with `Z` or `±HH:MM` → aware UTC datetime.

    Fractions of a second may have 1–9 digits and are truncated to microseconds.
    Leap seconds (`:60`) are rejected.
    """
    expected = 'must be an RFC 3339 timestamp with an offset, e.g. "2026-05-01T10:00:00Z"'
    if not isinstance(value, str):
        raise _invalid_timestamp(param, expected)
    match = _RFC3339.fullmatch(value)
    if match is None:
        raise _invalid_timestamp(param, expected)
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    micros = int((match.group(7) or "0").ljust(6, "0")[:6])
    if match.group(8):
        offset = timedelta(0)
    else:
        off_h, off_m = int(match.group(10)), int(match.group(11))
        if off_h > 23 or off_m > 59:
            raise _invalid_timestamp(param, f"has an out-of-range offset ({value!r})")
        offset = timedelta(hours=off_h, minutes=off_m) * (-1 if match.group(9) == "-" else 1)
    try:
        local = datetime(year, month, day, hour, minute, second, micros, tzinfo=timezone(offset))
        return local.astimezone(_UTC)
    except (ValueError, OverflowError):
        raise _invalid_timestamp(param, f"is not a valid date and time ({value!r})") from None


def parse_fire_at(value: Any, *, param: str = "fire_at") -> datetime:
    """An RFC 3339 string or a Unix timestamp in seconds (int or float) → aware UTC datetime."""
    if isinstance(value, str):
        return parse_rfc3339(value, param=param)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise _invalid_timestamp(param, "must be a finite Unix timestamp")
        try:
            return _EPOCH + timedelta(seconds=value)
        except OverflowError:
            raise _invalid_timestamp(param, "is out of range") from None
    raise _invalid_timestamp(
        param, 'must be an RFC 3339 timestamp with an offset (e.g. "2026-05-01T10:00:00Z") or Unix seconds'
    )


def parse_local_datetime(value: Any, *, param: str = "local_fire_at") -> datetime:
    """An offset-less wall time `YYYY-MM-DDTHH:MM[:SS]` → naive datetime."""
    expected = 'must be a local date and time "YYYY-MM-DDTHH:MM[:SS]" without an offset'
    if not isinstance(value, str):
        raise _invalid_timestamp(param, expected)
    match = _LOCAL.fullmatch(value)
    if match is None:
        if _LOCAL.match(value) and _HAS_OFFSET.fullmatch(value):
            raise _invalid_timestamp(
                param, f"{expected}; it has an offset, so send it as fire_at instead ({value!r})"
            )
        raise _invalid_timestamp(param, expected)
    parts = [int(g) for g in match.group(1, 2, 3, 4, 5)] + [int(match.group(6) or 0)]
    try:
        return datetime(*parts)
    except ValueError:
        raise _invalid_timestamp(param, f"is not a valid date and time ({value!r})") from None


# ---------------------------------------------------------------------------- wall time → instant


def _instant(naive: datetime, tz: ZoneInfo, fold: int) -> datetime:
    return naive.replace(tzinfo=tz, fold=fold).astimezone(_UTC)


def _round_trips(instant: datetime, naive: datetime, tz: ZoneInfo) -> bool:
    return instant.astimezone(tz).replace(tzinfo=None) == naive


def _transition_between(before: datetime, after: datetime, tz: ZoneInfo) -> datetime:
    """The first whole-second instant in (before, after] whose UTC offset differs from `before`'s.

    Zone transitions happen on whole seconds, so a bisection over seconds finds it exactly.
    """
    lo = math.floor(before.timestamp())
    hi = math.ceil(after.timestamp())
    offset_before = datetime.fromtimestamp(lo, _UTC).astimezone(tz).utcoffset()
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, _UTC).astimezone(tz).utcoffset() == offset_before:
            lo = mid
        else:
            hi = mid
    return datetime.fromtimestamp(hi, _UTC)


def resolve_local(naive: datetime, tz: ZoneInfo) -> tuple[datetime, str | None]:
    """The UTC instant of wall time `naive` in `tz`, and its DST mark.

    - a normal wall time → (instant, None);
    - inside a spring-forward gap (the time does not exist) → the end of the gap, i.e. the
      transition instant, whose wall time is the first valid one → "shifted_from_gap";
    - inside a fall-back overlap (the time happens twice) → the first occurrence (fold=0)
      → "repeated_hour".
    """
    if naive.tzinfo is not None:
        raise ValueError("resolve_local expects a naive (wall-clock) datetime")
    first = _instant(naive, tz, fold=0)
    second = _instant(naive, tz, fold=1)
    if first == second:
        return first, None
    if _round_trips(first, naive, tz) and _round_trips(second, naive, tz):
        return min(first, second), DST_REPEATED_HOUR
    # A gap: fold=0 applies the offset from before the jump, fold=1 the one after, and the
    # transition lies between the two candidate instants.
    return _transition_between(min(first, second), max(first, second), tz), DST_SHIFTED_FROM_GAP


# ---------------------------------------------------------------------------- formatting


def _require_aware(dt: datetime, name: str = "dt") -> None:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def _clock(dt: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS`, plus `.mmm` when the milliseconds are non-zero (sub-ms truncated)."""
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if dt.microsecond // 1000:
        text += f".{dt.microsecond // 1000:03d}"
    if dt.year < 1000:  # strftime does not zero-pad years on every platform
        text = f"{dt.year:04d}" + text[text.index("-"):]
    return text


def format_utc(dt: datetime) -> str:
    """RFC 3339 in UTC with `Z`: "2026-05-01T10:00:00Z", "2026-05-01T10:00:00.250Z"."""
    _require_aware(dt)
    return _clock(dt.astimezone(_UTC)) + "Z"


def format_local(dt: datetime, tz: ZoneInfo) -> str:
    """RFC 3339 with the zone's offset at that instant: "2026-03-08T03:00:00-04:00".

    UTC itself is written "+00:00". Historical offsets with seconds are rounded to minutes.
    """
    _require_aware(dt)
    local = dt.astimezone(tz)
    minutes = round(local.utcoffset().total_seconds() / 60)
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{_clock(local)}{sign}{hours:02d}:{mins:02d}"


# ---------------------------------------------------------------------------- resolution


class NotOneShot(Exception):
    """The body asks for a recurring schedule (`cron` or `every`); route it to recurring handling."""

    def __init__(self, field: str):
        super().__init__(f"{field} makes a recurring schedule, not a one-shot")
        self.field = field


@dataclass(frozen=True)
class OneShotTiming:
    """A resolved one-shot time.

    `fire_at` is aware UTC; `timezone` is the validated zone name ("UTC" when none was sent);
    `dst` is None, "shifted_from_gap" or "repeated_hour" (only ever set for `local_fire_at`).
    """

    fire_at: datetime
    timezone: str
    dst: str | None = None


def _present_timing_fields(body: Mapping[str, Any]) -> list[str]:
    return [name for name in TIMING_FIELDS if body.get(name) is not None]


def _check_window(fire_at: datetime, now: datetime, param: str) -> None:
    if fire_at <= now:
        raise Unprocessable(
            f"{param} resolves to {format_utc(fire_at)}, which is not in the future (now is {format_utc(now)})",
            param=param,
            code="fire_at_in_past",
        )
    if fire_at > now + MAX_HORIZON:
        raise Unprocessable(
            f"{param} resolves to {format_utc(fire_at)}, more than 10 years from now",
            param=param,
            code="fire_at_too_far",
        )


def _resolve_delay(value: Any, now: datetime) -> datetime:
    delay = parse_duration(value, param="delay")
    if delay < MIN_DELAY:
        raise Unprocessable("delay must be at least 1s", param="delay", code="sub_floor_delay")
    fire_at = now + delay
    _check_window(fire_at, now, "delay")
    return fire_at


def resolve_one_shot(body: Mapping[str, Any], now: datetime) -> OneShotTiming:
    """Validate the timing fields of a create/preview body and resolve the one-shot fire time.

    Raises `NotOneShot` for `cron`/`every` (after the count and `timezone` checks), and the
    API errors of PRODUCT.md §2 otherwise. The delay form also obeys the 10-year horizon.
    """
    _require_aware(now, "now")
    now = now.astimezone(_UTC)
    present = _present_timing_fields(body)
    if not present:
        raise Unprocessable(
            "send exactly one timing field: delay, fire_at, local_fire_at, cron or every",
            param=None,
            code="missing_timing",
        )
    if len(present) > 1:
        raise InvalidRequest(
            f"send exactly one timing field, got {', '.join(present)}",
            param=None,
            code="multiple_timing",
        )
    zone_name = body.get("timezone")
    tz = load_timezone(zone_name) if zone_name is not None else ZoneInfo("UTC")
    zone_name = zone_name if zone_name is not None else "UTC"
    field = present[0]
    if field in RECURRING_FIELDS:
        raise NotOneShot(field)
    if field == "delay":
        return OneShotTiming(_resolve_delay(body[field], now), zone_name, None)
    if field == "fire_at":
        fire_at = parse_fire_at(body[field])
        _check_window(fire_at, now, "fire_at")
        return OneShotTiming(fire_at, zone_name, None)
    fire_at, dst = resolve_local(parse_local_datetime(body[field]), tz)
    _check_window(fire_at, now, "local_fire_at")
    return OneShotTiming(fire_at, zone_name, dst)
