"""The pure IronWorker mappings (belltower.compat.iron)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from belltower.compat import iron
from belltower.domain.errors import Conflict, InvalidRequest, NotFound, Unauthorized
from belltower.domain.models import Attempt, DeliveryRequest, Endpoint, Occurrence, Schedule
from belltower.domain.retry import RetryPolicy

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


def test_null_numbers_are_their_defaults():
    [(_, native)] = iron.tasks_to_native({"tasks": [{"code_name": "W", "delay": None, "priority": None,
                                                      "timeout": None}]})  # fmt: skip
    assert native["delay"] == 1 and native["metadata"]["iron"]["priority"] == 0 and "timeout" not in native


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


def _task(state="active", metadata=None):
    return Schedule(id="sch_1", project_id="prj", kind="one_shot", state=state,
                    request=DeliveryRequest(url=None, method=None, body="p"), retry_policy=None, timeout=None,
                    created_at=NOW, updated_at=NOW, fire_at=NOW + timedelta(seconds=5), endpoint_id="ep_1",
                    metadata=metadata or {"compat": "iron", "iron": {"kind": "task", "code_name": "W"}})  # fmt: skip


def _run(state, attempts, **kw):
    return Occurrence(id=kw.pop("id", "occ_1"), project_id="prj", schedule_id="sch_1", scheduled_for=NOW,
                      state=state, created_at=NOW, attempts=attempts, **kw)  # fmt: skip


def test_task_log_lists_attempts_their_output_and_the_end():
    at = NOW + timedelta(seconds=5)
    run = _run("succeeded", [Attempt(1, at, 12, 503, None, "busy\nretry later"),
                             Attempt(2, at + timedelta(seconds=5), 8, 200, None, "Hello World!"),
                             ], completed_at=at + timedelta(seconds=5, milliseconds=8))  # fmt: skip
    assert iron.task_log(_task(), [run]) == (
        "2026-01-01T12:00:05Z attempt 1: HTTP 503 in 12 ms\n  busy\n  retry later\n"
        "2026-01-01T12:00:10Z attempt 2: HTTP 200 in 8 ms\n  Hello World!\n"
        "2026-01-01T12:00:10.008Z complete\n"
    )  # fmt: skip


def test_task_log_of_failures_and_of_tasks_that_have_not_run():
    failed = _run("dead_lettered", [Attempt(1, NOW, 3001, None, "connection refused", "")],
                  completed_at=NOW, outcome="attempts_exhausted")  # fmt: skip
    assert iron.task_log(_task(), [failed]).splitlines() == [
        "2026-01-01T12:00:00Z attempt 1: connection refused after 3001 ms",
        "2026-01-01T12:00:00Z error (attempts_exhausted)",
    ]  # fmt: skip
    retrying = _run("retrying", [Attempt(1, NOW, 5, 500, None, "")], next_attempt_at=NOW + timedelta(seconds=5))
    assert iron.task_log(_task(), [retrying]).splitlines()[-1] == "retrying at 2026-01-01T12:00:05Z"
    assert iron.task_log(_task(), []) == "2026-01-01T12:00:00Z queued to run at 2026-01-01T12:00:05Z\n"
    assert iron.task_log(_task("cancelled"), []) == "2026-01-01T12:00:00Z cancelled before it ran\n"
    replayed = _run("succeeded", [Attempt(1, NOW, 5, 200, None, "")], id="occ_2", replay_of="occ_1",
                    origin="replay", completed_at=NOW)  # fmt: skip
    log = iron.task_log(_task(), [replayed, failed]).splitlines()
    assert log[0] == "--- run 1: occ_1 ---" and log[3] == "--- run 2: occ_2, replay of occ_1 ---"


def test_progress_is_validated_and_shown():
    assert iron.progress({"percent": 25, "msg": "Any message goes here."}) == {"percent": 25, "msg": "Any message goes here."}
    assert iron.progress({"percent": 0}) == {"percent": 0} and iron.progress({"msg": ""}) == {"msg": ""}
    for bad in ({}, [], {"percent": 101}, {"percent": -1}, {"percent": 2.5}, {"percent": True}, {"msg": 1},
                {"percent": 1, "extra": 1}, {"msg": "é" * 400}, {"percent": None, "msg": None}):
        with pytest.raises(iron.NotAcceptable):
            iron.progress(bad)
    task = _task(metadata={"compat": "iron", "iron": {"kind": "task", "code_name": "W"}, "mine": 1})
    task.metadata = iron.with_progress(task.metadata, {"percent": 50, "msg": "half"})
    assert task.metadata == {"compat": "iron", "iron": {"kind": "task", "code_name": "W",
                                                        "progress": {"percent": 50, "msg": "half"}}, "mine": 1}
    view = iron.task_view(task, None)
    assert view["percent"] == 50 and view["msg"] == "half"
    assert "percent" not in iron.task_view(_task(), None)


def test_webhook_body_is_the_payload():
    name, native = iron.webhook_to_native("W", b'{"any": "thing"}')
    assert name == "W" and native["body"] == '{"any": "thing"}' and native["delay"] == 1
    assert "body" not in iron.webhook_to_native("W", b"")[1]
    for code_name, body in ((None, b"x"), ("", b"x"), ("W", b"\xff"), ("W", b"x" * (64 * 1024 + 1))):
        with pytest.raises(iron.NotAcceptable):
            iron.webhook_to_native(code_name, body)
    iron.check_size(b"x" * 64 * 1024)
    with pytest.raises(iron.NotAcceptable):
        iron.check_size(b"x" * (64 * 1024 + 1))


def test_code_packages_are_endpoint_profiles():
    endpoint = Endpoint(id="ep_1", project_id="prj", name="MyWorker", url="https://w.example/run", method="POST",
                        headers={"Authorization": "secret"}, retry_policy=RetryPolicy(), timeout=timedelta(seconds=30),
                        created_at=NOW, updated_at=NOW, version=3)  # fmt: skip
    code = iron.code_view(endpoint)
    assert code["name"] == "MyWorker" and code["rev"] == 3 and code["runtime"] == "http"
    assert code["Timestamper"] == {"created_at": 1767268800000000000, "updated_at": 1767268800000000000}
    endpoint.version = 4
    assert iron.code_view(endpoint)["latest_checksum"] != code["latest_checksum"]
    assert iron.revision_view(endpoint)["code_id"] == "ep_1" and iron.revision_view(endpoint)["rev"] == 4
    refused = iron.download_refused(endpoint)
    assert iron.error_response(refused) == (400, {"msg": refused.message})
    assert "POST https://w.example/run" in refused.message and "secret" not in refused.message
    assert iron.error_response(iron.NotSupported(iron.UPLOAD_REFUSED))[0] == 400
    assert iron.error_response(InvalidRequest("bad"))[0] == 406
