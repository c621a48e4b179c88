"""Retry maths: policy parsing, backoff curves and jitter, Retry-After, status verdicts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from belltower.domain.errors import InvalidRequest
from belltower.domain.retry import (
    RetryPolicy,
    Verdict,
    backoff,
    classify,
    next_delay,
    parse_retry_after,
)

NOW = datetime(2015, 10, 21, 7, 0, 0, tzinfo=timezone.utc)
S = timedelta(seconds=1)


def fixed_rand(value: float):
    return lambda: value


# ---------------------------------------------------------------------------- RetryPolicy.parse


def test_defaults_match_the_spec():
    policy = RetryPolicy()
    assert policy == RetryPolicy(8, "exponential", 5 * S, 2.0, timedelta(hours=1), True)
    assert policy.to_dict() == {
        "max_attempts": 8,
        "strategy": "exponential",
        "base": "5s",
        "factor": 2,
        "max": "1h",
        "jitter": True,
    }


@pytest.mark.parametrize("obj", [None, {}, {"base": None}])
def test_absent_policy_gives_defaults(obj):
    assert RetryPolicy.parse(obj) == RetryPolicy()


def test_a_full_policy_parses():
    policy = RetryPolicy.parse(
        {"max_attempts": 3, "strategy": "linear", "base": "10s", "factor": 1.5, "max": [2, "hours"], "jitter": False}
    )
    assert policy == RetryPolicy(3, "linear", 10 * S, 1.5, timedelta(hours=2), False)
    assert policy.to_dict() == {
        "max_attempts": 3,
        "strategy": "linear",
        "base": "10s",
        "factor": 1.5,
        "max": "2h",
        "jitter": False,
    }


def test_partial_policy_keeps_other_defaults():
    assert RetryPolicy.parse({"max_attempts": 50}) == RetryPolicy(max_attempts=50)


def test_a_base_above_the_default_max_raises_the_max_with_it():
    assert RetryPolicy.parse({"base": "2h"}) == RetryPolicy(base=timedelta(hours=2), max=timedelta(hours=2))


def test_unknown_keys_are_unknown_field():
    with pytest.raises(InvalidRequest) as err:
        RetryPolicy.parse({"max_attempts": 3, "backoff": "fast"})
    assert err.value.code == "unknown_field"
    assert err.value.param == "retry_policy.backoff"


@pytest.mark.parametrize(
    ("obj", "param"),
    [
        ({"max_attempts": 0}, "retry_policy.max_attempts"),
        ({"max_attempts": 51}, "retry_policy.max_attempts"),
        ({"max_attempts": True}, "retry_policy.max_attempts"),
        ({"max_attempts": 3.0}, "retry_policy.max_attempts"),
        ({"max_attempts": "3"}, "retry_policy.max_attempts"),
        ({"strategy": "random"}, "retry_policy.strategy"),
        ({"strategy": 1}, "retry_policy.strategy"),
        ({"factor": 0.5}, "retry_policy.factor"),
        ({"factor": 11}, "retry_policy.factor"),
        ({"factor": True}, "retry_policy.factor"),
        ({"factor": float("nan")}, "retry_policy.factor"),
        ({"factor": "2"}, "retry_policy.factor"),
        ({"jitter": "yes"}, "retry_policy.jitter"),
        ({"jitter": 1}, "retry_policy.jitter"),
        ({"base": "500ms"}, "retry_policy.base"),
        ({"base": "25h", "max": "25h"}, "retry_policy.base"),
        ({"base": "10s", "max": "5s"}, "retry_policy.max"),
        ({"max": "25h"}, "retry_policy.max"),
    ],
)
def test_out_of_range_values_are_invalid_field(obj, param):
    with pytest.raises(InvalidRequest) as err:
        RetryPolicy.parse(obj)
    assert err.value.code == "invalid_field"
    assert err.value.param == param


def test_malformed_durations_are_invalid_duration():
    with pytest.raises(InvalidRequest) as err:
        RetryPolicy.parse({"base": "soon"})
    assert err.value.code == "invalid_duration"
    assert err.value.param == "retry_policy.base"


def test_a_non_object_policy_is_invalid_field():
    with pytest.raises(InvalidRequest) as err:
        RetryPolicy.parse([1, 2], param="endpoint.retry_policy")
    assert err.value.code == "invalid_field"
    assert err.value.param == "endpoint.retry_policy"


def test_limits_are_inclusive():
    policy = RetryPolicy.parse({"max_attempts": 1, "factor": 10, "base": "1s", "max": "24h"})
    assert (policy.max_attempts, policy.factor, policy.base, policy.max) == (1, 10.0, S, timedelta(hours=24))


@pytest.mark.parametrize(
    "policy",
    [
        RetryPolicy(),
        RetryPolicy(3, "linear", timedelta(seconds=1, milliseconds=500), 1.25, timedelta(minutes=90), False),
        RetryPolicy(50, "fixed", timedelta(hours=24), 10.0, timedelta(hours=24), True),
    ],
)
def test_to_dict_from_dict_round_trips(policy):
    assert RetryPolicy.from_dict(policy.to_dict()) == policy


# ---------------------------------------------------------------------------- backoff


@pytest.mark.parametrize(
    ("attempt", "seconds"),
    [(1, 5), (2, 10), (3, 20), (4, 40), (8, 640), (10, 2560), (11, 3600), (50, 3600)],
)
def test_exponential_backoff_doubles_up_to_max(attempt, seconds):
    policy = RetryPolicy(jitter=False)
    assert backoff(policy, attempt) == timedelta(seconds=seconds)


@pytest.mark.parametrize(("attempt", "seconds"), [(1, 10), (2, 20), (3, 30), (6, 60), (7, 60)])
def test_linear_backoff_grows_by_base(attempt, seconds):
    policy = RetryPolicy(strategy="linear", base=10 * S, max=timedelta(minutes=1), jitter=False)
    assert backoff(policy, attempt) == timedelta(seconds=seconds)


@pytest.mark.parametrize("attempt", [1, 2, 7])
def test_fixed_backoff_is_constant(attempt):
    policy = RetryPolicy(strategy="fixed", base=30 * S, jitter=False)
    assert backoff(policy, attempt) == 30 * S


def test_exponential_with_a_fractional_factor():
    policy = RetryPolicy(base=4 * S, factor=1.5, jitter=False)
    assert backoff(policy, 3) == 9 * S


def test_huge_exponents_are_capped_not_overflowing():
    policy = RetryPolicy(max_attempts=50, base=S, factor=10.0, max=timedelta(hours=24), jitter=False)
    assert backoff(policy, 50) == timedelta(hours=24)
    assert backoff(policy, 10_000) == timedelta(hours=24)


@pytest.mark.parametrize(("r", "seconds"), [(0.0, 10), (0.5, 15), (0.999, 19.99)])
def test_equal_jitter_stays_between_half_and_full(r, seconds):
    # Given a nominal 20 s wait (attempt 3), When jittered, Then it is 10 s + r * 10 s.
    assert backoff(RetryPolicy(), 3, fixed_rand(r)) == timedelta(seconds=seconds)


def test_jitter_applies_after_the_cap():
    assert backoff(RetryPolicy(), 20, fixed_rand(0.0)) == timedelta(minutes=30)


@given(st.integers(min_value=1, max_value=60), st.floats(min_value=0.0, max_value=1.0, exclude_max=True))
def test_jittered_wait_is_within_half_and_nominal(attempt, r):
    nominal = backoff(RetryPolicy(jitter=False), attempt)
    jittered = backoff(RetryPolicy(), attempt, fixed_rand(r))
    assert nominal / 2 <= jittered <= nominal


def test_attempt_numbers_are_one_based():
    with pytest.raises(ValueError):
        backoff(RetryPolicy(), 0)


# ---------------------------------------------------------------------------- Retry-After


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", timedelta(seconds=120)),
        (" 0 ", timedelta(0)),
        ("86400", timedelta(hours=24)),
        ("86401", timedelta(hours=24)),
        ("99999999999999999999999", timedelta(hours=24)),
        ("Wed, 21 Oct 2015 07:28:00 GMT", timedelta(minutes=28)),
        ("Wed, 21 Oct 2015 07:28:00 -0000", timedelta(minutes=28)),
        ("Thu, 22 Oct 2015 09:00:00 GMT", timedelta(hours=24)),
    ],
)
def test_retry_after_values(value, expected):
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    "value", [None, "", "soon", "-5", "1.5", "Wed, 21 Oct 2015 06:00:00 GMT", "Wed, 21 Oct 2015 25:00:00 GMT", "١٢"]
)
def test_unusable_retry_after_is_none(value):
    assert parse_retry_after(value, NOW) is None


def test_next_delay_honours_a_longer_retry_after():
    policy = RetryPolicy(jitter=False)
    assert next_delay(policy, 1, timedelta(minutes=2)) == timedelta(minutes=2)


def test_next_delay_keeps_the_backoff_when_retry_after_is_shorter():
    policy = RetryPolicy(jitter=False)
    assert next_delay(policy, 4, timedelta(seconds=3)) == 40 * S


def test_next_delay_without_retry_after_is_the_backoff():
    assert next_delay(RetryPolicy(), 2, None, fixed_rand(0.5)) == timedelta(seconds=7.5)


# ---------------------------------------------------------------------------- classify


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (None, Verdict.RETRY),
        (200, Verdict.SUCCEEDED),
        (201, Verdict.SUCCEEDED),
        (204, Verdict.SUCCEEDED),
        (299, Verdict.SUCCEEDED),
        (408, Verdict.RETRY),
        (429, Verdict.RETRY),
        (500, Verdict.RETRY),
        (502, Verdict.RETRY),
        (503, Verdict.RETRY),
        (599, Verdict.RETRY),
        (301, Verdict.FAIL),
        (302, Verdict.FAIL),
        (304, Verdict.FAIL),
        (400, Verdict.FAIL),
        (401, Verdict.FAIL),
        (404, Verdict.FAIL),
        (409, Verdict.FAIL),
        (410, Verdict.FAIL),
        (422, Verdict.FAIL),
        (499, Verdict.FAIL),
        (100, Verdict.RETRY),
        (101, Verdict.RETRY),
    ],
)
def test_classify(status, verdict):
    assert classify(status) is verdict
