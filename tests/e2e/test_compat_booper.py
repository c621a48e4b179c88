"""Booper compatibility (`/compat/booper`): the seed's request, verbatim, against `belltower dev`."""

from __future__ import annotations

import time

from tests.e2e.helpers import wait_until

BASE = "/compat/booper"
JOB_KEYS = {"id", "idempotency_key", "inserted_at", "name", "description", "user_id", "schedule_id", "job_id",
            "job", "args"}  # fmt: skip
INNER_JOB_KEYS = {"attempted_at", "cancelled_at", "completed_at", "discarded_at", "has_confict", "id",
                  "inserted_at", "scheduled_at", "state"}  # fmt: skip


def booper(dev, method, path, json=None, **kw):
    return dev.request(method, BASE + path, json=json, **kw)


def test_seed_example_verbatim_gets_the_documented_shape(dev_server):
    resp = booper(dev_server, "POST", "/api/jobs", {
        "method": "post",
        "url": "https://scheduler.booper.dev/api/broadcast",
        "body": {"content": "Testing 123", "channel": "discord"},
        "schedule_in": [30, "seconds"],
    })  # fmt: skip
    assert resp.status == 200, resp.text
    data = resp.json()["data"]
    assert set(data) == JOB_KEYS
    assert set(data["job"]) == INNER_JOB_KEYS
    assert data["job"]["state"] == "available" and data["job"]["has_confict"] is False
    assert data["schedule_id"] is None and data["idempotency_key"] is None
    assert data["args"] == {"body": {"content": "Testing 123", "channel": "discord"}, "headers": {},
                            "method": "post", "schedule_in": [30, "seconds"],
                            "url": "https://scheduler.booper.dev/api/broadcast"}  # fmt: skip
    assert len(data["inserted_at"]) == 19 and data["job"]["scheduled_at"].endswith("Z")
    # cancel it: it must not call the real Booper host
    gone = booper(dev_server, "DELETE", f"/api/jobs/{data['id']}")
    assert gone.status == 200 and gone.json()["data"]["job"]["state"] == "cancelled"
    assert gone.json()["data"]["job"]["cancelled_at"] is not None


def test_job_is_delivered_at_the_time_asked(dev_server, receiver):
    asked = time.time()
    resp = booper(dev_server, "POST", "/api/jobs", {
        "method": "post", "url": receiver.url + "/api/broadcast", "body": {"content": "Testing 123"},
        "headers": {"X-Team": "core"}, "query": {"a": "1"}, "schedule_in": [2, "seconds"],
    })  # fmt: skip
    assert resp.status == 200, resp.text
    (hit,) = receiver.wait_for(1, timeout=30)
    assert hit.method == "POST" and hit.json() == {"content": "Testing 123"}
    assert hit.header("x-team") == "core" and hit.query == {"a": ["1"]}
    assert hit.received_at - asked >= 1.5
    job_id = resp.json()["data"]["id"]
    done = wait_until(lambda: booper(dev_server, "GET", f"/api/jobs/{job_id}").json()["data"],
                      lambda d: d["job"]["state"] == "completed")
    assert done["job"]["completed_at"] and done["job"]["attempted_at"]
    assert done["args"]["headers"] == {"X-Team": "[redacted]"}


def test_default_method_is_get_and_scheduled_at_unix(dev_server, receiver):
    resp = booper(dev_server, "POST", "/api/jobs", {"url": receiver.url + "/get", "scheduled_at": int(time.time()) + 2})
    assert resp.status == 200, resp.text
    (hit,) = receiver.wait_for(1, timeout=30)
    assert hit.method == "GET" and hit.path == "/get"


def test_scheduled_at_string_and_callback(dev_server, receiver):
    at = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() + 3))
    resp = booper(dev_server, "POST", "/api/jobs", {"url": receiver.url + "/t", "method": "put",
                                                      "scheduled_at": at, "callback_url": receiver.url + "/cb"})
    assert resp.status == 200, resp.text
    assert resp.json()["data"]["job"]["scheduled_at"].startswith(at)
    receiver.wait_for(1, path="/t")
    (cb,) = receiver.wait_for(1, path="/cb", timeout=30)
    assert cb.method == "POST"


def test_repeat_every_and_webhook(dev_server, receiver):
    resp = booper(dev_server, "POST", "/api/jobs", {"url": receiver.url + "/r", "method": "post", "body": {"n": 1},
                                                      "repeat_every": [1, "minute"], "schedule_in": 2,
                                                      "webhook_url": receiver.url + "/events"})  # fmt: skip
    assert resp.status == 200, resp.text
    data = resp.json()["data"]
    assert data["schedule_id"] == data["id"] and data["args"]["repeat_every"] == [1, "minute"]
    receiver.wait_for(1, path="/r", timeout=30)
    events = receiver.wait_for(2, path="/events", timeout=30)
    assert [e.json()["type"] for e in events] == ["occurrence.started", "occurrence.succeeded"]
    assert booper(dev_server, "DELETE", f"/api/jobs/{data['id']}").status == 200


def test_cron_job_and_list(dev_server):
    resp = booper(dev_server, "POST", "/api/jobs", {"url": "https://example.com/x", "cron": "*/5 * * * *"})
    assert resp.status == 200, resp.text
    job = resp.json()["data"]
    listed = booper(dev_server, "GET", "/api/jobs")
    assert listed.status == 200
    assert job["id"] in [j["id"] for j in listed.json()["data"]]
    assert all(set(j) == JOB_KEYS for j in listed.json()["data"])
    booper(dev_server, "DELETE", f"/api/jobs/{job['id']}")


def test_idempotency_key_first_wins_until_it_executes(dev_server, receiver):
    key = f"k-{time.time()}"
    first = booper(dev_server, "POST", "/api/jobs", {"url": receiver.url + "/i", "schedule_in": 2,
                                                       "idempotency_key": key, "body": {"n": 1}})
    second = booper(dev_server, "POST", "/api/jobs", {"url": receiver.url + "/i", "schedule_in": 2,
                                                        "idempotency_key": key, "body": {"n": 2}})
    assert first.status == second.status == 200, second.text
    assert first.json()["data"]["id"] == second.json()["data"]["id"]
    assert second.json()["data"]["idempotency_key"] == key
    receiver.wait_for(1, path="/i")
    wait_until(lambda: booper(dev_server, "GET", f"/api/jobs/{first.json()['data']['id']}").json()["data"],
               lambda d: d["job"]["state"] == "completed")
    third = booper(dev_server, "POST", "/api/jobs", {"url": receiver.url + "/i", "schedule_in": 1,
                                                       "idempotency_key": key, "body": {"n": 3}})
    assert third.status == 200 and third.json()["data"]["id"] != first.json()["data"]["id"]
    hits = receiver.wait_for(2, path="/i")
    assert [h.json() for h in hits] == [{"n": 1}, {"n": 3}]


def test_errors_have_the_booper_shape(dev_server):
    cases = [
        ({"method": "post"}, "url"),
        ({"url": "ftp://x.example/a"}, "url"),
        ({"url": "https://example.com", "method": "head"}, "method"),
        ({"url": "https://example.com", "schedule_in": [5, "fortnights"]}, "schedule_in"),
        ({"url": "https://example.com", "scheduled_at": "yesterday"}, "scheduled_at"),
        ({"url": "https://example.com", "repeat_every": 5}, "repeat_every"),
        ({"url": "https://example.com", "cron": "nope"}, "cron"),
        ({"url": "https://example.com", "repeat_every": 60, "body": {"last": "$previous..body"}}, "body"),
        ({"url": "https://example.com", "repeat_every": 60, "body": {"$job": "id"}}, "body"),
    ]
    for body, field in cases:
        resp = booper(dev_server, "POST", "/api/jobs", body)
        assert resp.status == 422, (body, resp.text)
        assert list(resp.json()["errors"]) == [field], resp.text
    bad_json = booper(dev_server, "POST", "/api/jobs", body=b"{not json", headers={"Content-Type": "application/json"})
    assert bad_json.status == 400 and "detail" in bad_json.json()["errors"]
    unauth = booper(dev_server, "POST", "/api/jobs", {"url": "https://example.com"},
                    headers={"Authorization": "Bearer sk_public_20230921"})
    assert unauth.status == 401 and unauth.json() == {"errors": {"detail": "Unauthorized"}}
    missing = booper(dev_server, "GET", "/api/jobs/nope")
    assert missing.status == 404 and missing.json() == {"errors": {"detail": "Not Found"}}


def test_dynamic_fields_of_a_recurring_job(dev_server, receiver):
    receiver.program("/sync", [(200, {}, {"state": {"cursor": "c1"}, "synced": 3})])
    body = {"job": "$job.id", "run": "$job.occurrence_id", "cursor": "$state.cursor",
            "previous": {"status": "$previous.status_code", "synced": "$previous.body.synced"}}  # fmt: skip
    resp = booper(dev_server, "POST", "/api/jobs", {"method": "post", "url": receiver.url + "/sync", "body": body,
                                                      "repeat_every": [1, "hour"], "schedule_in": 2})  # fmt: skip
    assert resp.status == 200, resp.text
    job_id = resp.json()["data"]["id"]
    assert resp.json()["data"]["args"]["body"] == body
    (first,) = receiver.wait_for(1, path="/sync")
    assert first.json() == {"job": job_id, "run": first.header("idempotency-key"), "cursor": None,
                            "previous": {"status": None, "synced": None}}  # fmt: skip
    wait_until(lambda: dev_server.request("GET", f"/v1/schedules/{job_id}/occurrences").json()["data"],
               lambda occs: occs and occs[0]["state"] == "succeeded")
    # the next run (triggered now rather than waiting an hour) sees the first one's result
    assert dev_server.request("POST", f"/v1/schedules/{job_id}/trigger").status in (200, 201, 202)
    second = receiver.wait_for(2, path="/sync")[1]
    assert second.json() == {"job": job_id, "run": second.header("idempotency-key"), "cursor": "c1",
                             "previous": {"status": 200, "synced": 3}}  # fmt: skip
    assert second.header("content-type") == "application/json"
    assert booper(dev_server, "DELETE", f"/api/jobs/{job_id}").status == 200
