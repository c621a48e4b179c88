"""The pure Booper mappings (belltower.compat.booper)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from belltower.compat import booper
from belltower.domain.errors import InvalidRequest, NotFound, Unauthorized, Unprocessable
from belltower.domain.models import DeliveryRequest, Schedule

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def test_seed_example_maps_to_a_native_delay():
    native = booper.to_native({"method": "post", "url": "https://h.example/a", "body": {"x": 1},
                               "schedule_in": [30, "seconds"]}, NOW)  # fmt: skip
    assert native == {"endpoint": "https://h.example/a", "method": "POST", "body": {"x": 1},
                      "delay": [30, "seconds"],
                      "metadata": {"compat": "booper", "booper": {"args": {"schedule_in": [30, "seconds"]}}}}  # fmt: skip


def test_defaults_method_get_and_run_now():
    native = booper.to_native({"url": "https://h.example"}, NOW)
    assert native["method"] == "GET" and native["delay"] == 1


def test_scheduled_at_naive_is_utc_and_unix_passes_through():
    assert booper.to_native({"url": "https://h", "scheduled_at": "2026-02-01T10:00:00"}, NOW)["fire_at"] == "2026-02-01T10:00:00Z"
    assert booper.to_native({"url": "https://h", "scheduled_at": 1800000000}, NOW)["fire_at"] == 1800000000


def test_recurring_takes_the_first_run_as_start_at():
    native = booper.to_native({"url": "https://h", "repeat_every": [5, "minutes"], "schedule_in": 60}, NOW)
    assert native["every"] == [5, "minutes"] and native["start_at"] == "2026-01-01T12:01:00Z"
    native = booper.to_native({"url": "https://h", "cron": "*/5 * * * *", "scheduled_at": 1800000000}, NOW)
    assert native["cron"] == "*/5 * * * *" and native["start_at"] == "2027-01-15T08:00:00Z"


@pytest.mark.parametrize("body,field", [
    ({}, "url"), ({"url": "https://h", "method": "trace"}, "method"), ({"url": "https://h", "bogus": 1}, "bogus"),
    ({"url": "https://h", "schedule_in": 1, "scheduled_at": 2}, "scheduled_at"),
    ({"url": "https://h", "repeat_every": 60, "cron": "* * * * *"}, "cron"),
    ({"url": "https://h", "body": {"a": ["$job..id"]}}, "body"), ({"url": "https://h", "body": {"$job": 1}}, "body"),
    ({"url": "https://h", "idempotency_key": 5}, "idempotency_key"),
])  # fmt: skip
def test_bad_requests_name_the_booper_field(body, field):
    with pytest.raises(Unprocessable) as caught:
        booper.to_native(body, NOW)
    assert booper.error_response(caught.value) == (422, {"errors": {field: [caught.value.message]}})


def test_a_body_with_dynamic_fields_opts_in():
    native = booper.to_native({"url": "https://h", "repeat_every": 60, "body": {"cursor": "$state.cursor"}}, NOW)
    assert native["body"] == {"cursor": "$state.cursor"} and native["metadata"]["booper"]["dynamic_fields"] is True
    plain = booper.to_native({"url": "https://h", "body": {"cursor": "$jobs", "n": 1}}, NOW)
    assert "dynamic_fields" not in plain["metadata"]["booper"]


def test_native_errors_map_back_to_booper_fields():
    assert booper.error_response(InvalidRequest("bad", param="delay"))[1] == {"errors": {"schedule_in": ["bad"]}}
    assert booper.error_response(InvalidRequest("bad", param="endpoint"))[0] == 422
    assert booper.error_response(Unauthorized("x")) == (401, {"errors": {"detail": "Unauthorized"}})
    assert booper.error_response(NotFound("x")) == (404, {"errors": {"detail": "Not Found"}})


def _schedule(**kw):
    base = dict(id="sch_01", project_id="prj_1", kind="one_shot", state="active",
                request=DeliveryRequest(url="https://h", method="POST", headers={"X-A": "s"}, body='{"a":1}', body_is_json=True),
                retry_policy=None, timeout=None, created_at=NOW, updated_at=NOW, fire_at=NOW + timedelta(seconds=30),
                metadata={"compat": "booper", "booper": {"args": {"schedule_in": 30}, "idempotency_key": "k"}})  # fmt: skip
    base.update(kw)
    return Schedule(**base)


def test_job_response_shape():
    data = booper.job_response(_schedule(), None, NOW)
    assert data["inserted_at"] == "2026-01-01T12:00:00" and data["idempotency_key"] == "k"
    assert data["job"]["state"] == "available" and data["job"]["scheduled_at"] == "2026-01-01T12:00:30.000000Z"
    assert data["args"] == {"body": {"a": 1}, "headers": {"X-A": "[redacted]"}, "method": "post",
                            "schedule_in": 30, "url": "https://h"}  # fmt: skip
    assert booper.job_response(_schedule(state="cancelled"), None, NOW)["job"]["state"] == "cancelled"
