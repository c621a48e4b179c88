"""The schedule lifecycle end to end: `belltower dev` and a real receiver.

Endpoint profiles, idempotency keys, batches, signing-secret rotation, the event feed, webhooks
and callbacks.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from standardwebhooks.webhooks import Webhook

from tests.e2e.test_one_shot import create, wait_until

pytestmark = pytest.mark.e2e


def test_an_endpoint_profile_is_applied_at_delivery_and_its_edits_reach_later_deliveries(dev_server, receiver):
    # Given a profile for the receiver, with a secret header and a method
    resp = dev_server.request("POST", "/v1/endpoints", json={
        "name": "receiver", "url": f"{receiver.url}/v1", "method": "PUT", "headers": {"X-Token": "t-1"}})  # fmt: skip
    assert resp.status == 201, resp.text
    endpoint = resp.json()
    assert "t-1" not in resp.text

    # When a schedule uses it, its delivery goes to the profile's URL with its method and header
    first = create(dev_server, endpoint_id=endpoint["id"], delay="1s", body={"n": 1})
    [request] = receiver.wait_for(1, timeout=15)
    assert (request.method, request.path, request.header("x-token")) == ("PUT", "/v1", "t-1")
    assert request.json() == {"n": 1}

    # And while it is active the profile cannot be deleted
    later = create(dev_server, endpoint_id=endpoint["id"], delay="1h")
    assert dev_server.request("DELETE", f"/v1/endpoints/{endpoint['id']}").status == 409

    # When the profile is edited, the next delivery follows the edit
    patched = dev_server.request("PATCH", f"/v1/endpoints/{endpoint['id']}",
                                 json={"url": f"{receiver.url}/v2", "headers": {"X-Token": "t-2"}})  # fmt: skip
    assert patched.status == 200, patched.text
    second = create(dev_server, endpoint_id=endpoint["id"], delay="1s")
    [_, moved] = receiver.wait_for(2, timeout=15)
    assert (moved.path, moved.header("x-token")) == ("/v2", "t-2")

    # And once nothing uses it any more (delivered ones completed, the pending one cancelled), it can go
    for schedule in (first, second):
        wait_until(lambda: dev_server.request("GET", f"/v1/schedules/{schedule['id']}").json()["state"],
                   lambda state: state == "completed")  # fmt: skip
    dev_server.request("DELETE", f"/v1/schedules/{later['id']}")
    deleted = dev_server.request("DELETE", f"/v1/endpoints/{endpoint['id']}")
    assert (deleted.status, deleted.json()["deleted"]) == (200, True)
    assert dev_server.request("GET", f"/v1/endpoints/{endpoint['id']}").status == 404


def test_an_idempotency_key_makes_retried_and_concurrent_requests_create_one_schedule(dev_server, receiver):
    key = f"order-{uuid.uuid4()}"
    body = {"endpoint": f"{receiver.url}/once", "delay": "2s", "body": {"order": key}}
    answers = []

    def send():
        answers.append(dev_server.request("POST", "/v1/schedules", json=body, headers={"Idempotency-Key": key}))

    # When a client sends the same keyed request from five threads at once
    clients = [threading.Thread(target=send) for _ in range(5)]
    for client in clients:
        client.start()
    for client in clients:
        client.join(30)

    # Then one was created and four replayed it, and one delivery arrives
    assert sorted(a.status for a in answers) == [200, 200, 200, 200, 201]
    assert {a.json()["id"] for a in answers} == {answers[0].json()["id"]}
    assert sorted(a.headers.get("idempotent-replayed", "-") for a in answers) == ["-"] + ["true"] * 4
    receiver.wait_for(1, timeout=15)
    time.sleep(1)
    assert len(receiver.requests) == 1

    # And the same key with another body is refused
    reused = dev_server.request("POST", "/v1/schedules", json={**body, "delay": "5s"}, headers={"Idempotency-Key": key})
    assert (reused.status, reused.json()["error"]["code"]) == (409, "idempotency_key_reused")


def test_a_batch_creates_each_good_schedule_and_reports_each_bad_one(dev_server, receiver):
    resp = dev_server.request("POST", "/v1/schedules/batch", json={"schedules": [
        {"endpoint": f"{receiver.url}/b1", "delay": "1s"},
        {"endpoint": "http://example.com/insecure", "delay": "1s"},
        {"endpoint": f"{receiver.url}/b2", "delay": "2s"},
    ]})  # fmt: skip
    assert resp.status == 200, resp.text
    data = resp.json()["data"]
    assert [d["status"] for d in data] == [201, 422, 201]
    assert data[1]["error"]["code"] == "insecure_url"
    delivered = receiver.wait_for(2, timeout=15)
    assert sorted(r.path for r in delivered) == ["/b1", "/b2"]


def test_after_a_rotation_deliveries_verify_with_the_new_and_the_old_secret(dev_server, receiver):
    old = dev_server.request("GET", "/v1/project").json()["signing_secrets"][0]["secret"]
    resp = dev_server.request("POST", "/v1/project/signing-secret/rotate")
    assert resp.status == 200, resp.text
    current, previous = resp.json()["signing_secrets"][:2]
    assert previous["secret"] == old and previous["expires_at"] is not None and current["expires_at"] is None

    create(dev_server, endpoint=f"{receiver.url}/signed", delay="1s", body={"x": 1})
    [request] = receiver.wait_for(1, timeout=15)
    Webhook(current["secret"]).verify(request.body, request.headers)
    Webhook(old).verify(request.body, request.headers)


def read_feed(dev, after=None):
    """Every event after `after` that the feed shows now, following next_cursor."""
    out = []
    while True:
        query = "limit=100" + (f"&after={after}" if after else "")
        page = dev.request("GET", f"/v1/events?{query}").json()
        out += page["data"]
        if not page["has_more"]:
            return out
        after = page["next_cursor"]


def test_a_consumer_tails_the_event_feed_as_deliveries_happen(dev_server, receiver):
    # Given a consumer at the end of the feed
    seen = read_feed(dev_server)
    cursor = seen[-1]["id"] if seen else None

    # When a schedule fails once, then succeeds
    receiver.program("/tail", [(500, {}, "no"), (200, {}, "ok")])
    schedule = create(dev_server, endpoint=f"{receiver.url}/tail", delay="1s",
                      retry_policy={"base": "1s", "jitter": False})  # fmt: skip

    # Then tailing from its cursor shows that schedule's events, in order
    def mine():
        return [e for e in read_feed(dev_server, cursor) if e["data"]["schedule_id"] == schedule["id"]]

    events = wait_until(mine, lambda got: len(got) == 4, timeout=20)
    assert [e["type"] for e in events] == ["occurrence.started", "occurrence.retrying", "occurrence.succeeded",
                                           "schedule.completed"]  # fmt: skip
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    assert events[1]["data"]["status_code"] == 500 and events[2]["data"]["status_code"] == 200


def test_webhooks_and_callbacks_reach_their_receivers_signed(dev_server, receiver):
    secret = dev_server.request("GET", "/v1/project").json()["signing_secrets"][0]["secret"]
    urls = {"webhook_url": f"{receiver.url}/events", "callback_url": f"{receiver.url}/result",
            "failure_callback_url": f"{receiver.url}/failed"}  # fmt: skip

    # Given one schedule that succeeds and one that is refused (404) by its destination
    receiver.program("/gone", [(404, {"X-Reason": "gone"}, "no such thing")])
    ok = create(dev_server, endpoint=f"{receiver.url}/ok", delay="1s", **urls)
    gone = create(dev_server, endpoint=f"{receiver.url}/gone", delay="1s", **urls)

    # Then the webhook receives each lifecycle event of both, signed
    hooks = receiver.wait_for(6, timeout=20, path="/events")
    for request in hooks:
        Webhook(secret).verify(request.body, request.headers)
    by_schedule = {}
    for request in hooks:
        event = request.json()
        assert request.header("webhook-id") == event["id"] and event["object"] == "event"
        by_schedule.setdefault(event["data"]["schedule_id"], set()).add(event["type"])
    assert by_schedule == {
        ok["id"]: {"occurrence.started", "occurrence.succeeded", "schedule.completed"},
        gone["id"]: {"occurrence.started", "occurrence.dead_lettered", "schedule.completed"},
    }

    # And each result reaches callback_url; only the failure reaches failure_callback_url
    results = {r.json()["data"]["schedule_id"]: r for r in receiver.wait_for(2, timeout=20, path="/result")}
    [failure] = receiver.wait_for(1, timeout=20, path="/failed")
    for request in (*results.values(), failure):
        Webhook(secret).verify(request.body, request.headers)
    assert results[ok["id"]].json()["type"] == "occurrence.succeeded"
    refused = results[gone["id"]].json()["data"]
    assert (refused["state"], refused["status_code"], refused["body_excerpt"]) == ("dead_lettered", 404, "no such thing")
    assert refused["response_headers"]["x-reason"] == "gone"
    assert failure.json()["data"]["schedule_id"] == gone["id"]

    # And the occurrence records that its callbacks were delivered
    occ = wait_until(lambda: dev_server.request("GET", f"/v1/schedules/{gone['id']}/occurrences").json()["data"][0],
                     lambda o: {v["status"] for v in o["callbacks"].values()} == {"delivered"})  # fmt: skip
    assert set(occ["callbacks"]) == {"callback", "failure_callback"}
