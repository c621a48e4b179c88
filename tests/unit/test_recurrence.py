"""Recurrence: fire times within bounds, the delivery check, previews, the EventBridge plan and
the fix-ups (fires EventBridge misses), and parsing the request fields."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from belltower.domain.cron import Fire, parse_cron
from belltower.domain.errors import InvalidRequest, Unprocessable
from belltower.domain.expressions import validate_expression
from belltower.domain.recurrence import Plan, Recurrence, parse_recurrence

UTC = timezone.utc
NOW = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def cron(text: str, zone: str = "UTC", **bounds) -> Recurrence:
    return Recurrence(parse_cron(text), None, zone, NOW, bounds.get("start_at"), bounds.get("end_at"))


def every(interval: timedelta, anchor: datetime, **bounds) -> Recurrence:
    return Recurrence(None, interval, bounds.pop("zone", "UTC"), anchor, bounds.get("start_at"), bounds.get("end_at"))


# ---------------------------------------------------------------------------- construction


def test_exactly_one_of_cron_and_every():
    with pytest.raises(ValueError):
        Recurrence(None, None, "UTC", NOW)
    with pytest.raises(ValueError):
        Recurrence(parse_cron("* * * * *"), timedelta(minutes=5), "UTC", NOW)


def test_naive_datetimes_are_rejected():
    with pytest.raises(ValueError):
        Recurrence(None, timedelta(minutes=5), "UTC", datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        cron("* * * * *").fires(datetime(2026, 1, 1), limit=1)


def test_datetimes_are_stored_in_utc():
    plus_two = timezone(timedelta(hours=2))
    recurrence = every(timedelta(hours=1), datetime(2026, 1, 1, 12, tzinfo=plus_two))
    assert recurrence.anchor == utc(2026, 1, 1, 10) and recurrence.anchor.tzinfo is UTC


# ---------------------------------------------------------------------------- fires and bounds


def test_cron_fires_respect_start_and_inclusive_end():
    recurrence = cron("0 * * * *", start_at=utc(2026, 2, 1, 10), end_at=utc(2026, 2, 1, 13))
    got = recurrence.fires(utc(2026, 1, 1), limit=10)
    assert [f.at for f in got] == [utc(2026, 2, 1, h) for h in (10, 11, 12, 13)]


def test_fires_limit_and_until():
    recurrence = cron("*/30 * * * *")
    assert [f.at for f in recurrence.fires(utc(2026, 2, 1), limit=2)] == [utc(2026, 2, 1, 0, 30), utc(2026, 2, 1, 1)]
    assert [f.at for f in recurrence.fires(utc(2026, 2, 1), until=utc(2026, 2, 1, 1))] == [
        utc(2026, 2, 1, 0, 30), utc(2026, 2, 1, 1)
    ]
    assert recurrence.fires(utc(2026, 2, 1), limit=0) == []
    with pytest.raises(ValueError):
        recurrence.fires(utc(2026, 2, 1))


def test_every_counts_from_the_anchor_in_absolute_time():
    # 24h in New York across the spring-forward: always 24 h apart in UTC
    recurrence = every(timedelta(hours=24), utc(2026, 3, 7, 12), zone="America/New_York")
    got = recurrence.fires(utc(2026, 3, 1), limit=3)
    assert got == [Fire(utc(2026, 3, 7, 12)), Fire(utc(2026, 3, 8, 12)), Fire(utc(2026, 3, 9, 12))]
    # strictly after `after`, on the grid
    assert recurrence.fires(utc(2026, 3, 8, 12), limit=1) == [Fire(utc(2026, 3, 9, 12))]
    assert recurrence.fires(utc(2026, 3, 8, 11), limit=1) == [Fire(utc(2026, 3, 8, 12))]


def test_every_with_start_and_end():
    recurrence = every(timedelta(minutes=90), utc(2026, 1, 1), start_at=utc(2026, 1, 1, 2), end_at=utc(2026, 1, 1, 6))
    assert [f.at for f in recurrence.fires(utc(2025, 1, 1), limit=10)] == [
        utc(2026, 1, 1, 3), utc(2026, 1, 1, 4, 30), utc(2026, 1, 1, 6)
    ]


# ---------------------------------------------------------------------------- is_due


def test_is_due_accepts_exactly_the_fire_times():
    recurrence = cron("30 2 * * *", "America/New_York", end_at=utc(2026, 12, 31))
    assert recurrence.is_due(utc(2026, 3, 7, 7, 30))
    assert recurrence.is_due(utc(2026, 3, 8, 7, 0))  # shifted out of the gap
    assert not recurrence.is_due(utc(2026, 3, 8, 7, 30))
    assert not recurrence.is_due(utc(2026, 3, 7, 7, 30, 1))
    assert not recurrence.is_due(utc(2027, 3, 7, 7, 30))  # past end_at


def test_is_due_drops_the_extra_days_of_the_and_case():
    # "0 0 */2 * 5" emits only the Friday expression: even-day Fridays are not due
    recurrence = cron("0 0 */2 * 5")
    assert recurrence.is_due(utc(2026, 5, 1))  # Friday the 1st
    assert not recurrence.is_due(utc(2026, 5, 8))  # Friday the 8th


def test_is_due_for_every():
    recurrence = every(timedelta(minutes=5), utc(2026, 1, 1, 0, 0, 30), start_at=utc(2026, 1, 1, 0, 10))
    assert recurrence.is_due(utc(2026, 1, 1, 0, 10, 30))
    assert not recurrence.is_due(utc(2026, 1, 1, 0, 5, 30))  # before start_at
    assert not recurrence.is_due(utc(2026, 1, 1, 0, 10))
    assert not recurrence.is_due(utc(2025, 12, 31, 23, 55, 30))  # before the anchor


def test_is_due_handles_both_passes_of_a_repeated_hour():
    recurrence = cron("*/30 * * * *", "America/New_York")
    assert recurrence.is_due(utc(2026, 11, 1, 5, 30))  # 01:30 EDT
    assert recurrence.is_due(utc(2026, 11, 1, 6, 30))  # 01:30 EST
    fixed = cron("30 1 * * *", "America/New_York")
    assert fixed.is_due(utc(2026, 11, 1, 5, 30))
    assert not fixed.is_due(utc(2026, 11, 1, 6, 30))  # a fixed job runs only on the first pass


# ---------------------------------------------------------------------------- preview


def test_preview_shape_and_inclusive_start():
    recurrence = cron("30 2 * * *", "America/New_York")
    runs = recurrence.preview(utc(2026, 3, 7, 7, 30), 3)
    assert runs == [
        {"at": "2026-03-07T07:30:00Z", "local": "2026-03-07T02:30:00-05:00", "dst": None},
        {"at": "2026-03-08T07:00:00Z", "local": "2026-03-08T03:00:00-04:00", "dst": "shifted_from_gap"},
        {"at": "2026-03-09T06:30:00Z", "local": "2026-03-09T02:30:00-04:00", "dst": None},
    ]


def test_preview_repeated_hour_in_lord_howe():
    recurrence = cron("*/15 1 * * *", "Australia/Lord_Howe")
    runs = recurrence.preview(utc(2026, 4, 4, 14, 30), 4)
    assert runs == [
        {"at": "2026-04-04T14:30:00Z", "local": "2026-04-05T01:30:00+11:00", "dst": "repeated_hour"},
        {"at": "2026-04-04T14:45:00Z", "local": "2026-04-05T01:45:00+11:00", "dst": "repeated_hour"},
        {"at": "2026-04-04T15:00:00Z", "local": "2026-04-05T01:30:00+10:30", "dst": "repeated_hour"},
        {"at": "2026-04-04T15:15:00Z", "local": "2026-04-05T01:45:00+10:30", "dst": "repeated_hour"},
    ]


def test_preview_of_every_and_of_an_ended_recurrence():
    recurrence = every(timedelta(minutes=90), utc(2026, 1, 1), zone="Europe/Berlin", end_at=utc(2026, 1, 1, 3))
    assert recurrence.preview(utc(2026, 1, 1), 5) == [
        {"at": "2026-01-01T00:00:00Z", "local": "2026-01-01T01:00:00+01:00", "dst": None},
        {"at": "2026-01-01T01:30:00Z", "local": "2026-01-01T02:30:00+01:00", "dst": None},
        {"at": "2026-01-01T03:00:00Z", "local": "2026-01-01T04:00:00+01:00", "dst": None},
    ]
    assert recurrence.preview(utc(2026, 2, 1), 5) == []


# ---------------------------------------------------------------------------- EventBridge plan


def test_plan_for_a_cron():
    recurrence = cron("30 4 1,15 * 5", "Europe/London", start_at=utc(2026, 2, 1), end_at=utc(2026, 6, 1))
    plan = recurrence.eventbridge_plan()
    assert plan == Plan(
        ["cron(30 4 1,15 * ? *)", "cron(30 4 ? * FRI *)"],
        utc(2026, 2, 1),
        utc(2026, 6, 1, 0, 1),
        chain=False,
        timezone="Europe/London",
    )
    assert all(validate_expression(e) == e for e in plan.expressions)


@pytest.mark.parametrize(
    ("interval", "expression"),
    [
        (timedelta(minutes=1), "rate(1 minute)"),
        (timedelta(minutes=15), "rate(15 minutes)"),
        (timedelta(minutes=120), "rate(2 hours)"),
        (timedelta(minutes=1440), "rate(1 day)"),
    ],
)
def test_plan_for_whole_minute_every_is_a_rate_from_the_first_fire(interval, expression):
    plan = every(interval, utc(2026, 1, 1, 0, 0, 30)).eventbridge_plan()
    assert plan == Plan([expression], utc(2026, 1, 1, 0, 0, 30), None, chain=False, timezone="UTC")


def test_rate_start_date_moves_to_the_first_grid_point_after_start_at():
    recurrence = every(timedelta(hours=1), utc(2026, 1, 1), start_at=utc(2026, 1, 1, 5, 20))
    assert recurrence.eventbridge_plan().start_date == utc(2026, 1, 1, 6)
    assert recurrence.fires(utc(2025, 1, 1), limit=1)[0].at == utc(2026, 1, 1, 6)


def test_plan_for_sub_minute_every_is_a_chain():
    recurrence = every(timedelta(seconds=90), utc(2026, 1, 1), end_at=utc(2026, 1, 1, 1))
    plan = recurrence.eventbridge_plan()
    assert plan == Plan([], utc(2026, 1, 1), utc(2026, 1, 1, 1, 1), chain=True, timezone="UTC")
    # every fire of the window is a fix-up (one-time at() schedules)
    assert recurrence.fixups(utc(2026, 1, 1), utc(2026, 1, 1, 0, 5)) == [
        utc(2026, 1, 1, 0, 1, 30), utc(2026, 1, 1, 0, 3), utc(2026, 1, 1, 0, 4, 30)
    ]


def test_rate_plans_need_no_fixups():
    recurrence = every(timedelta(hours=1), utc(2026, 3, 7), zone="America/New_York")
    assert recurrence.fixups(utc(2026, 3, 7), utc(2026, 3, 10)) == []


# ---------------------------------------------------------------------------- fix-ups


def test_fixups_fixed_job_gap_fire():
    recurrence = cron("30 2 * * *", "America/New_York")
    assert recurrence.fixups(utc(2026, 1, 1), utc(2027, 1, 1)) == [utc(2026, 3, 8, 7, 0)]


def test_fixups_none_when_the_gap_fire_merges_with_a_real_one():
    recurrence = cron("0,30 1-3 * * *", "America/New_York")
    assert recurrence.fixups(utc(2026, 1, 1), utc(2027, 1, 1)) == []


def test_fixups_fixed_job_overlap_needs_none():
    recurrence = cron("30 1 * * *", "America/New_York")
    assert recurrence.fixups(utc(2026, 1, 1), utc(2027, 1, 1)) == []


def test_fixups_wildcard_job_second_pass():
    recurrence = cron("*/30 * * * *", "America/New_York")
    assert recurrence.fixups(utc(2026, 1, 1), utc(2027, 1, 1)) == [utc(2026, 11, 1, 6, 0), utc(2026, 11, 1, 6, 30)]


def test_fixups_lord_howe_and_santiago():
    assert cron("15 2 * * *", "Australia/Lord_Howe").fixups(utc(2026, 1, 1), utc(2027, 1, 1)) == [
        utc(2026, 10, 3, 15, 30)
    ]
    assert cron("0 0 * * *", "America/Santiago").fixups(utc(2026, 1, 1), utc(2027, 1, 1)) == [
        utc(2026, 9, 6, 4, 0)
    ]
    assert cron("30 * * * *", "America/Santiago").fixups(utc(2026, 1, 1), utc(2027, 1, 1)) == [
        utc(2026, 4, 5, 3, 30)
    ]


def test_fixups_window_is_half_open_and_bounded():
    recurrence = cron("30 2 * * *", "America/New_York", end_at=utc(2026, 3, 8, 6))
    assert recurrence.fixups(utc(2026, 1, 1), utc(2027, 1, 1)) == []  # the gap fire is after end_at
    recurrence = cron("30 2 * * *", "America/New_York")
    assert recurrence.fixups(utc(2026, 3, 8, 7), utc(2026, 3, 9)) == []
    assert recurrence.fixups(utc(2026, 3, 8, 6), utc(2026, 3, 8, 7)) == [utc(2026, 3, 8, 7)]


# ---------------------------------------------------------------------------- parse_recurrence


def test_parse_cron_with_defaults():
    recurrence = parse_recurrence({"cron": "0 9 * * MON-FRI"}, NOW)
    assert recurrence.cron is not None and recurrence.cron.text == "0 9 * * MON-FRI"
    assert (recurrence.every, recurrence.timezone, recurrence.start_at, recurrence.end_at) == (None, "UTC", None, None)


def test_parse_every_forms_and_anchor():
    for value in ("5m", 300, [5, "minutes"]):
        recurrence = parse_recurrence({"every": value, "timezone": "Europe/Paris"}, NOW)
        assert recurrence.every == timedelta(minutes=5)
        assert recurrence.anchor == NOW + timedelta(minutes=5)  # first fire one interval after creation
        assert recurrence.timezone == "Europe/Paris"
    started = parse_recurrence({"every": "1h", "start_at": "2026-02-01T10:00:00.250Z"}, NOW)
    assert started.anchor == utc(2026, 2, 1, 10, 0, 1)  # rounded up to a whole second
    assert started.start_at == datetime(2026, 2, 1, 10, 0, 0, 250000, tzinfo=UTC)
    fractional_now = NOW + timedelta(microseconds=1)
    assert parse_recurrence({"every": "1m"}, fractional_now).anchor == NOW + timedelta(seconds=61)


def test_parse_bounds():
    recurrence = parse_recurrence(
        {"cron": "@daily", "start_at": "2026-02-01T00:00:00+01:00", "end_at": "2026-03-01T00:00:00Z"}, NOW
    )
    assert recurrence.start_at == utc(2026, 1, 31, 23)
    assert recurrence.end_at == utc(2026, 3, 1)


@pytest.mark.parametrize(
    ("body", "error", "code", "param"),
    [
        ({"cron": "0 9 * * *", "every": "5m"}, InvalidRequest, "multiple_timing", None),
        ({}, Unprocessable, "missing_timing", None),
        ({"cron": "0 0 9 * * *"}, InvalidRequest, "invalid_cron", "cron"),
        ({"cron": 5}, InvalidRequest, "invalid_cron", "cron"),
        ({"every": "59s"}, Unprocessable, "interval_too_short", "every"),
        ({"every": 0}, Unprocessable, "interval_too_short", "every"),
        ({"every": "90.5s"}, InvalidRequest, "invalid_duration", "every"),
        ({"every": "soon"}, InvalidRequest, "invalid_duration", "every"),
        ({"every": "5m", "timezone": "Mars/Olympus"}, InvalidRequest, "invalid_timezone", "timezone"),
        ({"cron": "* * * * *", "start_at": "tomorrow"}, InvalidRequest, "invalid_timestamp", "start_at"),
        ({"cron": "* * * * *", "end_at": "2026-13-01T00:00:00Z"}, InvalidRequest, "invalid_timestamp", "end_at"),
        ({"cron": "* * * * *", "end_at": "2026-01-15T11:00:00Z"}, Unprocessable, "invalid_field", "end_at"),
        (
            {"cron": "* * * * *", "start_at": "2026-03-01T00:00:00Z", "end_at": "2026-03-01T00:00:00Z"},
            Unprocessable,
            "invalid_field",
            "end_at",
        ),
        (
            {"every": "1h", "start_at": "2026-03-02T00:00:00Z", "end_at": "2026-03-01T00:00:00Z"},
            Unprocessable,
            "invalid_field",
            "end_at",
        ),
    ],
)
def test_parse_errors(body, error, code, param):
    with pytest.raises(error) as caught:
        parse_recurrence(body, NOW)
    assert (caught.value.code, caught.value.param) == (code, param)
