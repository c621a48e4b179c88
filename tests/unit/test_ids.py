"""Identifiers: creation order, and strict order within one process."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from belltower.domain.ids import MonotonicIds, id_ceiling, id_time, is_id, new_id

NOW = datetime(2026, 11, 23, 12, tzinfo=timezone.utc)


def test_ids_made_in_one_millisecond_still_sort_in_the_order_they_were_made():
    ids = MonotonicIds("evt")
    made = [ids.next(NOW) for _ in range(1000)]
    assert made == sorted(made) and len(set(made)) == 1000
    assert all(is_id("evt", i) and id_time(i) == NOW for i in made)


def test_a_clock_that_steps_back_does_not_break_the_order():
    ids = MonotonicIds("evt")
    first = ids.next(NOW)
    assert ids.next(NOW - timedelta(seconds=5)) > first


def test_the_ceiling_bounds_every_id_of_its_millisecond_and_none_later():
    ceiling = id_ceiling("evt", NOW)
    assert new_id("evt", NOW) <= ceiling < new_id("evt", NOW + timedelta(milliseconds=1))


def test_is_id_checks_the_kind_and_the_shape():
    assert is_id("ep", new_id("ep", NOW))
    assert not is_id("ep", new_id("sch", NOW)) and not is_id("ep", "ep_short") and not is_id("ep", None)
