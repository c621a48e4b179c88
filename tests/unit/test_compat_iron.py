"""The pure IronWorker mappings (belltower.compat.iron)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from belltower.compat import iron
from belltower.domain.errors import Conflict, NotFound, Unauthorized
from belltower.domain.models import DeliveryRequest, Schedule

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def test_token_from_header_or_query():
    assert iron.token("OAuth abc", None) == "Bearer abc"
    assert iron.token(None, "xyz") == "Bearer xyz"
    assert iron.token("Bearer abc", None) == "Bearer "
    assert iron.is_json("application/json; charset=utf-8") and not iron.is_json("text/plain") and not iron.is_json(None)


def test_task_sample_maps_to_a_one_shot():
    [(name, native)] = iron.tasks_to_native({"tasks": [{"code_name": "MyWorker", "payload": "{\"x\": 1}"}]})
    assert name == "MyWorker"
    assert native == {"method": "POST", "body": "{\"x\": 1}", "delay": 1, "metadata": {"compat": "iron", "iron": {
        "code_name": "MyWorker", "priority": 0, "timeout": 3600, "kind": "task"}}}  # fmt: skip
    [(_, timed)] = iron.tasks_to_native({"tasks": [{"code_name": "W", "timeout": 3600, "delay": 90}]})
    assert timed["timeout"] == 900 and timed["delay"] == 90


def test_schedule_forms():
    [(_, one)] = iron.schedules_to_native({"schedules": [{"delay": 60, "payload": "p", "name": "N", "code_name": "W"}]}, NOW)
    assert one["delay"] == 60 and one["name"] == "N" and one["metadata"]["iron"]["delay"] == 60
    [(_, rec)] = iron.schedules_to_native({"schedules": [{"code_name": "W", "run_every": 3600, "run_times": 3,
                                                          "delay": 60, "end_at": "2030-01-01T00:00:00"}]}, NOW)
    assert rec["every"] == 3600 and rec["max_runs"] == 3 and rec["start_at"] == "2026-01-01T12:01:00Z"
    assert rec["end_at"] == "2030-01-01T00:00:00Z"


@pytest.mark.parametrize("body", [
    {}, {"tasks": []}, {"tasks": [1]}, {"tasks": [{"payload": "x"}]}, {"tasks": [{"code_name": "W", "payload": {}}]},
    {"tasks": [{"code_name": "W", "priority": 5}]}, {"tasks": [{"code_name": "W", "delay": -1}]},
    {"tasks": [{"code_name": "W", "timeout": True}]}, {"tasks": [{"code_name": "W", "color": "red"}]},
])  # fmt: skip
def test_bad_tasks_are_406(body):
    with pytest.raises(iron.NotAcceptable) as caught:
        iron.tasks_to_native(body)
    assert iron.error_response(caught.value) == (406, {"msg": caught.value.message})


def test_bad_schedules():
    for item in ({"code_name": "W", "run_times": 2}, {"code_name": "W", "end_at": "2030-01-01T00:00:00Z"},
                 {"code_name": "W", "delay": 5, "start_at": "2030-01-01T00:00:00Z"}):
        with pytest.raises(iron.NotAcceptable):
            iron.schedules_to_native({"schedules": [item]}, NOW)


def test_error_statuses():
    assert iron.error_response(Unauthorized("no")) == (401, {"msg": "no"})
    assert iron.error_response(NotFound("gone")) == (404, {"msg": "gone"})
    assert iron.error_response(Conflict("busy"))[0] == 406


def test_views():
    sched = Schedule(id="sch_1", project_id="prj", kind="one_shot", state="completed",
                     request=DeliveryRequest(url=None, method=None, body="p"), retry_policy=None, timeout=None,
                     created_at=NOW, updated_at=NOW, fire_at=NOW, endpoint_id="ep_1", run_count=1, last_fire_at=NOW,
                     metadata={"compat": "iron", "iron": {"kind": "schedule", "code_name": "W", "delay": 10}})  # fmt: skip
    view = iron.schedule_view(sched, NOW)
    assert view["status"] == "complete" and view["msg"] == "Ran max times." and view["run_times"] == 1
    assert view["created_at"] == 1767268800000000000 and view["delay"] == 10 and view["end_at"] == iron.NO_END
    assert iron.is_iron(sched, "schedule") and not iron.is_iron(sched, "task")
    assert iron.task_view(sched, None)["status"] == "queued"
    assert iron.page({}) == (0, 30)
