"""IronWorker compatibility (`/compat/iron/2`): the seed's request samples against `belltower dev`."""

from __future__ import annotations

import time
import uuid

from tests.e2e.helpers import wait_until

TASK_KEYS = {"id", "created_at", "updated_at", "project_id", "code_id", "status", "code_name", "start_time",
             "end_time", "duration", "run_times", "timeout", "priority"}  # fmt: skip
SCHEDULE_KEYS = {"id", "created_at", "updated_at", "project_id", "status", "code_name", "start_at", "end_at",
                 "next_start", "last_run_time", "run_times", "run_count", "priority"}  # fmt: skip


CODE_KEYS = {"id", "Timestamper", "project_id", "name", "runtime", "latest_checksum", "rev", "latest_history_id",
             "latest_change"}  # fmt: skip
REVISION_KEYS = {"id", "Timestamper", "code_id", "project_id", "rev", "runtime", "name", "file_name", "last_email"}


def _setup(dev, receiver, **profile):
    project_id = dev.request("GET", "/v1/project").json()["id"]
    code_name = f"MyWorker-{uuid.uuid4().hex[:8]}"
    made = dev.request("POST", "/v1/endpoints", json={"name": code_name, "url": receiver.url + "/worker", **profile})
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


def test_code_packages_are_the_endpoint_profiles(dev_server, receiver):
    base, code_name = _setup(dev_server, receiver)
    listed = iron(dev_server, "GET", base + "/codes?per_page=100")
    assert listed.status == 200, listed.text
    (code,) = [c for c in listed.json()["codes"] if c["name"] == code_name]
    assert set(code) == CODE_KEYS and code["rev"] == 1 and code["runtime"] == "http"
    assert code["id"].startswith("ep_") and set(code["Timestamper"]) == {"created_at", "updated_at"}
    assert iron(dev_server, "GET", f"{base}/codes/{code['id']}").json() == code
    revisions = iron(dev_server, "GET", f"{base}/codes/{code['id']}/revisions").json()["revisions"]
    assert [set(r) for r in revisions] == [REVISION_KEYS] and revisions[0]["code_id"] == code["id"]
    # an edit of the profile is a new revision
    assert dev_server.request("PATCH", f"/v1/endpoints/{code['id']}", json={"timeout": "10s"}).status == 200
    edited = iron(dev_server, "GET", f"{base}/codes/{code['id']}").json()
    assert edited["rev"] == 2 and edited["latest_checksum"] != code["latest_checksum"]
    download = iron(dev_server, "GET", f"{base}/codes/{code['id']}/download")
    assert download.status == 400 and "Belltower delivers to HTTP endpoints" in download.json()["msg"]
    assert iron(dev_server, "GET", f"{base}/codes/4ea9c05dcddb131f1a000002").json() == {"msg": "Code package not found"}


def test_upload_sample_is_refused_with_a_clear_message(dev_server, receiver):
    base, _ = _setup(dev_server, receiver)
    boundary = "39f5903459794ad483153244cc6486ec"
    sample = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"data\"\r\n"
              "Content-Type: text/plain; charset=utf-8\r\n\r\n"
              '{\n    "file_name": "MyWorker.rb",\n    "name": "MyWorker",\n    "runtime": "ruby"\n}\r\n'
              f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"MyWorker.zip\"\r\n"
              "Content-Type: application/zip\r\n\r\nPK\x03\x04 zip data\r\n"
              f"--{boundary}--\r\n").encode()  # fmt: skip
    resp = iron(dev_server, "POST", base + "/codes", body=sample,
                headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert resp.status == 400 and set(resp.json()) == {"msg"}, resp.text
    assert "Belltower delivers to HTTP endpoints" in resp.json()["msg"] and "POST /v1/endpoints" in resp.json()["msg"]
    assert iron(dev_server, "POST", base + "/codes", body=sample, oauth_header=False).status == 401


def test_delete_a_code_package(dev_server, receiver):
    base, code_name = _setup(dev_server, receiver)
    code_id = next(c["id"] for c in iron(dev_server, "GET", base + "/codes?per_page=100").json()["codes"]
                   if c["name"] == code_name)  # fmt: skip
    queued = iron(dev_server, "POST", base + "/tasks", {"tasks": [{"code_name": code_name, "delay": 600}]})
    task_id = queued.json()["tasks"][0]["id"]
    in_use = iron(dev_server, "DELETE", f"{base}/codes/{code_id}")
    assert in_use.status == 406 and "cannot be deleted" in in_use.json()["msg"], in_use.text
    iron(dev_server, "POST", f"{base}/tasks/{task_id}/cancel")
    assert iron(dev_server, "DELETE", f"{base}/codes/{code_id}").json() == {"msg": "Deleted"}
    assert iron(dev_server, "GET", f"{base}/codes/{code_id}").status == 404
    assert iron(dev_server, "POST", base + "/tasks", {"tasks": [{"code_name": code_name}]}).status == 404


def test_queue_a_task_from_a_webhook(dev_server, receiver):
    base, code_name = _setup(dev_server, receiver)
    hook = b'{"ref": "refs/heads/main", "commits": [{"id": "4f3595381cf75447be029da5"}]}'
    asked = time.time()
    resp = iron(dev_server, "POST", f"{base}/tasks/webhook?code_name={code_name}&oauth={dev_server.api_key}",
                body=hook, headers={"Content-Type": "application/x-www-form-urlencoded"}, oauth_header=False)
    assert resp.status == 200, resp.text
    assert set(resp.json()) == {"id", "msg"} and resp.json()["msg"] == "Queued up."
    (hit,) = receiver.wait_for(1, path="/worker")
    assert hit.body == hook and hit.method == "POST" and hit.received_at - asked < 5
    task = wait_until(lambda: iron(dev_server, "GET", f"{base}/tasks/{resp.json()['id']}").json(),
                      lambda t: t["status"] == "complete")
    assert task["code_name"] == code_name


def test_webhook_errors(dev_server, receiver):
    base, code_name = _setup(dev_server, receiver)
    missing = iron(dev_server, "POST", base + "/tasks/webhook", body=b"x")
    assert missing.status == 406 and "code_name" in missing.json()["msg"]
    assert iron(dev_server, "POST", base + "/tasks/webhook?code_name=NoSuchWorker", body=b"x").status == 404
    big = iron(dev_server, "POST", f"{base}/tasks/webhook?code_name={code_name}", body=b"x" * (64 * 1024 + 1))
    assert big.status == 406 and "64KB" in big.json()["msg"]
    binary = iron(dev_server, "POST", f"{base}/tasks/webhook?code_name={code_name}", body=b"\xff\xfe")
    assert binary.status == 406 and set(binary.json()) == {"msg"}
    time.sleep(1.5)
    assert receiver.requests == []


def test_task_log_shows_each_attempt(dev_server, receiver):
    base, code_name = _setup(dev_server, receiver, retry_policy={"base": "1s", "jitter": False})
    receiver.program("/worker", [(503, {}, b"busy"), (200, {}, b"Hello World!")])
    resp = iron(dev_server, "POST", base + "/tasks", {"tasks": [{"code_name": code_name, "payload": "p"}]})
    task_id = resp.json()["tasks"][0]["id"]
    receiver.wait_for(2, path="/worker")
    wait_until(lambda: iron(dev_server, "GET", f"{base}/tasks/{task_id}").json(), lambda t: t["status"] == "complete")
    log = iron(dev_server, "GET", f"{base}/tasks/{task_id}/log")
    assert log.status == 200 and log.headers["content-type"].startswith("text/plain"), log.text
    lines = log.text.splitlines()
    assert "attempt 1: HTTP 503 in" in lines[0] and lines[1] == "  busy"
    assert "attempt 2: HTTP 200 in" in lines[2] and lines[3] == "  Hello World!"
    assert lines[4].endswith(" complete") and len(lines) == 5
    queued = iron(dev_server, "POST", base + "/tasks", {"tasks": [{"code_name": code_name, "delay": 600}]})
    pending = iron(dev_server, "GET", f"{base}/tasks/{queued.json()['tasks'][0]['id']}/log")
    assert pending.status == 200 and " queued to run at " in pending.text
    iron(dev_server, "POST", f"{base}/tasks/{queued.json()['tasks'][0]['id']}/cancel")
    assert iron(dev_server, "GET", f"{base}/tasks/4eb1b471cddb136065000010/log").json() == {"msg": "Task not found"}


def test_set_a_tasks_progress(dev_server, receiver):
    base, code_name = _setup(dev_server, receiver)
    queued = iron(dev_server, "POST", base + "/tasks", {"tasks": [{"code_name": code_name, "delay": 600}]})
    task_id = queued.json()["tasks"][0]["id"]
    sample = {"percent": 25, "msg": "Any message goes here."}
    resp = iron(dev_server, "POST", f"{base}/tasks/{task_id}/progress", sample)
    assert resp.status == 200 and resp.json() == {"msg": "Progress set"}, resp.text
    task = iron(dev_server, "GET", f"{base}/tasks/{task_id}").json()
    assert task["percent"] == 25 and task["msg"] == "Any message goes here." and task["status"] == "queued"
    listed = iron(dev_server, "GET", f"{base}/tasks?per_page=100").json()["tasks"]
    assert next(t for t in listed if t["id"] == task_id)["percent"] == 25
    native = dev_server.request("GET", f"/v1/schedules/{task_id}").json()
    assert native["metadata"]["iron"]["progress"] == sample
    for bad in ({"percent": 101}, {"percent": "50"}, {"msg": 5}, {}, {"percent": 5, "eta": 3}, [25]):
        refused = iron(dev_server, "POST", f"{base}/tasks/{task_id}/progress", bad)
        assert refused.status == 406 and set(refused.json()) == {"msg"}, (bad, refused.text)
    long = iron(dev_server, "POST", f"{base}/tasks/{task_id}/progress", {"msg": "x" * 5000})
    assert long.status == 406 and "msg" in long.json()["msg"]
    no_type = iron(dev_server, "POST", f"{base}/tasks/{task_id}/progress", body=b'{"percent": 5}')
    assert no_type.status == 406 and "Content-Type" in no_type.json()["msg"]
    iron(dev_server, "POST", f"{base}/tasks/{task_id}/cancel")
    finished = iron(dev_server, "POST", f"{base}/tasks/{task_id}/progress", sample)
    assert finished.status == 406 and "cancelled" in finished.json()["msg"]


def test_progress_while_the_task_runs(dev_server, receiver):
    """The worker (the receiver) reports progress while it handles the request."""
    base, code_name = _setup(dev_server, receiver)
    receiver.program("/worker", [(200, {}, b"done")], hang=3.0)
    task_id = iron(dev_server, "POST", base + "/tasks", {"tasks": [{"code_name": code_name}]}).json()["tasks"][0]["id"]
    receiver.wait_for(1, path="/worker")
    assert iron(dev_server, "GET", f"{base}/tasks/{task_id}").json()["status"] == "running"
    resp = iron(dev_server, "POST", f"{base}/tasks/{task_id}/progress", {"percent": 90, "msg": "almost"})
    assert resp.json() == {"msg": "Progress set"}, resp.text
    done = wait_until(lambda: iron(dev_server, "GET", f"{base}/tasks/{task_id}").json(),
                      lambda t: t["status"] == "complete")
    assert done["percent"] == 90 and done["msg"] == "almost"
    late = iron(dev_server, "POST", f"{base}/tasks/{task_id}/progress", {"percent": 100})
    assert late.status == 406 and "complete" in late.json()["msg"]


def test_requests_are_limited_to_64_kb(dev_server, receiver):
    base, code_name = _setup(dev_server, receiver)
    payload = "x" * (64 * 1024 - 100)  # the payload fits; the request around it does not
    resp = iron(dev_server, "POST", base + "/tasks", {"tasks": [{"code_name": code_name, "payload": payload}] * 2})
    assert resp.status == 406 and "64KB" in resp.json()["msg"]
