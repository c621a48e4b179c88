"""IronWorker compatibility (`/compat/iron/2`): the seed's request samples against `belltower dev`."""

from __future__ import annotations

import time
import uuid

from tests.e2e.helpers import wait_until

TASK_KEYS = {"id", "created_at", "updated_at", "project_id", "code_id", "status", "code_name", "start_time",
             "end_time", "duration", "run_times", "timeout", "priority"}  # fmt: skip
SCHEDULE_KEYS = {"id", "created_at", "updated_at", "project_id", "status", "code_name", "start_at", "end_at",
                 "next_start", "last_run_time", "run_times", "run_count", "priority"}  # fmt: skip


def _setup(dev, receiver):
    project_id = dev.request("GET", "/v1/project").json()["id"]
    code_name = f"MyWorker-{uuid.uuid4().hex[:8]}"
    made = dev.request("POST", "/v1/endpoints", json={"name": code_name, "url": receiver.url + "/worker"})
    assert made.status == 201, made.text
    return f"/compat/iron/2/projects/{project_id}", code_name


def iron(dev, method, path, json=None, *, oauth_header=True, **kw):
    headers = {"Accept": "application/json", **kw.pop("headers", {})}
    if oauth_header:
        headers["Authorization"] = f"OAuth {dev.api_key}"
    return dev.request(method, path, json=json, headers=headers, auth=False, **kw)


def test_queue_a_task_sample_is_run_and_readable(dev_server, receiver):
    base, code_name = _setup(dev_server, receiver)
    sample = {"tasks": [{"code_name": code_name, "payload": "{\"x\": \"abc\", \"y\": \"def\"}"}]}
    resp = iron(dev_server, "POST", base + "/tasks", sample)
    assert resp.status == 200, resp.text
    body = resp.json()
    assert body["msg"] == "Queued up" and set(body["tasks"][0]) == {"id"}
    (hit,) = receiver.wait_for(1, path="/worker")
    assert hit.method == "POST" and hit.body == b'{"x": "abc", "y": "def"}'
    task_id = body["tasks"][0]["id"]
    task = wait_until(lambda: iron(dev_server, "GET", f"{base}/tasks/{task_id}").json(),
                      lambda t: t["status"] == "complete")
    assert set(task) == TASK_KEYS and task["code_name"] == code_name and task["timeout"] == 3600
    assert isinstance(task["created_at"], int) and task["duration"] is not None
    listed = iron(dev_server, "GET", f"{base}/tasks?oauth={dev_server.api_key}&per_page=100", oauth_header=False)
    assert listed.status == 200 and task_id in [t["id"] for t in listed.json()["tasks"]]


def test_delayed_task_can_be_cancelled(dev_server, receiver):
    base, code_name = _setup(dev_server, receiver)
    resp = iron(dev_server, "POST", base + "/tasks", {"tasks": [{"code_name": code_name, "payload": "p", "delay": 3,
                                                                  "priority": 2, "timeout": 60}]})
    task_id = resp.json()["tasks"][0]["id"]
    assert iron(dev_server, "POST", f"{base}/tasks/{task_id}/cancel").json() == {"msg": "Cancelled"}
    assert iron(dev_server, "GET", f"{base}/tasks/{task_id}").json()["status"] == "cancelled"
    time.sleep(4)
    assert receiver.requests == []


def test_schedule_a_task_sample(dev_server, receiver):
    base, code_name = _setup(dev_server, receiver)
    sample = {"schedules": [{"delay": 2, "payload": "{\"x\": \"abc\", \"y\": \"def\"}", "name": "MyScheduledTask",
                             "code_name": code_name}]}  # fmt: skip
    asked = time.time()
    resp = iron(dev_server, "POST", base + "/schedules", sample)
    assert resp.status == 200, resp.text
    assert resp.json()["msg"] == "Scheduled"
    schedule_id = resp.json()["schedules"][0]["id"]
    (hit,) = receiver.wait_for(1, path="/worker")
    assert hit.received_at - asked >= 1.5 and hit.body == b'{"x": "abc", "y": "def"}'
    done = wait_until(lambda: iron(dev_server, "GET", f"{base}/schedules/{schedule_id}").json(),
                      lambda s: s["status"] == "complete")
    assert SCHEDULE_KEYS <= set(done) and done["run_count"] == 1 and done["msg"] == "Ran max times."
    assert done["delay"] == 2 and done["end_at"] == "2262-04-11T23:47:16Z"
    listed = iron(dev_server, "GET", f"{base}/schedules")
    assert schedule_id in [s["id"] for s in listed.json()["schedules"]]


def test_recurring_schedule_and_cancel(dev_server, receiver):
    base, code_name = _setup(dev_server, receiver)
    resp = iron(dev_server, "POST", base + "/schedules", {"schedules": [
        {"code_name": code_name, "payload": "r", "run_every": 3600, "run_times": 5, "start_at": "2030-01-01T00:00:00Z"}]})
    assert resp.status == 200, resp.text
    sid = resp.json()["schedules"][0]["id"]
    got = iron(dev_server, "GET", f"{base}/schedules/{sid}").json()
    assert got["status"] == "scheduled" and got["run_times"] == 5 and got["next_start"] == "2030-01-01T00:00:00Z"
    assert iron(dev_server, "POST", f"{base}/schedules/{sid}/cancel").json() == {"msg": "Cancelled"}
    assert iron(dev_server, "GET", f"{base}/schedules/{sid}").json()["status"] == "cancelled"


def test_errors(dev_server, receiver):
    base, code_name = _setup(dev_server, receiver)
    no_type = iron(dev_server, "POST", base + "/tasks", body=b'{"tasks": []}')
    assert no_type.status == 406 and "Content-Type" in no_type.json()["msg"]
    for body in [{"tasks": []}, {"tasks": [{"payload": "x"}]}, {"tasks": [{"code_name": code_name, "payload": 5}]},
                 {"tasks": [{"code_name": code_name, "priority": 3}]},
                 {"tasks": [{"code_name": code_name, "timeout": 3601}]}, [1]]:
        resp = iron(dev_server, "POST", base + "/tasks", body)
        assert resp.status == 406 and set(resp.json()) == {"msg"}, resp.text
    bad_sched = iron(dev_server, "POST", base + "/schedules", {"schedules": [{"code_name": code_name, "run_every": 5}]})
    assert bad_sched.status == 406 and set(bad_sched.json()) == {"msg"}
    unknown = iron(dev_server, "POST", base + "/tasks", {"tasks": [{"code_name": "NoSuchWorker"}]})
    assert unknown.status == 404 and set(unknown.json()) == {"msg"}
    assert iron(dev_server, "GET", base + "/tasks", oauth_header=False).status == 401
    assert iron(dev_server, "GET", "/compat/iron/2/projects/4eb1b46fcddb13606500000d/tasks").status == 404
    assert iron(dev_server, "GET", base + "/tasks/4eb1b471cddb136065000010").json() == {"msg": "Task not found"}
    assert iron(dev_server, "GET", base + "/tasks?per_page=101").status == 406
    assert iron(dev_server, "DELETE", base + "/tasks").status == 405
