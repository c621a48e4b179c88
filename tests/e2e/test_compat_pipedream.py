"""Pipedream compatibility (`/compat/pipedream`): schedule, cancel, emitted events and the SSE stream."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

from tests.e2e.helpers import wait_until

BASE = "/compat/pipedream"


def pd(dev, method, path, json=None, secret=None, **kw):
    headers = {"x-pd-secret": dev.api_key if secret is None else secret, **kw.pop("headers", {})}
    return dev.request(method, BASE + path, json=json, headers=headers, auth=False, **kw)


def iso_in(seconds: float) -> str:
    """What JavaScript's `new Date(...).toISOString()` writes."""
    at = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def test_a_without_a_pipedream_profile_scheduling_says_so(dev_server):
    resp = pd(dev_server, "POST", "/schedule", {"timestamp": iso_in(60), "message": "hi"})
    assert resp.status == 400 and "pipedream" in resp.json()["errors"][0]


def test_schedule_delivers_the_emitted_payload_and_streams_it(dev_server, receiver):
    profile = dev_server.request("POST", "/v1/endpoints", json={"name": "pipedream", "url": receiver.url + "/pd"})
    assert profile.status == 201, profile.text
    timestamp = iso_in(2)
    message = {"name": "Luke", "nested": [1, 2]}
    asked = time.time()
    resp = pd(dev_server, "POST", "/schedule", {"timestamp": timestamp, "message": message})
    assert resp.status == 200, resp.text
    body = resp.json()
    assert set(body) == {"msg", "id"} and body["msg"] == "Successfully scheduled task"
    (hit,) = receiver.wait_for(1, path="/pd", timeout=30)
    assert hit.method == "POST" and hit.json() == {"message": message, "timestamp": timestamp, "id": body["id"]}
    assert hit.received_at - asked >= 1.5
    # the emitted event on the SSE stream, resumable with Last-Event-ID
    def read(last=None):
        headers = {"Last-Event-ID": last} if last else {}
        return pd(dev_server, "GET", "/sse", headers=headers)

    first = wait_until(read, lambda r: body["id"] in r.text, timeout=15)
    assert first.status == 200 and first.headers["content-type"].startswith("text/event-stream")
    messages = [m for m in first.text.split("\n\n") if "data: " in m]
    ours = [m for m in messages if body["id"] in m][0]
    data = json.loads(ours.split("data: ", 1)[1])
    assert data == {"message": message, "timestamp": timestamp, "id": body["id"]}
    event_id = ours.split("id: ", 1)[1].split("\n", 1)[0]
    assert body["id"] not in read(event_id).text
    assert body["id"] in read(None).text


def test_cancel(dev_server, receiver):
    dev_server.request("POST", "/v1/endpoints", json={"name": "pipedream", "url": receiver.url + "/pd"})
    task = pd(dev_server, "POST", "/schedule", {"timestamp": iso_in(3), "message": "never"}).json()
    resp = pd(dev_server, "POST", "/cancel", {"id": task["id"]})
    assert resp.status == 200, resp.text
    again = pd(dev_server, "POST", "/cancel", {"id": task["id"]})
    assert again.status == 404 and again.json() == {"errors": ["No event with id found"]}
    assert pd(dev_server, "POST", "/cancel", {"id": "nope"}).status == 404
    time.sleep(4)
    assert [r for r in receiver.requests if r.path == "/pd"] == []


def test_errors(dev_server):
    cases = [
        ({"message": "x"}, ["No timestamp included in payload"]),
        ({"timestamp": "next tuesday", "message": "x"}, ["timestamp must be in ISO 8601 format"]),
        ({"timestamp": iso_in(60)}, ["No message included in payload"]),
        ({}, ["No timestamp included in payload", "No message included in payload"]),
    ]
    for body, errors in cases:
        resp = pd(dev_server, "POST", "/schedule", body)
        assert resp.status == 400 and resp.json() == {"errors": errors}, resp.text
    wrong = pd(dev_server, "POST", "/schedule", {"timestamp": iso_in(60), "message": "x"}, secret="wrong-secret")
    assert wrong.status == 400 and wrong.json() == {"errors": [
        "Secret on incoming request doesn't match the configured secret"]}
    not_json = pd(dev_server, "POST", "/schedule", body=b"{{", headers={"Content-Type": "application/json"})
    assert not_json.status == 400 and len(not_json.json()["errors"]) == 2
    assert pd(dev_server, "GET", "/sse", headers={"Last-Event-ID": "garbage"}).status == 400
