"""Durations: the Go string, seconds and [n, "unit"] forms, and the compact response spelling."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from belltower.domain.durations import MAX_DURATION, format_duration, parse_duration
from belltower.domain.errors import InvalidRequest


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1.5h", timedelta(hours=1, minutes=30)),
        ("2h45m30s", timedelta(hours=2, minutes=45, seconds=30)),
        ("300ms", timedelta(milliseconds=300)),
        ("1m0.5s", timedelta(minutes=1, milliseconds=500)),
        ("+24h", timedelta(hours=24)),
        ("0", timedelta(0)),
        ("0s", timedelta(0)),
        (".5s", timedelta(milliseconds=500)),
        ("5.s", timedelta(seconds=5)),
        ("1500us", timedelta(microseconds=1500)),
        ("1500\u00b5s", timedelta(microseconds=1500)),
        ("1500\u03bcs", timedelta(microseconds=1500)),
        ("2000ns", timedelta(microseconds=2)),
        ("1h1h", timedelta(hours=2)),
        ("0.1s", timedelta(milliseconds=100)),
    ],
)
def test_go_duration_strings_parse_to_exact_timedeltas(text, expected):
    assert parse_duration(text, param="delay") == expected


def test_nanoseconds_round_to_the_nearest_microsecond():
    assert parse_duration("1499ns", param="delay") == timedelta(microseconds=1)
    assert parse_duration("1500ns", param="delay") == timedelta(microseconds=2)


@pytest.mark.parametrize(
    "text",
    ["", "90", "-5s", "1d", "1 h", " 1h", "1h ", "h", ".s", "1.5", "1hh", "1H", "1e3s", "١s", "+", "+-1s", "1h-1m"],
)
def test_malformed_go_strings_are_invalid_duration(text):
    with pytest.raises(InvalidRequest) as err:
        parse_duration(text, param="delay")
    assert err.value.code == "invalid_duration"
    assert err.value.param == "delay"
    assert err.value.status == 400


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (90, timedelta(seconds=90)),
        (0, timedelta(0)),
        (1.5, timedelta(seconds=1, milliseconds=500)),
        (0.25, timedelta(milliseconds=250)),
    ],
)
def test_numbers_are_seconds(value, expected):
    assert parse_duration(value, param="delay") == expected


@pytest.mark.parametrize("value", [True, False, -1, -0.5, math.nan, math.inf, -math.inf, 10**30])
def test_bad_numbers_are_invalid_duration(value):
    with pytest.raises(InvalidRequest) as err:
        parse_duration(value, param="every")
    assert err.value.code == "invalid_duration"
    assert err.value.param == "every"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([30, "seconds"], timedelta(seconds=30)),
        ([1, "second"], timedelta(seconds=1)),
        ([5, "minutes"], timedelta(minutes=5)),
        ([1, "minute"], timedelta(minutes=1)),
        ([2, "hours"], timedelta(hours=2)),
        ([1.5, "hour"], timedelta(minutes=90)),
        ([3, "days"], timedelta(days=3)),
        ([1, "day"], timedelta(days=1)),
        ([2, "weeks"], timedelta(weeks=2)),
        ([1, "week"], timedelta(weeks=1)),
        ([0, "seconds"], timedelta(0)),
        ((1, "Hours"), timedelta(hours=1)),
    ],
)
def test_number_unit_pairs(value, expected):
    assert parse_duration(value, param="delay") == expected


@pytest.mark.parametrize(
    "value",
    [
        [],
        [1],
        [1, "hours", 2],
        ["1", "hours"],
        [True, "hours"],
        [-1, "hours"],
        [math.nan, "hours"],
        [1, "fortnights"],
        [1, "h"],
        [1, 2],
        [1, "s"],
    ],
)
def test_bad_pairs_are_invalid_duration(value):
    with pytest.raises(InvalidRequest) as err:
        parse_duration(value, param="delay")
    assert err.value.code == "invalid_duration"


@pytest.mark.parametrize("value", [None, {"seconds": 5}, b"5s", object()])
def test_other_types_are_invalid_duration(value):
    with pytest.raises(InvalidRequest) as err:
        parse_duration(value, param="ttl")
    assert err.value.code == "invalid_duration"
    assert err.value.param == "ttl"


def test_the_error_message_names_the_accepted_forms():
    with pytest.raises(InvalidRequest) as err:
        parse_duration("soon", param="delay")
    message = err.value.message
    assert "Go duration" in message
    assert "number of seconds" in message
    assert '[n, "unit"]' in message


def test_minimums_are_not_enforced_here():
    # Given a sub-second delay, When parsed, Then it is returned as is (callers apply floors).
    assert parse_duration("1ms", param="delay") == timedelta(milliseconds=1)


def test_durations_longer_than_gos_maximum_are_rejected():
    assert parse_duration("2562047h", param="delay") == timedelta(hours=2562047)
    with pytest.raises(InvalidRequest):
        parse_duration("2562048h", param="delay")
    with pytest.raises(InvalidRequest):
        parse_duration([20000, "weeks"], param="delay")


@pytest.mark.parametrize(
    ("td", "text"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=30), "30s"),
        (timedelta(hours=1), "1h"),
        (timedelta(hours=1, minutes=30), "1h30m"),
        (timedelta(minutes=1, milliseconds=500), "1m0.5s"),
        (timedelta(hours=2, minutes=45, seconds=30), "2h45m30s"),
        (timedelta(hours=1, seconds=5), "1h5s"),
        (timedelta(days=1), "24h"),
        (timedelta(milliseconds=300), "300ms"),
        (timedelta(microseconds=1500), "1.5ms"),
        (timedelta(microseconds=250), "250us"),
        (timedelta(seconds=1, microseconds=1), "1.000001s"),
        (timedelta(seconds=-90), "-1m30s"),
    ],
)
def test_format_duration_is_compact(td, text):
    assert format_duration(td) == text


@given(st.timedeltas(min_value=timedelta(0), max_value=MAX_DURATION))
def test_format_then_parse_round_trips(td):
    assert parse_duration(format_duration(td), param="x") == td
