"""5-field Unix cron: parsing, rejections, cronie day rules and cron(8) DST rules."""

from __future__ import annotations

import itertools
import time
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from belltower.domain.cron import CronSpec, Fire, cron_fires, day_matches, parse_cron
from belltower.domain.errors import InvalidRequest

UTC = timezone.utc
NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
SANTIAGO = ZoneInfo("America/Santiago")
GAP = "shifted_from_gap"
REPEATED = "repeated_hour"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def fires(cron: str, tz: ZoneInfo, after: datetime, until: datetime) -> list[tuple[datetime, str | None]]:
    return [(fire.at, fire.dst) for fire in cron_fires(parse_cron(cron), tz, after, until=until)]


# ---------------------------------------------------------------------------- parsing


def test_fields_become_value_sets():
    spec = parse_cron("*/15 9-17 1,15 JAN-MAR mon-fri")
    assert spec.minutes == {0, 15, 30, 45}
    assert spec.hours == set(range(9, 18))
    assert spec.days == {1, 15}
    assert spec.months == {1, 2, 3}
    assert spec.weekdays == {1, 2, 3, 4, 5}
    assert spec.text == "*/15 9-17 1,15 JAN-MAR mon-fri"
    assert spec.fields == ("*/15", "9-17", "1,15", "JAN-MAR", "mon-fri")


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("5-40/5 * * * *", {5, 10, 15, 20, 25, 30, 35, 40}),
        ("10/5 * * * *", set(range(10, 60, 5))),  # n/step = n-max/step
        ("*/20 * * * *", {0, 20, 40}),
        ("1,2,3-5,50-59/3 * * * *", {1, 2, 3, 4, 5, 50, 53, 56, 59}),
        ("07 * * * *", {7}),
    ],
)
def test_minute_forms(text, minutes):
    assert parse_cron(text).minutes == minutes


@pytest.mark.parametrize(
    ("text", "weekdays"),
    [
        ("0 0 * * 0", {0}),
        ("0 0 * * 7", {0}),  # 7 is Sunday too
        ("0 0 * * 5-7", {5, 6, 0}),
        ("0 0 * * 0-7", set(range(7))),
        ("0 0 * * SUN,sat", {0, 6}),
        ("0 0 * * Tue-Thu", {2, 3, 4}),
        ("0 0 * * */2", {0, 2, 4, 6}),
        ("0 0 * * MON/2", {1, 3, 5, 7 % 7}),  # MON-7 step 2: 1,3,5,7(=Sunday)
    ],
)
def test_day_of_week_numbering_and_names(text, weekdays):
    assert parse_cron(text).weekdays == weekdays


def test_month_names_are_case_insensitive():
    assert parse_cron("0 0 1 jan,Jul,DEC *").months == {1, 7, 12}
    assert parse_cron("0 0 1 feb-apr/2 *").months == {2, 4}


@pytest.mark.parametrize(
    ("macro", "expansion"),
    [
        ("@hourly", "0 * * * *"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"),
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
    ],
)
def test_macros_expand_to_their_five_fields(macro, expansion):
    spec = parse_cron(macro)
    plain = parse_cron(expansion)
    assert spec.fields == plain.fields
    assert (spec.minutes, spec.hours, spec.days, spec.months, spec.weekdays) == (
        plain.minutes, plain.hours, plain.days, plain.months, plain.weekdays
    )
    assert (spec.fixed_time, spec.day_or) == (plain.fixed_time, plain.day_or)
    assert spec.text == macro


@pytest.mark.parametrize(
    ("text", "fixed", "dom_restricted", "dow_restricted", "day_or"),
    [
        ("30 2 * * *", True, False, False, False),
        ("0,30 1-3 * * *", True, False, False, False),
        ("*/15 * * * *", False, False, False, False),
        ("0 * * * *", False, False, False, False),
        ("15 */2 * * *", False, False, False, False),
        ("30 4 1,15 * 5", True, True, True, True),
        ("0 0 */2 * 5", True, False, True, False),
        ("0 0 1-31 * MON", True, True, True, True),
        ("@hourly", False, False, False, False),
        ("@weekly", True, False, True, False),
    ],
)
def test_flags(text, fixed, dom_restricted, dow_restricted, day_or):
    spec = parse_cron(text)
    assert (spec.fixed_time, spec.dom_restricted, spec.dow_restricted, spec.day_or) == (
        fixed, dom_restricted, dow_restricted, day_or
    )


def test_surrounding_whitespace_and_tabs_are_accepted():
    assert parse_cron("  0\t9 * *   *  ").hours == {9}


# ---------------------------------------------------------------------------- rejections


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("0 0 9 * * *", "6 fields"),  # seconds first (Quartz/croniter)
        ("0 9 * * ? 2026", "'?'"),
        ("0 9 * * * 2026", "6 fields"),
        ("0 0 9 * * ? 2026", "'?'"),
        ("0 0 9 * * * 2026", "7 fields"),
        ("* * * *", "4 field"),
        ("*", "1 field"),
        ("", "empty"),
        ("   ", "empty"),
        ("0 9 ? * MON", "'?'"),
        ("0 9 L * *", "L/W"),
        ("0 9 15W * *", "L/W"),
        ("0 9 * * 5L", "L/W"),
        ("0 9 * * 5#3", "'#'"),
        ("60 * * * *", "out of range 0-59"),
        ("0 24 * * *", "out of range 0-23"),
        ("0 0 0 * *", "out of range 1-31"),
        ("0 0 32 * *", "out of range 1-31"),
        ("0 0 1 13 *", "out of range 1-12"),
        ("0 0 1 0 *", "out of range 1-12"),
        ("0 0 * * 8", "out of range 0-7"),
        ("5-1 * * * *", "reversed"),
        ("0 0 * * 5-1", "reversed"),
        ("0 0 * * FRI-MON", "reversed"),
        ("*/0 * * * *", "step 0"),
        ("0/0 * * * *", "step 0"),
        ("*/90 * * * *", "every"),
        ("*/ * * * *", "number after '/'"),
        ("1,,2 * * * *", "empty list element"),
        (",1 * * * *", "empty list element"),
        ("1, * * * *", "empty list element"),
        ("@reboot", "boots"),
        ("@every 5m", "not a known macro"),
        ("@fortnightly", "not a known macro"),
        ("0 0 * * MONDAY", "unknown name"),
        ("0 0 * JANUARY *", "unknown name"),
        ("0 MON * * *", "numbers only"),
        ("-1 * * * *", "invalid element"),
        ("1-2-3 * * * *", "invalid element"),
        ("*-5 * * * *", "invalid element"),
        ("1/2/3 * * * *", "invalid element"),
        ("0 0 * * 1.5", "characters"),
        ("0 0 * * \u0661", "characters"),  # Arabic-Indic digit one
        ("0\n0 * * *", "characters"),
        ("0 0 30 2 *", "never fires"),
        ("0 0 31 4,6,9,11 *", "never fires"),
        ("0 0 30,31 FEB *", "never fires"),
        ("0 0 " + "1," * 200 + "1 * *", "longer than"),
    ],
)
def test_rejections_are_invalid_cron(text, fragment):
    with pytest.raises(InvalidRequest) as caught:
        parse_cron(text)
    error = caught.value
    assert (error.code, error.param, error.status) == ("invalid_cron", "cron", 400)
    assert fragment in error.message


@pytest.mark.parametrize("value", [None, 5, ["0 * * * *"], {"cron": "x"}])
def test_non_strings_are_invalid_cron(value):
    with pytest.raises(InvalidRequest) as caught:
        parse_cron(value)
    assert caught.value.code == "invalid_cron"


def test_reversed_range_message_suggests_a_split():
    with pytest.raises(InvalidRequest) as caught:
        parse_cron("0 0 * * 5-1")
    assert "5-6,0-1" in caught.value.message


@pytest.mark.parametrize("text", ["0 0 29 2 *", "0 0 30 2 5", "0 0 31 2,3 *", "0 0 */30 2 *"])
def test_crons_that_can_fire_are_accepted(text):
    assert isinstance(parse_cron(text), CronSpec)


# ---------------------------------------------------------------------------- day rules (cronie)


def test_vixie_or_when_both_day_fields_are_restricted():
    # Given "30 4 1,15 * 5": the 1st, the 15th and every Friday
    spec = parse_cron("30 4 1,15 * 5")
    days = [d for d in (date(2026, 5, 1) + timedelta(n) for n in range(31)) if day_matches(spec, d)]
    # May 2026: Fridays are 1, 8, 15, 22, 29
    assert [d.day for d in days] == [1, 8, 15, 22, 29]
    days = [d for d in (date(2026, 6, 1) + timedelta(n) for n in range(30)) if day_matches(spec, d)]
    # June 2026: the 1st (Mon), Fridays 5, 12, 19, 26, the 15th (Mon)
    assert [d.day for d in days] == [1, 5, 12, 15, 19, 26]


def test_star_step_day_field_counts_as_unrestricted_so_fields_are_anded():
    # cronie: "*/2" starts with "*" -> AND: odd days that are Fridays
    spec = parse_cron("0 0 */2 * 5")
    days = [d.day for d in (date(2026, 5, 1) + timedelta(n) for n in range(31)) if day_matches(spec, d)]
    assert days == [1, 15, 29]
    # the same on the weekday side: days 1-7 that are Sun/Tue/Thu/Sat
    spec = parse_cron("0 0 1-7 * */2")
    days = [d.day for d in (date(2026, 5, 1) + timedelta(n) for n in range(31)) if day_matches(spec, d)]
    assert days == [2, 3, 5, 7]  # May 2026: Sat 2, Sun 3, Tue 5, Thu 7


def test_unrestricted_day_of_month_leaves_the_weekday_to_decide():
    spec = parse_cron("0 9 * * 1-5")
    assert [day_matches(spec, date(2026, 5, d)) for d in range(1, 8)] == [
        True, False, False, True, True, True, True  # Fri 1, Sat 2, Sun 3, Mon 4 .. Thu 7
    ]


def test_month_restricts_both_sides_of_the_or():
    spec = parse_cron("0 0 1 JUN FRI")
    assert not day_matches(spec, date(2026, 5, 1))  # a Friday the 1st, but May
    assert day_matches(spec, date(2026, 6, 5))


def test_sunday_as_0_and_7():
    sunday = date(2026, 5, 3)
    assert day_matches(parse_cron("0 0 * * 0"), sunday)
    assert day_matches(parse_cron("0 0 * * 7"), sunday)
    assert day_matches(parse_cron("0 0 * * SUN"), sunday)
    assert not day_matches(parse_cron("0 0 * * 1-6"), sunday)


def test_leap_day_cron_fires_every_four_years():
    spec = parse_cron("0 12 29 2 *")
    got = [fire.at for fire in cron_fires(spec, UTC_ZONE, utc(2026, 1, 1), until=utc(2033, 1, 1))]
    assert got == [utc(2028, 2, 29, 12), utc(2032, 2, 29, 12)]


UTC_ZONE = ZoneInfo("UTC")


# ---------------------------------------------------------------------------- evaluation basics


def test_fires_are_strictly_after_and_until_is_inclusive():
    got = fires("0 * * * *", UTC_ZONE, utc(2026, 1, 1, 10), utc(2026, 1, 1, 13))
    assert got == [(utc(2026, 1, 1, 11), None), (utc(2026, 1, 1, 12), None), (utc(2026, 1, 1, 13), None)]


def test_fires_in_a_zone_without_dst():
    got = fires("30 9 * * MON-FRI", ZoneInfo("Asia/Tokyo"), utc(2026, 5, 1), utc(2026, 5, 6))
    # Tokyo is UTC+9: 09:30 local = 00:30Z; May 2026: Fri 1, Mon 4, Tue 5, Wed 6 (after until)
    assert [at for at, _ in got] == [utc(2026, 5, 1, 0, 30), utc(2026, 5, 4, 0, 30), utc(2026, 5, 5, 0, 30)]


def test_generator_is_lazy_and_stops_for_sparse_crons():
    # a leap-day Friday: 2036-02-29 is the next after 2026
    spec = parse_cron("0 0 29 2 */7")  # AND: Feb 29 that is a Sunday
    first = next(cron_fires(spec, UTC_ZONE, utc(2026, 1, 1)))
    assert first.at == utc(2032, 2, 29)  # 2032-02-29 is a Sunday
    # a cron the 28-year search cannot reach ends instead of looping
    assert list(cron_fires(spec, UTC_ZONE, utc(2026, 1, 1), until=utc(2031, 1, 1))) == []


def test_year_and_month_boundaries():
    got = fires("0 0 1 * *", UTC_ZONE, utc(2026, 11, 15), utc(2027, 2, 1))
    assert [at for at, _ in got] == [utc(2026, 12, 1), utc(2027, 1, 1), utc(2027, 2, 1)]


def _best_of_three(run):
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        result = run()
        timings.append(time.perf_counter() - start)
    return result, min(timings)


def test_next_100_fires_of_every_minute_are_fast():
    # starting on a DST day (the slower, per-time path) in New York
    spec = parse_cron("* * * * *")
    got, elapsed = _best_of_three(
        lambda: list(itertools.islice(cron_fires(spec, NEW_YORK, utc(2026, 3, 8, 6, 30, 15)), 100))
    )
    assert len(got) == 100 and got[0].at == utc(2026, 3, 8, 6, 31)
    assert all(b.at - a.at == timedelta(minutes=1) for a, b in zip(got, got[1:]))
    assert elapsed < 0.02


def test_two_years_of_every_five_minutes_are_fast():
    spec = parse_cron("*/5 * * * *")
    got, elapsed = _best_of_three(lambda: list(cron_fires(spec, NEW_YORK, utc(2026, 1, 1), until=utc(2028, 1, 1))))
    # 730 days * 288, minus the 12 of each spring gap, plus the 12 of each repeated hour
    assert len(got) == 730 * 288
    assert elapsed < 2


def test_fire_is_a_small_value_object():
    fire = Fire(utc(2026, 1, 1), None)
    assert fire == Fire(utc(2026, 1, 1))
    with pytest.raises(AttributeError):
        fire.at = utc(2027, 1, 1)  # type: ignore[misc]


def test_naive_after_is_rejected():
    with pytest.raises(ValueError):
        next(cron_fires(parse_cron("* * * * *"), UTC_ZONE, datetime(2026, 1, 1)))


# ---------------------------------------------------------------------------- DST: New York


def test_new_york_fixed_job_in_the_gap_fires_once_at_the_end_of_the_gap():
    # 2026-03-08: 02:00 EST -> 03:00 EDT (07:00Z). 02:30 does not exist.
    got = fires("30 2 * * *", NEW_YORK, utc(2026, 3, 7), utc(2026, 3, 10))
    assert got == [
        (utc(2026, 3, 7, 7, 30), None),  # 02:30 EST
        (utc(2026, 3, 8, 7, 0), GAP),  # 03:00 EDT, the first valid instant
        (utc(2026, 3, 9, 6, 30), None),  # 02:30 EDT
    ]


def test_new_york_several_gap_times_collapse_and_merge_with_a_real_fire():
    # 02:00 and 02:30 collapse into 03:00 EDT, which is also a real fire (03:00): one unmarked fire
    got = fires("0,30 1-3 * * *", NEW_YORK, utc(2026, 3, 8, 5), utc(2026, 3, 8, 8))
    assert got == [
        (utc(2026, 3, 8, 6, 0), None),  # 01:00 EST
        (utc(2026, 3, 8, 6, 30), None),  # 01:30 EST
        (utc(2026, 3, 8, 7, 0), None),  # 03:00 EDT (real) + the two gap times
        (utc(2026, 3, 8, 7, 30), None),  # 03:30 EDT
    ]
    # without a real fire at the end of the gap, the collapsed fire is marked
    got = fires("0,15,45 2 * * *", NEW_YORK, utc(2026, 3, 8, 5), utc(2026, 3, 8, 8))
    assert got == [(utc(2026, 3, 8, 7, 0), GAP)]


def test_new_york_fixed_job_in_the_overlap_fires_once_on_the_first_pass():
    # 2026-11-01: 02:00 EDT -> 01:00 EST (06:00Z); 01:30 happens at 05:30Z and 06:30Z
    got = fires("30 1 * * *", NEW_YORK, utc(2026, 10, 31), utc(2026, 11, 3))
    assert got == [
        (utc(2026, 10, 31, 5, 30), None),
        (utc(2026, 11, 1, 5, 30), REPEATED),  # first pass (EDT)
        (utc(2026, 11, 2, 6, 30), None),
    ]


def test_new_york_wildcard_jobs_follow_the_wall_clock():
    # */30 * : 02:00, 02:30 do not occur in the gap; nothing is shifted
    got = fires("*/30 * * * *", NEW_YORK, utc(2026, 3, 8, 6), utc(2026, 3, 8, 8))
    assert got == [
        (utc(2026, 3, 8, 6, 30), None),  # 01:30 EST
        (utc(2026, 3, 8, 7, 0), None),  # 03:00 EDT (a real time)
        (utc(2026, 3, 8, 7, 30), None),
        (utc(2026, 3, 8, 8, 0), None),
    ]
    # in the overlap 01:00 and 01:30 happen in both passes
    got = fires("*/30 * * * *", NEW_YORK, utc(2026, 11, 1, 4, 30), utc(2026, 11, 1, 7))
    assert got == [
        (utc(2026, 11, 1, 5, 0), REPEATED),  # 01:00 EDT
        (utc(2026, 11, 1, 5, 30), REPEATED),  # 01:30 EDT
        (utc(2026, 11, 1, 6, 0), REPEATED),  # 01:00 EST
        (utc(2026, 11, 1, 6, 30), REPEATED),  # 01:30 EST
        (utc(2026, 11, 1, 7, 0), None),  # 02:00 EST
    ]


def test_new_york_wildcard_hour_with_fixed_minute():
    # "0 * * * *" is a wildcard job: the 02:00 of the gap is skipped, 01:00 fires twice
    assert fires("0 * * * *", NEW_YORK, utc(2026, 3, 8, 5, 30), utc(2026, 3, 8, 8)) == [
        (utc(2026, 3, 8, 6), None), (utc(2026, 3, 8, 7), None), (utc(2026, 3, 8, 8), None)
    ]
    assert fires("0 * * * *", NEW_YORK, utc(2026, 11, 1, 4, 30), utc(2026, 11, 1, 7)) == [
        (utc(2026, 11, 1, 5), REPEATED), (utc(2026, 11, 1, 6), REPEATED), (utc(2026, 11, 1, 7), None)
    ]
    # "15 */2 * * *" (wildcard hour): 02:15 is in the gap and does not occur
    assert fires("15 */2 * * *", NEW_YORK, utc(2026, 3, 8, 4), utc(2026, 3, 8, 10)) == [
        (utc(2026, 3, 8, 5, 15), None),  # 00:15 EST
        (utc(2026, 3, 8, 8, 15), None),  # 04:15 EDT
    ]


# ---------------------------------------------------------------------------- DST: London


def test_london_gap_and_overlap():
    # 2026-03-29: 01:00 GMT -> 02:00 BST (01:00Z); 2026-10-25: 02:00 BST -> 01:00 GMT (01:00Z)
    assert fires("30 1 * * *", LONDON, utc(2026, 3, 28, 12), utc(2026, 3, 30, 12)) == [
        (utc(2026, 3, 29, 1, 0), GAP),  # 02:00 BST
        (utc(2026, 3, 30, 0, 30), None),  # 01:30 BST
    ]
    assert fires("30 1 * * *", LONDON, utc(2026, 10, 24, 12), utc(2026, 10, 26, 12)) == [
        (utc(2026, 10, 25, 0, 30), REPEATED),  # 01:30 BST, first pass
        (utc(2026, 10, 26, 1, 30), None),
    ]
    assert fires("30 * * * *", LONDON, utc(2026, 10, 24, 23), utc(2026, 10, 25, 2)) == [
        (utc(2026, 10, 24, 23, 30), None),  # 00:30 BST
        (utc(2026, 10, 25, 0, 30), REPEATED),  # 01:30 BST
        (utc(2026, 10, 25, 1, 30), REPEATED),  # 01:30 GMT
    ]


# ---------------------------------------------------------------------------- DST: Lord Howe (30 min)


def test_lord_howe_half_hour_gap():
    # 2026-10-04: 02:00 +10:30 -> 02:30 +11 (15:30Z on the 3rd)
    assert fires("15 2 * * *", LORD_HOWE, utc(2026, 10, 3, 12), utc(2026, 10, 4, 12)) == [
        (utc(2026, 10, 3, 15, 30), GAP)  # 02:30 +11
    ]
    assert fires("15,45 2 * * *", LORD_HOWE, utc(2026, 10, 3, 12), utc(2026, 10, 4, 12)) == [
        (utc(2026, 10, 3, 15, 30), GAP),
        (utc(2026, 10, 3, 15, 45), None),  # 02:45 +11 is real
    ]
    # a wildcard job skips 02:00 and 02:15
    assert fires("*/15 2 * * *", LORD_HOWE, utc(2026, 10, 3, 12), utc(2026, 10, 4, 12)) == [
        (utc(2026, 10, 3, 15, 30), None), (utc(2026, 10, 3, 15, 45), None)
    ]


def test_lord_howe_half_hour_overlap():
    # 2026-04-05: 02:00 +11 -> 01:30 +10:30 (15:00Z on the 4th): 01:30-02:00 happens twice
    assert fires("45 1 * * *", LORD_HOWE, utc(2026, 4, 4, 12), utc(2026, 4, 4, 16)) == [
        (utc(2026, 4, 4, 14, 45), REPEATED)  # 01:45 +11
    ]
    assert fires("*/15 1 * * *", LORD_HOWE, utc(2026, 4, 4, 12), utc(2026, 4, 4, 16)) == [
        (utc(2026, 4, 4, 14, 0), None),  # 01:00 +11
        (utc(2026, 4, 4, 14, 15), None),  # 01:15 +11
        (utc(2026, 4, 4, 14, 30), REPEATED),  # 01:30 +11
        (utc(2026, 4, 4, 14, 45), REPEATED),  # 01:45 +11
        (utc(2026, 4, 4, 15, 0), REPEATED),  # 01:30 +10:30
        (utc(2026, 4, 4, 15, 15), REPEATED),  # 01:45 +10:30
    ]


# ---------------------------------------------------------------------------- DST: Santiago (midnight)


def test_santiago_gap_at_midnight():
    # 2026-09-06: 00:00 -04 -> 01:00 -03 (04:00Z): midnight does not exist
    assert fires("0 0 * * *", SANTIAGO, utc(2026, 9, 5), utc(2026, 9, 7, 5)) == [
        (utc(2026, 9, 5, 4, 0), None),  # 00:00 -04
        (utc(2026, 9, 6, 4, 0), GAP),  # 01:00 -03
        (utc(2026, 9, 7, 3, 0), None),  # 00:00 -03
    ]
    assert fires("0 * * * *", SANTIAGO, utc(2026, 9, 6, 2), utc(2026, 9, 6, 5)) == [
        (utc(2026, 9, 6, 3, 0), None),  # 23:00 -04 on the 5th
        (utc(2026, 9, 6, 4, 0), None),  # 01:00 -03 (00:00 skipped)
        (utc(2026, 9, 6, 5, 0), None),
    ]


def test_santiago_overlap_before_midnight():
    # 2026-04-05 00:00 -03 -> 2026-04-04 23:00 -04 (03:00Z): 23:00-24:00 on the 4th twice
    assert fires("30 23 * * *", SANTIAGO, utc(2026, 4, 4, 12), utc(2026, 4, 6, 12)) == [
        (utc(2026, 4, 5, 2, 30), REPEATED),  # 23:30 -03, first pass
        (utc(2026, 4, 6, 3, 30), None),
    ]
    assert fires("30 * * * *", SANTIAGO, utc(2026, 4, 5, 1), utc(2026, 4, 5, 5)) == [
        (utc(2026, 4, 5, 1, 30), None),  # 22:30 -03
        (utc(2026, 4, 5, 2, 30), REPEATED),  # 23:30 -03
        (utc(2026, 4, 5, 3, 30), REPEATED),  # 23:30 -04
        (utc(2026, 4, 5, 4, 30), None),  # 00:30 -04 on the 5th
    ]


def test_fires_are_increasing_and_unique_across_transitions():
    for tz in (NEW_YORK, LONDON, LORD_HOWE, SANTIAGO):
        got = [f.at for f in cron_fires(parse_cron("*/10 * * * *"), tz, utc(2026, 1, 1), until=utc(2027, 1, 1))]
        assert got == sorted(set(got))
