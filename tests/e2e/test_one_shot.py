"""One-shot schedules end to end: `belltower dev` (embedded AWS + local EventBridge) and a real receiver."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import boto3
import pytest
from standardwebhooks.webhooks import Webhook

from tests.e2e.helpers import create, occurrences_when, wait_until

pytestmark = pytest.mark.e2e


def epoch(rfc3339: str) -> float:
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


def test_a_delayed_post_arrives_on_time_signed_and_is_recorded(dev_server, receiver):
    # Given a receiver and a schedule 3 s out (fired by the local EventBridge stand-in's at())
    schedule = create(dev_server, endpoint=f"{receiver.url}/hook", delay="3s", body={"hello": "world"},
                      headers={"X-Token": "e2e-secret-value"})  # fmt: skip
    assert "e2e-secret-value" not in json.dumps(schedule)

    # When the time comes, the receiver gets exactly the scheduled request
    [request] = receiver.wait_for(1, timeout=15)
    assert request.method == "POST" and request.path == "/hook"
    assert request.json() == {"hello": "world"}
    assert request.header("content-type") == "application/json"
    assert request.header("x-token") == "e2e-secret-value"
    assert request.header("belltower-schedule-id") == schedule["id"]
    assert request.header("belltower-scheduled-for") == schedule["fire_at"]
    assert request.header("belltower-attempt") == "1"
    assert request.header("user-agent").startswith("Belltower/")
    lag = request.received_at - epoch(schedule["fire_at"])
    assert -0.05 <= lag < 1.5, f"delivered {lag:.3f}s after the fire time"

    # And the signature verifies with the project's secret and the standardwebhooks library
    secret = dev_server.request("GET", "/v1/project").json()["signing_secrets"][0]["secret"]
    Webhook(secret).verify(request.body, request.headers)

    # And the API shows the occurrence succeeded, with its attempt
    [occ] = occurrences_when(dev_server, schedule["id"], lambda d: d and d[0]["state"] == "succeeded")
    assert request.header("idempotency-key") == occ["id"]
    [attempt] = occ["attempts"]
    assert attempt["status_code"] == 200 and attempt["duration_ms"] >= 0
    got = dev_server.request("GET", f"/v1/schedules/{schedule['id']}").json()
    assert (got["state"], got["run_count"]) == ("completed", 1)


def test_a_500_is_retried_with_backoff_until_it_lands(dev_server, receiver):
    receiver.program("/flaky", [(500, {}, "boom"), (503, {}, "busy"), (200, {}, "ok")])
    schedule = create(dev_server, endpoint=f"{receiver.url}/flaky", delay="1s",
                      retry_policy={"base": "1s", "jitter": False})  # fmt: skip
    first, second, third = receiver.wait_for(3, timeout=20)
    assert len({r.header("idempotency-key") for r in (first, second, third)}) == 1
    assert [r.header("belltower-attempt") for r in (first, second, third)] == ["1", "2", "3"]
    # exponential: 1 s, then 2 s (EventBridge at() has one-second resolution)
    assert 0.9 <= second.received_at - first.received_at < 2.5
    assert 1.9 <= third.received_at - second.received_at < 3.5
    [occ] = occurrences_when(dev_server, schedule["id"], lambda d: d and d[0]["state"] == "succeeded")
    assert [a["status_code"] for a in occ["attempts"]] == [500, 503, 200]


def test_retry_after_is_honoured(dev_server, receiver):
    receiver.program("/busy", [(429, {"Retry-After": "3"}, ""), (200, {}, "")])
    create(dev_server, endpoint=f"{receiver.url}/busy", delay="1s", retry_policy={"base": "1s", "jitter": False})
    first, second = receiver.wait_for(2, timeout=15)
    assert second.received_at - first.received_at >= 2.9


def dead_letters(dev):
    sqs = boto3.client("sqs", endpoint_url=dev.aws_endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    url = sqs.get_queue_url(QueueName="belltower-local-dlq")["QueueUrl"]
    out = []
    for _ in range(5):
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        out += [json.loads(m["Body"]) for m in msgs]
    return out


def test_attempts_run_out_into_the_dead_letter_queue(dev_server, receiver):
    receiver.program("/down", [(500, {}, "down")])
    schedule = create(dev_server, endpoint=f"{receiver.url}/down", delay="1s",
                      retry_policy={"max_attempts": 3, "base": "1s", "jitter": False})  # fmt: skip
    receiver.wait_for(3, timeout=20)
    [occ] = occurrences_when(dev_server, schedule["id"], lambda d: d and d[0]["state"] == "dead_lettered")
    assert occ["outcome"] == "attempts_exhausted" and len(occ["attempts"]) == 3
    time.sleep(1.5)
    assert len(receiver.requests) == 3
    messages = [m for m in dead_letters(dev_server) if m.get("occurrence", {}).get("id") == occ["id"]]
    assert len(messages) == 1
    assert messages[0]["reason"] == "attempts_exhausted"
    assert messages[0]["schedule"]["endpoint"] == f"{receiver.url}/down"
    assert [a["status_code"] for a in messages[0]["occurrence"]["attempts"]] == [500, 500, 500]


def test_a_404_fails_at_once(dev_server, receiver):
    receiver.program("/gone", [(404, {}, "no such hook")])
    schedule = create(dev_server, endpoint=f"{receiver.url}/gone", delay="1s")
    [occ] = occurrences_when(dev_server, schedule["id"], lambda d: d and d[0]["state"] == "dead_lettered")
    assert occ["outcome"] == "non_retryable_status"
    assert occ["attempts"][0]["response_excerpt"] == "no such hook"
    assert len(receiver.requests) == 1


def test_ttl_ends_a_failing_occurrence_expired(dev_server, receiver):
    receiver.program("/late", [(500, {}, "")])
    schedule = create(dev_server, endpoint=f"{receiver.url}/late", delay="1s", ttl="2s",
                      retry_policy={"base": "5s", "jitter": False})  # fmt: skip
    [occ] = occurrences_when(dev_server, schedule["id"], lambda d: d and d[0]["state"] == "expired")
    assert occ["outcome"] == "ttl_expired" and len(occ["attempts"]) == 1


def test_cancel_before_the_fire_time_delivers_nothing(dev_server, receiver):
    schedule = create(dev_server, endpoint=f"{receiver.url}/never", delay="3s")
    resp = dev_server.request("DELETE", f"/v1/schedules/{schedule['id']}")
    assert resp.status == 200 and resp.json()["state"] == "cancelled"
    time.sleep(4.5)
    assert receiver.requests == []
    assert dev_server.request("GET", f"/v1/schedules/{schedule['id']}/occurrences").json()["data"] == []


def test_list_pages_with_a_cursor(dev_server, receiver):
    ids = [create(dev_server, endpoint=f"{receiver.url}/later", delay="1h")["id"] for _ in range(3)]
    page = dev_server.request("GET", "/v1/schedules?limit=2").json()
    assert page["has_more"] is True and [s["id"] for s in page["data"]] == ids[::-1][:2]
    rest = dev_server.request("GET", f"/v1/schedules?limit=2&cursor={page['next_cursor']}").json()
    assert rest["data"][0]["id"] == ids[0]
    for schedule_id in ids:
        dev_server.request("DELETE", f"/v1/schedules/{schedule_id}")


def test_keys_created_with_the_cli_against_the_embedded_aws_work_and_isolate_projects(dev_server, receiver):
    env = {**os.environ, "AWS_ENDPOINT_URL": dev_server.aws_endpoint, "BELLTOWER_TABLE": "belltower-local",
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    env.pop("AWS_PROFILE", None)
    cli = str(Path(sys.executable).with_name("belltower"))
    out = subprocess.run([cli, "keys", "create", "--project", "e2e-other", "--json"], env=env,
                         capture_output=True, text=True, timeout=60, check=True).stdout  # fmt: skip
    other_key = json.loads(out)["api_key"]
    mine = create(dev_server, endpoint=f"{receiver.url}/x", delay="1h")
    other = {"Authorization": f"Bearer {other_key}"}
    assert dev_server.request("GET", "/v1/project", headers=other).json()["name"] == "e2e-other"
    assert dev_server.request("GET", f"/v1/schedules/{mine['id']}", headers=other).status == 404
    listed = subprocess.run([cli, "keys", "list", "--project", "e2e-other", "--json"], env=env,
                            capture_output=True, text=True, timeout=60, check=True).stdout  # fmt: skip
    [meta] = json.loads(listed)
    subprocess.run([cli, "keys", "revoke", "--project", "e2e-other", meta["id"]], env=env,
                   capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    assert dev_server.request("GET", "/v1/project", headers=other).status == 401
    dev_server.request("DELETE", f"/v1/schedules/{mine['id']}")
