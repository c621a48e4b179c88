"""One-shot timing: time zones, strict timestamps, DST resolution and the exactly-one rule."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from belltower.domain.errors import InvalidRequest, Unprocessable
from belltower.domain.timing import (
    TIMING_FIELDS,
    NotOneShot,
    OneShotTiming,
    format_local,
    format_utc,
    load_timezone,
    parse_fire_at,
    parse_local_datetime,
    parse_rfc3339,
    resolve_local,
    resolve_one_shot,
)

UTC = timezone.utc
NOW = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ---------------------------------------------------------------------------- load_timezone


@pytest.mark.parametrize(
    "name", ["UTC", "America/New_York", "Australia/Lord_Howe", "America/Argentina/Buenos_Aires", "Etc/GMT+5"]
)
def test_iana_names_load(name):
    assert load_timezone(name).key == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        None,
        5,
        ["UTC"],
        "../etc/passwd",
        "/usr/share/zoneinfo/UTC",
        "America/../UTC",
        "Mars/Olympus_Mons",
        "America",
        "localtime",
        "posixrules",
        "right/UTC",
        "posix/UTC",
        "zone.tab",
        "America/New York",
        "UTC\x00",
        "utc ",
    ],
)
def test_anything_but_an_iana_name_is_invalid_timezone(name):
    with pytest.raises(InvalidRequest) as err:
        load_timezone(name)
    assert err.value.code == "invalid_timezone"
    assert err.value.param == "timezone"
    assert err.value.status == 400


def test_load_timezone_reports_the_given_param():
    with pytest.raises(InvalidRequest) as err:
        load_timezone("Nowhere/City", param="schedules[0].timezone")
    assert err.value.param == "schedules[0].timezone"


# ---------------------------------------------------------------------------- parse_rfc3339


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-05-01T10:00:00Z", utc(2026, 5, 1, 10, 0, 0)),
        ("2026-05-01t10:00:00z", utc(2026, 5, 1, 10, 0, 0)),
        ("2026-05-01T10:00:00.250+02:00", utc(2026, 5, 1, 8, 0, 0, 250000)),
        ("2026-05-01T10:00:00+05:30", utc(2026, 5, 1, 4, 30, 0)),
        ("2026-05-01T00:30:00-04:00", utc(2026, 5, 1, 4, 30, 0)),
        ("2026-05-01T10:00:00-00:00", utc(2026, 5, 1, 10, 0, 0)),
        ("2026-05-01T10:00:00.123456789Z", utc(2026, 5, 1, 10, 0, 0, 123456)),
        ("2028-02-29T23:59:59Z", utc(2028, 2, 29, 23, 59, 59)),
    ],
)
def test_strict_rfc3339_parses_to_utc(text, expected):
    parsed = parse_rfc3339(text, param="fire_at")
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "2026-05-01T10:00:00",  # no offset
        "2026-05-01",  # date only
        "2026-05-01 10:00:00Z",  # space separator
        "2026-05-01T10:00Z",  # no seconds
        "2026-13-01T10:00:00Z",
        "2026-02-30T10:00:00Z",
        "2026-05-01T24:00:00Z",
        "2026-05-01T10:60:00Z",
        "2026-05-01T23:59:60Z",  # leap second
        "2026-05-01T10:00:00+24:00",
        "2026-05-01T10:00:00+0200",
        "2026-05-01T10:00:00.Z",
        "2026-05-01T10:00:00.1234567890Z",
        "0000-01-01T00:00:00Z",
        "0001-01-01T00:00:00+01:00",  # before datetime.min once in UTC
        "9999-12-31T23:59:59-01:00",  # after datetime.max once in UTC
        "２０２６-05-01T10:00:00Z",
        " 2026-05-01T10:00:00Z",
        "2026-05-01T10:00:00Z\n",
        "",
    ],
)
def test_non_rfc3339_is_invalid_timestamp(text):
    with pytest.raises(InvalidRequest) as err:
        parse_rfc3339(text, param="fire_at")
    assert err.value.code == "invalid_timestamp"
    assert err.value.param == "fire_at"


# ---------------------------------------------------------------------------- parse_fire_at


def test_fire_at_accepts_unix_seconds():
    assert parse_fire_at(1777629600) == utc(2026, 5, 1, 10, 0, 0)
    assert parse_fire_at(1777629600.25) == utc(2026, 5, 1, 10, 0, 0, 250000)


def test_fire_at_accepts_rfc3339():
    assert parse_fire_at("2026-05-01T12:00:00+02:00") == utc(2026, 5, 1, 10, 0, 0)


@pytest.mark.parametrize("value", [True, None, "1777629600", float("nan"), float("inf"), 10**20, {"at": 1}])
def test_fire_at_rejects_other_values(value):
    with pytest.raises(InvalidRequest) as err:
        parse_fire_at(value)
    assert err.value.code == "invalid_timestamp"
    assert err.value.param == "fire_at"


# ---------------------------------------------------------------------------- parse_local_datetime


def test_local_datetime_with_and_without_seconds():
    assert parse_local_datetime("2026-07-01T09:00") == datetime(2026, 7, 1, 9, 0)
    assert parse_local_datetime("2026-07-01T09:00:30") == datetime(2026, 7, 1, 9, 0, 30)


@pytest.mark.parametrize(
    "text",
    ["2026-07-01T09:00:00Z", "2026-07-01T09:00:00+02:00", "2026-07-01T09:00-05:00", "2026-07-01T09:00:00.000Z"],
)
def test_local_datetime_with_an_offset_points_to_fire_at(text):
    with pytest.raises(InvalidRequest) as err:
        parse_local_datetime(text)
    assert err.value.code == "invalid_timestamp"
    assert err.value.param == "local_fire_at"
    assert "fire_at instead" in err.value.message


@pytest.mark.parametrize(
    "text",
    ["2026-07-01", "2026-07-01 09:00", "2026-07-01T9:00", "2026-07-01T09:00:00.5", "2026-02-30T09:00", 20260701, None],
)
def test_malformed_local_datetime_is_invalid_timestamp(text):
    with pytest.raises(InvalidRequest) as err:
        parse_local_datetime(text)
    assert err.value.code == "invalid_timestamp"
    assert "fire_at instead" not in err.value.message


# ---------------------------------------------------------------------------- resolve_local


@pytest.mark.parametrize(
    ("zone", "wall", "expected_utc", "dst"),
    [
        # ordinary times
        ("America/New_York", "2026-07-01T09:00", "2026-07-01T13:00:00Z", None),
        ("America/New_York", "2026-01-15T09:00", "2026-01-15T14:00:00Z", None),
        ("UTC", "2026-03-08T02:30", "2026-03-08T02:30:00Z", None),
        # spring-forward gaps → end of the gap
        ("America/New_York", "2026-03-08T02:30", "2026-03-08T07:00:00Z", "shifted_from_gap"),
        ("America/New_York", "2026-03-08T02:00", "2026-03-08T07:00:00Z", "shifted_from_gap"),
        ("America/New_York", "2026-03-08T02:59:59", "2026-03-08T07:00:00Z", "shifted_from_gap"),
        ("Europe/London", "2026-03-29T01:30", "2026-03-29T01:00:00Z", "shifted_from_gap"),
        ("America/Santiago", "2026-09-06T00:30", "2026-09-06T04:00:00Z", "shifted_from_gap"),
        ("Australia/Lord_Howe", "2026-10-04T02:15", "2026-10-03T15:30:00Z", "shifted_from_gap"),
        ("Pacific/Apia", "2011-12-30T12:00", "2011-12-30T10:00:00Z", "shifted_from_gap"),  # a skipped day
        # fall-back overlaps → first occurrence
        ("America/New_York", "2026-11-01T01:30", "2026-11-01T05:30:00Z", "repeated_hour"),
        ("Europe/London", "2026-10-25T01:30", "2026-10-25T00:30:00Z", "repeated_hour"),
        ("America/Santiago", "2026-04-04T23:30", "2026-04-05T02:30:00Z", "repeated_hour"),
        ("Australia/Lord_Howe", "2026-04-05T01:45", "2026-04-04T14:45:00Z", "repeated_hour"),
        # just outside the transitions
        ("America/New_York", "2026-03-08T03:00", "2026-03-08T07:00:00Z", None),
        ("America/New_York", "2026-03-08T01:59:59", "2026-03-08T06:59:59Z", None),
        ("America/New_York", "2026-11-01T02:00", "2026-11-01T07:00:00Z", None),
    ],
)
def test_resolve_local_maps_wall_time_to_instant_and_dst_mark(zone, wall, expected_utc, dst):
    instant, mark = resolve_local(parse_local_datetime(wall), ZoneInfo(zone))
    assert format_utc(instant) == expected_utc
    assert mark == dst


def test_a_gap_resolves_to_the_first_valid_wall_time():
    # Given 02:30 on New York's spring-forward day, Then the instant reads 03:00 EDT locally.
    tz = ZoneInfo("America/New_York")
    instant, _ = resolve_local(datetime(2026, 3, 8, 2, 30), tz)
    assert format_local(instant, tz) == "2026-03-08T03:00:00-04:00"


def test_lord_howe_gap_ends_half_an_hour_later():
    tz = ZoneInfo("Australia/Lord_Howe")
    instant, _ = resolve_local(datetime(2026, 10, 4, 2, 0), tz)
    assert format_local(instant, tz) == "2026-10-04T02:30:00+11:00"


def test_resolve_local_rejects_aware_datetimes():
    with pytest.raises(ValueError):
        resolve_local(NOW, ZoneInfo("UTC"))


# ---------------------------------------------------------------------------- formatting


def test_format_utc_seconds_and_milliseconds():
    assert format_utc(utc(2026, 5, 1, 10, 0, 0)) == "2026-05-01T10:00:00Z"
    assert format_utc(utc(2026, 5, 1, 10, 0, 0, 250000)) == "2026-05-01T10:00:00.250Z"
    assert format_utc(utc(2026, 5, 1, 10, 0, 0, 999)) == "2026-05-01T10:00:00Z"  # sub-ms truncated
    assert format_utc(utc(2026, 5, 1, 10, 0, 0, 1999)) == "2026-05-01T10:00:00.001Z"


def test_format_utc_converts_other_offsets():
    tokyo = datetime(2026, 5, 1, 19, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert format_utc(tokyo) == "2026-05-01T10:00:00Z"


def test_format_utc_zero_pads_early_years():
    assert format_utc(utc(999, 1, 2, 3, 4, 5)) == "0999-01-02T03:04:05Z"


def test_format_utc_requires_an_aware_datetime():
    with pytest.raises(ValueError):
        format_utc(datetime(2026, 5, 1))


def test_format_local_uses_the_zones_offset_at_that_instant():
    assert format_local(utc(2026, 7, 1, 13, 0), ZoneInfo("America/New_York")) == "2026-07-01T09:00:00-04:00"
    assert format_local(utc(2026, 1, 1, 14, 0), ZoneInfo("America/New_York")) == "2026-01-01T09:00:00-05:00"
    assert format_local(utc(2026, 5, 1, 4, 30), ZoneInfo("Asia/Kolkata")) == "2026-05-01T10:00:00+05:30"
    assert format_local(utc(2026, 5, 1, 10, 0, 0, 250000), ZoneInfo("UTC")) == "2026-05-01T10:00:00.250+00:00"


def test_parse_then_format_round_trips():
    text = "2026-05-01T10:00:00.250Z"
    assert format_utc(parse_rfc3339(text, param="fire_at")) == text


# ---------------------------------------------------------------------------- resolve_one_shot


def test_timing_fields_constant():
    assert TIMING_FIELDS == ("delay", "fire_at", "local_fire_at", "cron", "every")


def test_delay_resolves_to_now_plus_delay():
    # Given a 90-second delay, When resolved, Then it fires 90 s after now, in UTC.
    timing = resolve_one_shot({"delay": "90s"}, NOW)
    assert timing == OneShotTiming(fire_at=utc(2026, 1, 15, 12, 1, 30), timezone="UTC", dst=None)
    assert timing.fire_at.tzinfo is UTC


@pytest.mark.parametrize("delay", [3600, [1, "hour"], "1h", "60m"])
def test_delay_accepts_every_duration_form(delay):
    assert resolve_one_shot({"delay": delay}, NOW).fire_at == utc(2026, 1, 15, 13, 0)


def test_delay_of_exactly_one_second_is_allowed():
    assert resolve_one_shot({"delay": "1s"}, NOW).fire_at == utc(2026, 1, 15, 12, 0, 1)


@pytest.mark.parametrize("delay", ["999ms", 0, 0.5, "0s"])
def test_delay_under_one_second_is_sub_floor(delay):
    with pytest.raises(Unprocessable) as err:
        resolve_one_shot({"delay": delay}, NOW)
    assert err.value.code == "sub_floor_delay"
    assert err.value.param == "delay"
    assert err.value.status == 422


def test_malformed_delay_is_invalid_duration():
    with pytest.raises(InvalidRequest) as err:
        resolve_one_shot({"delay": "tomorrow"}, NOW)
    assert err.value.code == "invalid_duration"
    assert err.value.param == "delay"


def test_delay_beyond_ten_years_is_too_far():
    with pytest.raises(Unprocessable) as err:
        resolve_one_shot({"delay": [3653, "days"]}, NOW)
    assert err.value.code == "fire_at_too_far"
    assert err.value.param == "delay"


def test_fire_at_in_the_future_is_kept():
    timing = resolve_one_shot({"fire_at": "2026-07-01T09:00:00Z"}, NOW)
    assert timing == OneShotTiming(utc(2026, 7, 1, 9, 0), "UTC", None)


def test_fire_at_as_unix_seconds():
    assert resolve_one_shot({"fire_at": 1777629600}, NOW).fire_at == utc(2026, 5, 1, 10, 0)


@pytest.mark.parametrize("fire_at", ["2026-01-15T12:00:00Z", "2026-01-15T11:59:59Z", "2020-01-01T00:00:00Z"])
def test_fire_at_now_or_earlier_is_in_the_past(fire_at):
    with pytest.raises(Unprocessable) as err:
        resolve_one_shot({"fire_at": fire_at}, NOW)
    assert err.value.code == "fire_at_in_past"
    assert err.value.param == "fire_at"


def test_fire_at_ten_years_out_is_the_limit():
    # Given now + 3652 days exactly, Then it is accepted; one second later is too far.
    limit = NOW + timedelta(days=3652)
    assert resolve_one_shot({"fire_at": format_utc(limit)}, NOW).fire_at == limit
    with pytest.raises(Unprocessable) as err:
        resolve_one_shot({"fire_at": format_utc(limit + timedelta(seconds=1))}, NOW)
    assert err.value.code == "fire_at_too_far"
    assert err.value.param == "fire_at"


def test_bare_wall_time_is_not_a_fire_at():
    with pytest.raises(InvalidRequest) as err:
        resolve_one_shot({"fire_at": "2026-07-01T09:00:00"}, NOW)
    assert err.value.code == "invalid_timestamp"


def test_local_fire_at_in_a_zone():
    body = {"local_fire_at": "2026-07-01T09:00:00", "timezone": "America/New_York"}
    assert resolve_one_shot(body, NOW) == OneShotTiming(utc(2026, 7, 1, 13, 0), "America/New_York", None)


def test_local_fire_at_defaults_to_utc():
    assert resolve_one_shot({"local_fire_at": "2026-07-01T09:00"}, NOW) == OneShotTiming(
        utc(2026, 7, 1, 9, 0), "UTC", None
    )


def test_local_fire_at_reports_the_dst_mark():
    gap = resolve_one_shot({"local_fire_at": "2026-03-08T02:30", "timezone": "America/New_York"}, NOW)
    assert gap == OneShotTiming(utc(2026, 3, 8, 7, 0), "America/New_York", "shifted_from_gap")
    overlap = resolve_one_shot({"local_fire_at": "2026-11-01T01:30", "timezone": "America/New_York"}, NOW)
    assert overlap == OneShotTiming(utc(2026, 11, 1, 5, 30), "America/New_York", "repeated_hour")


def test_local_fire_at_in_the_past():
    with pytest.raises(Unprocessable) as err:
        resolve_one_shot({"local_fire_at": "2026-01-15T06:59", "timezone": "America/New_York"}, NOW)
    assert err.value.code == "fire_at_in_past"
    assert err.value.param == "local_fire_at"


def test_local_fire_at_too_far():
    with pytest.raises(Unprocessable) as err:
        resolve_one_shot({"local_fire_at": "2040-01-01T00:00"}, NOW)
    assert err.value.code == "fire_at_too_far"
    assert err.value.param == "local_fire_at"


def test_timezone_does_not_change_delay_or_fire_at():
    assert resolve_one_shot({"delay": "1h", "timezone": "Asia/Tokyo"}, NOW) == OneShotTiming(
        utc(2026, 1, 15, 13, 0), "Asia/Tokyo", None
    )
    assert resolve_one_shot({"fire_at": "2026-07-01T09:00:00Z", "timezone": "Asia/Tokyo"}, NOW).fire_at == utc(
        2026, 7, 1, 9, 0
    )


def test_timezone_is_validated_even_when_unused():
    with pytest.raises(InvalidRequest) as err:
        resolve_one_shot({"delay": "1h", "timezone": "Not/AZone"}, NOW)
    assert err.value.code == "invalid_timezone"


@pytest.mark.parametrize("body", [{}, {"delay": None}, {"timezone": "UTC"}, {"fire_at": None, "cron": None}])
def test_no_timing_is_missing_timing(body):
    with pytest.raises(Unprocessable) as err:
        resolve_one_shot(body, NOW)
    assert err.value.code == "missing_timing"
    assert err.value.param is None
    assert err.value.status == 422


@pytest.mark.parametrize(
    "body",
    [
        {"delay": "1h", "fire_at": "2026-07-01T09:00:00Z"},
        {"fire_at": "2026-07-01T09:00:00Z", "local_fire_at": "2026-07-01T09:00"},
        {"delay": "1h", "cron": "0 9 * * *"},
        {"cron": "0 9 * * *", "every": "1h"},
    ],
)
def test_two_timing_fields_are_multiple_timing(body):
    with pytest.raises(InvalidRequest) as err:
        resolve_one_shot(body, NOW)
    assert err.value.code == "multiple_timing"
    assert err.value.status == 400


def test_a_none_field_next_to_a_real_one_is_not_multiple():
    assert resolve_one_shot({"delay": "1h", "fire_at": None}, NOW).fire_at == utc(2026, 1, 15, 13, 0)


@pytest.mark.parametrize(("field", "value"), [("cron", "0 9 * * *"), ("every", "1h")])
def test_recurring_fields_raise_not_one_shot(field, value):
    with pytest.raises(NotOneShot) as err:
        resolve_one_shot({field: value, "timezone": "Europe/Paris"}, NOW)
    assert err.value.field == field
    assert not isinstance(err.value, InvalidRequest)


def test_now_converted_from_another_offset_gives_utc_results():
    now_tokyo = NOW.astimezone(ZoneInfo("Asia/Tokyo"))
    timing = resolve_one_shot({"delay": "1h"}, now_tokyo)
    assert timing.fire_at == utc(2026, 1, 15, 13, 0)
    assert timing.fire_at.tzinfo is UTC


def test_naive_now_is_a_programming_error():
    with pytest.raises(ValueError):
        resolve_one_shot({"delay": "1h"}, datetime(2026, 1, 15, 12, 0))
