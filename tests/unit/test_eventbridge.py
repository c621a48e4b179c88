"""EventBridge Scheduler translation: exact cron()/rate() strings, the grammar validator, and the
evaluators with AWS semantics (1 = SUNDAY, `?`, no Vixie OR, gap skipped, overlap once)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

import belltower.domain.cron as cron_module
from belltower.domain.cron import cron_fires, parse_cron
from belltower.domain.eventbridge import (
    aws_cron_expressions,
    aws_cron_fires,
    parse_aws_cron,
    parse_rate,
    rate_expression,
    rate_fires,
    validate_aws_cron,
)
from belltower.domain.expressions import InvalidExpression, validate_expression

UTC = timezone.utc
UTC_ZONE = ZoneInfo("UTC")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ---------------------------------------------------------------------------- Unix -> AWS


@pytest.mark.parametrize(
    ("unix", "expected"),
    [
        ("* * * * *", ["cron(* * * * ? *)"]),
        ("0 9 * * *", ["cron(0 9 * * ? *)"]),
        ("0 9 * * 1-5", ["cron(0 9 ? * MON-FRI *)"]),  # names, runs as ranges
        ("0 9 * * MON-FRI", ["cron(0 9 ? * MON-FRI *)"]),
        ("0 9 * * 1,3,5", ["cron(0 9 ? * MON,WED,FRI *)"]),
        ("0 9 * * 6,0", ["cron(0 9 ? * SUN,SAT *)"]),
        ("0 9 * * 7", ["cron(0 9 ? * SUN *)"]),
        ("0 0 * * 0-6", ["cron(0 0 * * ? *)"]),
        ("0 0 * * 5-7", ["cron(0 0 ? * SUN,FRI,SAT *)"]),  # wraps after mapping: split
        ("0 0 * * 5-7,0-1", ["cron(0 0 ? * SUN,MON,FRI,SAT *)"]),  # the Unix spelling of FRI-MON
        ("0 0 * * 4-7,0-1", ["cron(0 0 ? * SUN,MON,THU-SAT *)"]),
        ("*/10 * * * */2", ["cron(0/10 * ? * SUN,TUE,THU,SAT *)"]),  # dow step expanded
        ("0 0 * * 1-5/2", ["cron(0 0 ? * MON,WED,FRI *)"]),
        ("*/15 * * * *", ["cron(0/15 * * * ? *)"]),
        ("10/5 * * * *", ["cron(10/5 * * * ? *)"]),
        ("5-40/5 * * * *", ["cron(5,10,15,20,25,30,35,40 * * * ? *)"]),
        ("0,1,2,3,30 */6 * * *", ["cron(0-3,30 0/6 * * ? *)"]),
        ("0 9-17 * * *", ["cron(0 9-17 * * ? *)"]),
        ("0 8,20 * * *", ["cron(0 8,20 * * ? *)"]),
        ("0 0 1,15 * *", ["cron(0 0 1,15 * ? *)"]),
        ("0 0 */2 * *", ["cron(0 0 1/2 * ? *)"]),
        ("0 12 1 JAN,JUL *", ["cron(0 12 1 1,7 ? *)"]),
        ("0 12 1 */3 *", ["cron(0 12 1 1/3 ? *)"]),
        ("30 4 1,15 * 5", ["cron(30 4 1,15 * ? *)", "cron(30 4 ? * FRI *)"]),  # Vixie OR: two
        ("0 0 13 * FRI", ["cron(0 0 13 * ? *)", "cron(0 0 ? * FRI *)"]),
        ("0 0 1-31 * 5", ["cron(0 0 * * ? *)"]),  # OR with every day of the month: every day
        ("0 0 30 2 5", ["cron(0 0 ? 2 FRI *)"]),  # OR whose dom side never exists
        ("0 0 */2 * 5", ["cron(0 0 ? * FRI *)"]),  # AND: Fridays are rarer than odd days
        ("0 0 1-7 * */2", ["cron(0 0 1-7 * ? *)"]),  # AND: days 1-7 are rarer than 4 weekdays
        ("0 0 */10 * 1-5", ["cron(0 0 1/10 * ? *)"]),  # AND: 4 days/month vs ~21
        ("@hourly", ["cron(0 * * * ? *)"]),
        ("@daily", ["cron(0 0 * * ? *)"]),
        ("@weekly", ["cron(0 0 ? * SUN *)"]),
        ("@monthly", ["cron(0 0 1 * ? *)"]),
        ("@yearly", ["cron(0 0 1 1 ? *)"]),
    ],
)
def test_exact_expressions(unix, expected):
    expressions = aws_cron_expressions(parse_cron(unix))
    assert expressions == expected
    for expression in expressions:
        assert validate_expression(expression) == expression


def test_unix_weekday_numbers_are_never_copied():
    # Unix 1-5 copied verbatim would mean Sunday-Thursday in EventBridge
    assert "1-5" not in aws_cron_expressions(parse_cron("0 9 * * 1-5"))[0]


def test_weekday_of_an_emitted_expression_is_the_same_day():
    # Given every Unix weekday alone, the AWS evaluation fires on that same weekday
    for unix_day in range(7):
        (expression,) = aws_cron_expressions(parse_cron(f"0 12 * * {unix_day}"))
        first = next(aws_cron_fires(expression, UTC_ZONE, utc(2026, 5, 2)))  # a Saturday
        assert (first.weekday() + 1) % 7 == unix_day


# ---------------------------------------------------------------------------- the validator


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 9 ? * MON-FRI *)",
        "cron(0 9 * * ? *)",
        "cron(0/15 * * * ? *)",
        "cron(*/15 * * * ? *)",
        "cron(0 10 ? * 2-6 *)",
        "cron(15 10 ? * 6L 2022-2023)",
        "cron(0 18 ? * MON-FRI *)",
        "cron(0 8 1 * ? *)",
        "cron(0/5 8-17 ? * MON-FRI *)",
        "cron(0 9 ? * 2#1 *)",
        "cron(0 9 L * ? *)",
        "cron(0 9 LW * ? *)",
        "cron(0 9 15W * ? *)",
        "cron(0 9 ? * L *)",
        "cron(0 9 1 JAN-MAR ? 1970)",
        "cron(0 9 1 * ? 2199)",
        "cron(0 9 1 * ? 2026,2028/2)",
        "cron(59 23 31 12 ? *)",
        "cron(0 0 ? * SUN,SAT *)",
    ],
)
def test_validator_accepts(expression):
    assert validate_aws_cron(expression) == expression
    assert validate_expression(expression) == expression


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 9 * * *)",  # 5 fields
        "cron(0 0 9 * * ? *)",  # 7 fields
        "cron(0 9 ? * ? *)",  # both ?
        "cron(0 9 * * * *)",  # neither ?
        "cron(0 9 1 * MON *)",  # neither ?
        "cron(0 9 ? * */2 *)",  # / in day-of-week
        "cron(0 9 ? * MON/2 *)",
        "cron(0 9 ? * 0 *)",  # day-of-week 0
        "cron(0 9 ? * 8 *)",  # day-of-week 8
        "cron(0 9 ? * 0-4 *)",
        "cron(0 9 ? * FRI-MON *)",  # wrapped range
        "cron(0 9 ? * 6-2 *)",
        "cron(garbage)",
        "cron()",
        "cron(0 9 * * ? *",
        "cron (0 9 * * ? *)",
        "CRON(0 9 * * ? *)",
        "cron(0  9 * * ? *)",  # double space
        "cron(60 9 * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 9 0 * ? *)",
        "cron(0 9 32 * ? *)",
        "cron(0 9 * 13 ? *)",
        "cron(0 9 * 0 ? *)",
        "cron(0 9 * * ? 1969)",
        "cron(0 9 * * ? 2200)",
        "cron(0 9 ? * 2#1,3#2 *)",  # two #
        "cron(0 9 ? * 2#6 *)",
        "cron(0 9 ? * 2#0 *)",
        "cron(0 9 ? * MON#1#2 *)",
        "cron(0 9 1,L * ? *)",
        "cron(0 9 32W * ? *)",
        "cron(0 9 ? * 1,6L *)",
        "cron(? 9 1 * ? *)",
        "cron(0 9 1 * ? ?)",
        "cron(0/0 9 * * ? *)",
        "cron(5-1 9 * * ? *)",
        "cron(0 9 1,,2 * ? *)",
        "cron(0 9 * JANUARY ? *)",
        "cron(0 9 ? * MONDAY *)",
        "cron(a 9 * * ? *)",
        "cron(0 9 * * ? *) ",
        "cron(0 9 * * ? *)\n",
        "rate(5 minutes) cron(0 9 * * ? *)",
        "cron(" + ",".join(["1"] * 200) + " 9 * * ? *)",
    ],
)
def test_validator_rejects(expression):
    with pytest.raises(InvalidExpression):
        validate_aws_cron(expression)
    with pytest.raises(InvalidExpression):
        validate_expression(expression)


def test_validate_expression_keeps_at_and_rate():
    assert validate_expression("at(2026-05-01T10:00:00)") == "at(2026-05-01T10:00:00)"
    assert validate_expression("rate(1 minute)") == "rate(1 minute)"
    assert validate_expression("rate(5 minutes)") == "rate(5 minutes)"
    for bad in ("rate(1 minutes)", "rate(2 minute)", "rate(0 minutes)", "at(2026-02-30T10:00:00)", "garbage"):
        with pytest.raises(InvalidExpression):
            validate_expression(bad)


# ---------------------------------------------------------------------------- AWS evaluation


def aws(expression, tz, after, until):
    return list(aws_cron_fires(expression, tz, after, until))


def test_aws_day_of_week_one_is_sunday():
    # cron(0 12 ? * 1 *) fires on Sundays; May 3 2026 is a Sunday
    assert aws("cron(0 12 ? * 1 *)", UTC_ZONE, utc(2026, 5, 1), utc(2026, 5, 11)) == [
        utc(2026, 5, 3, 12), utc(2026, 5, 10, 12)
    ]
    # the verbatim Unix "1-5" fires Sunday-Thursday
    got = aws("cron(0 12 ? * 1-5 *)", UTC_ZONE, utc(2026, 5, 2), utc(2026, 5, 9))
    assert [d.weekday() for d in got] == [6, 0, 1, 2, 3]


def test_aws_question_mark_day_field_does_not_restrict():
    assert aws("cron(0 0 1,15 * ? *)", UTC_ZONE, utc(2026, 5, 1), utc(2026, 6, 2)) == [
        utc(2026, 5, 15), utc(2026, 6, 1)
    ]


def test_aws_special_day_forms():
    may = (utc(2026, 4, 30, 12), utc(2026, 5, 31, 12))
    assert aws("cron(0 0 L * ? *)", UTC_ZONE, *may) == [utc(2026, 5, 31)]
    assert aws("cron(0 0 LW * ? *)", UTC_ZONE, *may) == [utc(2026, 5, 29)]  # May 31 2026 is a Sunday
    assert aws("cron(0 0 2W * ? *)", UTC_ZONE, *may) == [utc(2026, 5, 1)]  # Sat 2 -> Fri 1
    assert aws("cron(0 0 3W * ? *)", UTC_ZONE, *may) == [utc(2026, 5, 4)]  # Sun 3 -> Mon 4
    assert aws("cron(0 0 ? * 6#2 *)", UTC_ZONE, *may) == [utc(2026, 5, 8)]  # second Friday
    assert aws("cron(0 0 ? * 6L *)", UTC_ZONE, *may) == [utc(2026, 5, 29)]  # last Friday
    assert aws("cron(0 0 ? * L *)", UTC_ZONE, utc(2026, 5, 1), utc(2026, 5, 10)) == [
        utc(2026, 5, 2), utc(2026, 5, 9)  # Saturdays
    ]


def test_aws_year_field_bounds_the_search():
    assert aws("cron(0 0 1 1 ? 2027-2028)", UTC_ZONE, utc(2026, 1, 1), None) == [utc(2027, 1, 1), utc(2028, 1, 1)]
    assert aws("cron(0 0 1 1 ? 2025)", UTC_ZONE, utc(2026, 1, 1), None) == []


def test_aws_dst_gap_is_skipped_for_every_job():
    # 2026-03-08 02:00-03:00 does not exist in New York
    assert aws("cron(30 2 * * ? *)", NEW_YORK, utc(2026, 3, 7), utc(2026, 3, 10)) == [
        utc(2026, 3, 7, 7, 30), utc(2026, 3, 9, 6, 30)
    ]
    assert aws("cron(0/30 * * * ? *)", NEW_YORK, utc(2026, 3, 8, 6), utc(2026, 3, 8, 7, 30)) == [
        utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 7), utc(2026, 3, 8, 7, 30)
    ]


def test_aws_dst_overlap_runs_once_on_the_first_pass():
    assert aws("cron(0/30 * * * ? *)", NEW_YORK, utc(2026, 11, 1, 4, 30), utc(2026, 11, 1, 7)) == [
        utc(2026, 11, 1, 5), utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 7)
    ]
    assert aws("cron(30 1 * * ? *)", NEW_YORK, utc(2026, 10, 31, 12), utc(2026, 11, 1, 12)) == [
        utc(2026, 11, 1, 5, 30)
    ]


def test_aws_evaluator_accepts_a_parsed_expression():
    parsed = parse_aws_cron("cron(0 12 ? * MON *)")
    assert next(aws_cron_fires(parsed, UTC_ZONE, utc(2026, 5, 1))) == utc(2026, 5, 4, 12)


def test_aws_and_belltower_agree_away_from_dst_for_single_expression_crons():
    for unix in ("0 9 * * 1-5", "*/20 8-18 * * *", "0 0 1,15 * *", "15 3 * JUN-AUG SAT,SUN"):
        (expression,) = aws_cron_expressions(parse_cron(unix))
        ours = [f.at for f in cron_fires(parse_cron(unix), NEW_YORK, utc(2026, 4, 1), until=utc(2026, 10, 1))]
        assert aws(expression, NEW_YORK, utc(2026, 4, 1), utc(2026, 10, 1)) == ours


def test_aws_evaluation_through_the_shared_walker_fallback(monkeypatch):
    # the per-time zone lookups (used on unusual days) give the same answers as the fast path
    expected = aws("cron(0/15 * * * ? *)", NEW_YORK, utc(2026, 1, 1), utc(2027, 1, 1))
    monkeypatch.setattr(cron_module, "_single_transition", lambda day, tz: None)
    assert aws("cron(0/15 * * * ? *)", NEW_YORK, utc(2026, 1, 1), utc(2027, 1, 1)) == expected


# ---------------------------------------------------------------------------- rate()


@pytest.mark.parametrize(
    ("every", "expected"),
    [
        (timedelta(minutes=1), "rate(1 minute)"),
        (timedelta(minutes=5), "rate(5 minutes)"),
        (timedelta(minutes=90), "rate(90 minutes)"),
        (timedelta(hours=1), "rate(1 hour)"),
        (timedelta(minutes=120), "rate(2 hours)"),
        (timedelta(minutes=1440), "rate(1 day)"),
        (timedelta(days=2), "rate(2 days)"),
        (timedelta(days=7), "rate(7 days)"),
        (timedelta(hours=36), "rate(36 hours)"),
        (timedelta(seconds=90), None),
        (timedelta(seconds=30), None),
        (timedelta(minutes=1, microseconds=1), None),
    ],
)
def test_rate_expression(every, expected):
    assert rate_expression(every) == expected
    if expected is not None:
        assert validate_expression(expected) == expected
        assert parse_rate(expected) == every


def test_rate_fires_count_from_the_start_date_in_absolute_time():
    start = utc(2026, 3, 8, 5, 0)
    got = list(rate_fires("rate(1 hour)", start, utc(2026, 3, 8, 4), utc(2026, 3, 8, 8)))
    assert got == [utc(2026, 3, 8, h) for h in (5, 6, 7, 8)]  # DST does not matter
    got = list(rate_fires("rate(1 day)", start, utc(2026, 3, 8, 5), utc(2026, 3, 10, 5)))
    assert got == [utc(2026, 3, 9, 5), utc(2026, 3, 10, 5)]  # strictly after `after`


def test_parse_rate_rejects_bad_expressions():
    for bad in ("rate(1 minutes)", "rate(2 hour)", "rate(0 days)", "rate(5 weeks)", "cron(* * * * ? *)"):
        with pytest.raises(InvalidExpression):
            parse_rate(bad)
