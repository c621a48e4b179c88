"""Taskhook compatibility (`/compat/taskhook`): the seed's requests, verbatim, against `belltower dev`."""

from __future__ import annotations

import time

from tests.e2e.helpers import wait_until

BASE = "/compat/taskhook"
SCHEDULE_KEYS = {"id", "status", "cron", "timezone", "start_at", "end_at", "task_template", "enabled",
                 "next_execution_at", "last_execution_at", "execution_count", "created_at", "updated_at"}  # fmt: skip
TASK_KEYS = {"id", "schedule_id", "scheduled_for", "status", "target", "payload", "created_at"}
# The seed's example, verbatim except that its dates (2024) are moved into the future.
EXAMPLE = {"cron": "0 9 * * *", "timezone": "America/New_York", "start_at": "2030-03-01T00:00:00Z",
           "end_at": "2030-12-31T23:59:59Z",
           "task_template": {"target": "https://example.com/scheduled-job", "payload": {"key": "value"}}}  # fmt: skip


def th(dev, method, path, json=None, **kw):
    return dev.request(method, BASE + path, json=json, **kw)


def test_create_retrieve_list_patch_delete_as_documented(dev_server):
    created = th(dev_server, "POST", "/v1/schedules", EXAMPLE)
    assert created.status == 201, created.text
    s = created.json()
    assert set(s) == SCHEDULE_KEYS
    assert s["status"] == "active" and s["enabled"] is True and s["execution_count"] == 0
    assert s["next_execution_at"] == "2030-03-01T14:00:00Z" and s["last_execution_at"] is None
    assert s["task_template"] == EXAMPLE["task_template"]
    got = th(dev_server, "GET", f"/v1/schedules/{s['id']}")
    assert got.status == 200 and got.json()["id"] == s["id"]
    listed = th(dev_server, "GET", "/v1/schedules?status=active&enabled=true&limit=10")
    assert listed.status == 200 and set(listed.json()) == {"total", "schedules"}
    assert s["id"] in [x["id"] for x in listed.json()["schedules"]]
    patched = th(dev_server, "PATCH", f"/v1/schedules/{s['id']}",
                 {"enabled": False, "end_at": "2030-06-30T23:59:59Z", "cron": "0 */4 * * *"})
    assert patched.status == 200, patched.text
    assert patched.json() == {"id": s["id"], "enabled": False, "cron": "0 */4 * * *", "end_at": "2030-06-30T23:59:59Z"}
    disabled = th(dev_server, "GET", "/v1/schedules?status=disabled").json()["schedules"]
    assert s["id"] in [x["id"] for x in disabled]
    assert th(dev_server, "PATCH", f"/v1/schedules/{s['id']}", {"enabled": True}).json()["enabled"] is True
    preview = th(dev_server, "GET", f"/v1/schedules/{s['id']}/preview?limit=5&start_from=2030-03-01T00:00:00Z")
    assert preview.status == 200, preview.text
    # start_at 2030-03-01T00:00Z is 19:00 local on Feb 28: the first run is 20:00 local
    assert preview.json() == {"schedule_id": s["id"], "executions": [
        {"scheduled_for": "2030-03-01T01:00:00Z", "local_time": "2030-02-28T20:00:00-05:00"},
        {"scheduled_for": "2030-03-01T05:00:00Z", "local_time": "2030-03-01T00:00:00-05:00"},
        {"scheduled_for": "2030-03-01T09:00:00Z", "local_time": "2030-03-01T04:00:00-05:00"},
        {"scheduled_for": "2030-03-01T13:00:00Z", "local_time": "2030-03-01T08:00:00-05:00"},
        {"scheduled_for": "2030-03-01T17:00:00Z", "local_time": "2030-03-01T12:00:00-05:00"}]}  # fmt: skip
    deleted = th(dev_server, "DELETE", f"/v1/schedules/{s['id']}")
    assert deleted.status == 200 and deleted.json() == {"id": s["id"], "status": "deleted"}
    assert th(dev_server, "GET", f"/v1/schedules/{s['id']}").json()["status"] == "deleted"


def test_preview_seed_example(dev_server):
    s = th(dev_server, "POST", "/v1/schedules", {**EXAMPLE, "start_at": "2024-03-01T00:00:00Z"}).json()
    preview = th(dev_server, "GET", f"/v1/schedules/{s['id']}/preview?limit=5&start_from=2030-03-01T00:00:00Z")
    assert [e["local_time"] for e in preview.json()["executions"]][:2] == ["2030-03-01T09:00:00-05:00",
                                                                          "2030-03-02T09:00:00-05:00"]
    assert th(dev_server, "GET", f"/v1/schedules/{s['id']}/preview?limit=101").status == 400
    th(dev_server, "DELETE", f"/v1/schedules/{s['id']}")


def test_tasks_are_delivered_and_listed(dev_server, receiver):
    s = th(dev_server, "POST", "/v1/schedules", {"cron": "* * * * *", "timezone": "UTC", "task_template": {
        "target": receiver.url + "/scheduled-job", "payload": {"key": "value"}}}).json()  # fmt: skip
    (hit,) = receiver.wait_for(1, timeout=75)
    assert hit.method == "POST" and hit.json() == {"key": "value"}
    assert time.gmtime(hit.received_at).tm_sec < 15  # at the top of the minute
    tasks = wait_until(lambda: th(dev_server, "GET", f"/v1/schedules/{s['id']}/tasks?status=completed").json(),
                       lambda t: t["total"] >= 1)
    assert set(tasks["tasks"][0]) == TASK_KEYS and tasks["tasks"][0]["payload"] == {"key": "value"}
    assert th(dev_server, "GET", f"/v1/schedules/{s['id']}/tasks?status=failed").json() == {"total": 0, "tasks": []}
    after = th(dev_server, "GET", f"/v1/schedules/{s['id']}").json()
    assert after["execution_count"] >= 1 and after["last_execution_at"] is not None
    th(dev_server, "DELETE", f"/v1/schedules/{s['id']}")


def test_verbatim_seed_dates_have_passed(dev_server):
    """The seed's own example ends on 2024-12-31: the engine refuses an end that has passed."""
    resp = th(dev_server, "POST", "/v1/schedules", {**EXAMPLE, "start_at": "2024-03-01T00:00:00Z",
                                                     "end_at": "2024-12-31T23:59:59Z"})
    assert resp.status == 422 and resp.json()["error"]["param"] == "end_at"


def test_errors_never_5xx(dev_server):
    for body in [{}, {"cron": "0 9 * * *", "timezone": "UTC"}, {**EXAMPLE, "cron": "nope"},
                 {**EXAMPLE, "timezone": "Mars/Base"}, {**EXAMPLE, "task_template": {"payload": 1}},
                 {**EXAMPLE, "enabled": "yes"}, {**EXAMPLE, "extra": 1}, [1]]:
        resp = th(dev_server, "POST", "/v1/schedules", body)
        assert 400 <= resp.status < 500 and set(resp.json()["error"]) == {"type", "code", "message", "param"}, resp.text
    assert th(dev_server, "GET", "/v1/schedules?limit=abc").status == 400
    assert th(dev_server, "GET", "/v1/schedules/schedule_123").status == 404
    assert th(dev_server, "GET", "/v1/schedules", headers={"Authorization": "Bearer nope"}).status == 401
