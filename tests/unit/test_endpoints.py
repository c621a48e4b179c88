"""The merge of a schedule onto its endpoint profile (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from belltower.domain.endpoints import merge_headers, new_endpoint, resolve_target
from belltower.domain.models import DeliveryRequest, Schedule
from belltower.domain.retry import RetryPolicy

NOW = datetime(2026, 11, 23, 12, tzinfo=timezone.utc)


def profile(**fields):
    body = {"name": "p", "url": "https://hooks.example.com/p", **fields}
    return new_endpoint(body, endpoint_id="ep_01KAQZ4T5V0000000000000000", project_id="prj_1", now=NOW)


def schedule_on(endpoint, request=None, retry_policy=None, timeout=None):
    return Schedule(id="sch_1", project_id="prj_1", kind="one_shot", state="active",
                    request=request or DeliveryRequest(url=None, method=None), retry_policy=retry_policy,
                    timeout=timeout, created_at=NOW, updated_at=NOW, endpoint_id=endpoint.id)  # fmt: skip


def test_an_unset_field_comes_from_the_profile():
    endpoint = profile(method="PUT", timeout="5s", retry_policy={"max_attempts": 2})
    target = resolve_target(schedule_on(endpoint), endpoint)
    assert (target.request.url, target.request.method) == ("https://hooks.example.com/p", "PUT")
    assert target.timeout == timedelta(seconds=5) and target.retry_policy.max_attempts == 2


def test_a_field_the_schedule_sets_wins():
    endpoint = profile(method="PUT", timeout="5s")
    own = schedule_on(endpoint, DeliveryRequest(url=None, method="DELETE", query={"a": 1}),
                      RetryPolicy(max_attempts=9), timedelta(seconds=9))  # fmt: skip
    target = resolve_target(own, endpoint)
    assert (target.request.method, target.request.query) == ("DELETE", {"a": 1})
    assert target.timeout == timedelta(seconds=9) and target.retry_policy.max_attempts == 9


def test_headers_merge_by_name_case_insensitively_with_the_schedules_value_winning():
    assert merge_headers({"X-A": "p", "X-B": "p"}, {"x-a": "s"}) == {"X-B": "p", "x-a": "s"}


def test_a_schedule_is_never_resolved_against_another_profile():
    endpoint = profile()
    with pytest.raises(ValueError):
        resolve_target(schedule_on(endpoint), None)
