"""Properties over generated crons and DST zones, two years at a time.

1. The EventBridge side reproduces Belltower's fires: the union of the emitted cron() schedules
   evaluated with AWS semantics, plus the fix-ups, filtered by `is_due`, is exactly Belltower's
   fire list; and Belltower's fires are a subset of (AWS fires ∪ fix-ups).
2. Belltower's evaluator agrees with a brute-force, minute-by-minute oracle of the cron(8) DST
   rules in a window around every transition of the two years.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from belltower.domain.cron import CronSpec, parse_cron
from belltower.domain.errors import InvalidRequest
from belltower.domain.eventbridge import aws_cron_fires
from belltower.domain.expressions import validate_expression
from belltower.domain.recurrence import Recurrence

UTC = timezone.utc
TWO_YEARS = timedelta(days=730)
IS_DUE_SAMPLE = 150  # is_due is checked on every extra/fix-up fire and on a sample of the others


def _has_dst(name: str) -> bool:
    zone = ZoneInfo(name)
    offsets = {datetime(2026, month, 1, tzinfo=zone).utcoffset() for month in (1, 4, 7, 10)}
    return len(offsets) > 1


_CANDIDATE_ZONES = [
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Tehran",  # no DST since 2022: kept only if the installed tzdata says otherwise
    "Pacific/Chatham",
    "America/St_Johns",
]
ZONES = [name for name in _CANDIDATE_ZONES if _has_dst(name)] + ["UTC"]

# ---------------------------------------------------------------------------- cron strategies

MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

# minutes/hours biased toward DST transition times (local 23:00-03:59; :00 :15 :30 :45)
minute_value = st.one_of(st.sampled_from([0, 15, 30, 45]), st.integers(0, 59))
hour_value = st.one_of(st.integers(0, 3), st.just(23), st.integers(0, 23))


def _range(low: int, high: int, values=None):
    return st.tuples(st.integers(low, high), st.integers(low, high)).map(
        lambda pair: f"{min(pair)}-{max(pair)}" if values is None else f"{values[min(pair)]}-{values[max(pair)]}"
    )


def _list(element, size=3):
    return st.lists(element, min_size=1, max_size=size).map(lambda items: ",".join(map(str, items)))


fixed_minute = st.one_of(_list(minute_value, 3), _range(0, 59).map(lambda r: r + "/20"))
wildcard_minute = st.sampled_from(["*/15", "*/20", "*/30", "*/45"])
fixed_hour = st.one_of(_list(hour_value, 3), _range(0, 5), _range(0, 23).map(lambda r: r + "/6"))
wildcard_hour = st.sampled_from(["*", "*/2", "*/3", "*/6", "*/12"])
sparse_hour = st.one_of(_list(hour_value, 2), _range(0, 3))

time_fields = st.one_of(
    st.tuples(fixed_minute, fixed_hour),  # a job at a particular time (half of the draws)
    st.tuples(fixed_minute, fixed_hour),
    st.tuples(fixed_minute, wildcard_hour),  # wildcard hour
    st.tuples(wildcard_minute, sparse_hour),  # wildcard minute, few hours
)
day_of_month = st.one_of(
    st.just("*"),
    _list(st.integers(1, 31), 3),
    _range(1, 31),
    st.sampled_from(["*/2", "*/3", "*/10", "1-15/7"]),
)
month = st.one_of(
    st.just("*"),
    st.just("*"),
    _list(st.sampled_from(MONTHS + [str(n) for n in range(1, 13)]), 4),
    _range(0, 11, MONTHS),
    st.sampled_from(["*/2", "3-11", "MAR,APR,SEP,OCT,NOV"]),  # DST months
)
day_of_week = st.one_of(
    st.just("*"),
    _list(st.integers(0, 7), 3),
    _range(0, 7),
    _range(0, 6, DAYS),
    st.sampled_from(["*/2", "0", "SUN", "SAT,SUN", "MON-FRI", "5-7", "1-5/2"]),
)


@st.composite
def crons(draw) -> str:
    minute, hour = draw(time_fields)
    return f"{minute} {hour} {draw(day_of_month)} {draw(month)} {draw(day_of_week)}"


def _spec(text: str) -> CronSpec:
    try:
        return parse_cron(text)
    except InvalidRequest:
        assume(False)
        raise


window_starts = st.builds(
    lambda days, minutes: datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=days, minutes=minutes),
    st.integers(0, 365),
    st.integers(0, 1439),
)

# ---------------------------------------------------------------------------- property 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(text=crons(), zone=st.sampled_from(ZONES), window_start=window_starts, seed=st.integers(0, 2**32))
@example(text="30 2 * * *", zone="America/New_York", window_start=datetime(2025, 6, 1, tzinfo=UTC), seed=0)
@example(text="*/30 1-2 * * *", zone="Europe/London", window_start=datetime(2025, 6, 1, tzinfo=UTC), seed=0)
@example(text="15,45 2 * * 0", zone="Australia/Lord_Howe", window_start=datetime(2025, 1, 1, tzinfo=UTC), seed=0)
@example(text="0 0 * * *", zone="America/Santiago", window_start=datetime(2025, 1, 1, tzinfo=UTC), seed=0)
@example(text="30 23 * * 6", zone="America/Santiago", window_start=datetime(2025, 1, 1, tzinfo=UTC), seed=0)
@example(text="45 2 * * *", zone="Pacific/Chatham", window_start=datetime(2025, 1, 1, tzinfo=UTC), seed=0)
@example(text="0,30 1-3 * * *", zone="America/St_Johns", window_start=datetime(2025, 1, 1, tzinfo=UTC), seed=0)
@example(text="30 4 1,15 * 5", zone="Europe/Berlin", window_start=datetime(2025, 1, 1, tzinfo=UTC), seed=0)
@example(text="0 2 */2 * 0", zone="Australia/Sydney", window_start=datetime(2025, 1, 1, tzinfo=UTC), seed=0)
@example(text="30 2 1-7 * */2", zone="America/New_York", window_start=datetime(2025, 1, 1, tzinfo=UTC), seed=0)
def test_eventbridge_schedules_plus_fixups_reproduce_belltower_fires(text, zone, window_start, seed):
    spec = _spec(text)
    tz = ZoneInfo(zone)
    window_end = window_start + TWO_YEARS
    recurrence = Recurrence(spec, None, zone, window_start, None, None)

    ours = [fire.at for fire in recurrence.fires(window_start, until=window_end)]
    plan = recurrence.eventbridge_plan()
    assert not plan.chain and 1 <= len(plan.expressions) <= 2
    assert all(validate_expression(expression) == expression for expression in plan.expressions)
    from_aws: set[datetime] = set()
    for expression in plan.expressions:
        from_aws.update(aws_cron_fires(expression, tz, window_start, window_end))
    fixups = recurrence.fixups(window_start, window_end)

    ours_set, fixup_set = set(ours), set(fixups)
    assert ours == sorted(ours_set)  # ascending, no duplicates
    assert fixups == sorted(fixup_set)
    # Belltower's fires ⊆ AWS ∪ fix-ups; fix-ups are Belltower fires AWS does not make
    assert ours_set <= from_aws | fixup_set
    assert fixup_set <= ours_set and not fixup_set & from_aws
    # filtered by is_due, AWS ∪ fix-ups is exactly Belltower's list
    extras = from_aws - ours_set
    assert not any(recurrence.is_due(instant) for instant in extras)
    common = sorted(from_aws & ours_set)
    sample = random.Random(seed).sample(common, min(len(common), IS_DUE_SAMPLE))
    assert all(recurrence.is_due(instant) for instant in sample + fixups)
    delivered = sorted({a for a in from_aws if a in ours_set or a in sample} | fixup_set)
    assert delivered == ours
    # the day-field superset is EventBridge's only source of extra fires
    if spec.day_or or spec.days == set(range(1, 32)) or spec.weekdays == set(range(7)):
        assert not extras


# ---------------------------------------------------------------------------- property 2


def _transitions(tz: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """UTC instants (whole minutes) where the zone's offset changes, by a 15-minute scan."""
    found = []
    step = timedelta(minutes=15)
    t, previous = start, start.astimezone(tz).utcoffset()
    while t < end:
        following = t + step
        offset = following.astimezone(tz).utcoffset()
        if offset != previous:
            exact = next(
                t + timedelta(minutes=m)
                for m in range(1, 16)
                if (t + timedelta(minutes=m)).astimezone(tz).utcoffset() != previous
            )
            found.append(exact)
            previous = offset
        t = following
    return found


def _oracle_day(spec: CronSpec, day: date) -> bool:
    if day.month not in spec.months:
        return False
    dom, dow = day.day in spec.days, (day.weekday() + 1) % 7 in spec.weekdays
    return (dom or dow) if spec.day_or else (dom and dow)


def _oracle_matches(spec: CronSpec, wall: datetime) -> bool:
    return wall.minute in spec.minutes and wall.hour in spec.hours and _oracle_day(spec, wall.date())


def _oracle(spec: CronSpec, tz: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, str | None]]:
    """cron(8) by brute force: walk UTC minutes in (start, end], look at the wall clock.

    Wildcard jobs fire at every real occurrence of a matching wall time (both passes of an
    overlap). Fixed jobs skip the second pass, and at a spring-forward transition T fire once for
    any matching wall time inside the gap [wall before T, wall at T).
    """
    out: dict[datetime, str | None] = {}
    t = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while t <= end:
        local = t.astimezone(tz)
        wall = local.replace(tzinfo=None)
        before = (t - timedelta(minutes=1)).astimezone(tz)
        ambiguous = wall.replace(tzinfo=tz, fold=0).utcoffset() != wall.replace(tzinfo=tz, fold=1).utcoffset()
        if _oracle_matches(spec, wall) and not (spec.fixed_time and local.fold == 1 and ambiguous):
            out[t] = "repeated_hour" if ambiguous else None
        if spec.fixed_time and local.utcoffset() > before.utcoffset():  # t ends a gap
            gap_start = before.replace(tzinfo=None) + timedelta(minutes=1)
            missing = wall - gap_start
            if any(
                _oracle_matches(spec, gap_start + timedelta(minutes=m))
                for m in range(int(missing / timedelta(minutes=1)))
            ):
                out.setdefault(t, "shifted_from_gap")
        t += timedelta(minutes=1)
    return sorted(out.items())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(text=crons(), zone=st.sampled_from(ZONES[:-1]), window_start=window_starts)
@example(text="30 2 * * *", zone="America/New_York", window_start=datetime(2025, 1, 1, tzinfo=UTC))
@example(text="*/15 1-2 * * *", zone="Australia/Lord_Howe", window_start=datetime(2025, 1, 1, tzinfo=UTC))
@example(text="0,30 23,0 * * *", zone="America/Santiago", window_start=datetime(2025, 1, 1, tzinfo=UTC))
@example(text="15,45 2,3 * * *", zone="Pacific/Chatham", window_start=datetime(2025, 1, 1, tzinfo=UTC))
def test_belltower_fires_match_a_brute_force_oracle_around_transitions(text, zone, window_start):
    spec = _spec(text)
    tz = ZoneInfo(zone)
    recurrence = Recurrence(spec, None, zone, window_start, None, None)
    transitions = _transitions(tz, window_start, window_start + TWO_YEARS)
    assert len(transitions) >= 3
    for transition in transitions:
        start, end = transition - timedelta(hours=26), transition + timedelta(hours=26)
        expected = _oracle(spec, tz, start, end)
        got = [(fire.at, fire.dst) for fire in recurrence.fires(start, until=end)]
        assert got == expected, (text, zone, transition)
