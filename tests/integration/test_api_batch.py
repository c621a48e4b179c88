"""`POST /v1/schedules/batch` through the Lambda handler, on moto."""

from __future__ import annotations

import pytest

from belltower.domain.errors import SchedulerUnavailable
from tests.support.app import DESTINATION, app  # noqa: F401  (fixture)

ONE = {"endpoint": DESTINATION, "delay": "1h"}


def batch(app, body, **kwargs):
    return app.call("POST", "/v1/schedules/batch", body, **kwargs)


def listed(app):
    return [s["id"] for s in app.call("GET", "/v1/schedules", query={"limit": "100"}).body["data"]]


def test_each_item_gets_its_own_result_in_order(app):
    # Given a batch mixing good items, bad ones and a repeated idempotency key
    resp = batch(app, {"schedules": [
        {**ONE, "name": "a"},
        {"endpoint": DESTINATION},
        {"endpoint_id": "ep_01KAQZ4T5V0000000000000000", "delay": "1h"},
        {**ONE, "idempotency_key": "k"},
        {**ONE, "idempotency_key": "k"},
        "not an object",
    ]})  # fmt: skip

    # Then the call succeeds and each result says what happened to its item
    assert resp.status == 200 and set(resp.body) == {"data"}
    data = resp.body["data"]
    assert [d["status"] for d in data] == [201, 422, 404, 201, 200, 400]
    assert data[0]["schedule"]["name"] == "a" and data[0]["schedule"]["object"] == "schedule"
    assert data[1]["error"]["code"] == "missing_timing" and set(data[1]) == {"status", "error"}
    assert (data[2]["error"]["code"], data[2]["error"]["param"]) == ("not_found", "endpoint_id")
    assert data[3]["schedule"]["id"] == data[4]["schedule"]["id"]
    assert data[5]["error"]["code"] == "invalid_json"
    # And only the good ones exist, each with its timer
    assert sorted(listed(app)) == sorted([data[0]["schedule"]["id"], data[3]["schedule"]["id"]])
    assert len(app.timers()) == 2


def test_a_hundred_schedules_fit_in_one_batch(app):
    resp = batch(app, {"schedules": [{**ONE, "name": f"s{i}"} for i in range(100)]})
    assert resp.status == 200 and [d["status"] for d in resp.body["data"]] == [201] * 100
    assert [d["schedule"]["name"] for d in resp.body["data"]] == [f"s{i}" for i in range(100)]
    assert len(listed(app)) == 100


@pytest.mark.parametrize(
    "body, code, param",
    [
        ({"schedules": [ONE] * 101}, "invalid_field", "schedules"),
        ({"schedules": []}, "invalid_field", "schedules"),
        ({"schedules": ONE}, "invalid_field", "schedules"),
        ({}, "invalid_field", "schedules"),
        ([ONE], "invalid_json", None),
        ({"schedules": [ONE], "dry_run": True}, "unknown_field", "dry_run"),
    ],
)
def test_a_malformed_batch_is_400_and_creates_nothing(app, body, code, param):
    resp = batch(app, body)
    assert (resp.status, resp.body["error"]["code"], resp.body["error"]["param"]) == (400, code, param)
    assert listed(app) == []


def test_the_idempotency_key_header_is_refused_on_a_batch(app):
    resp = batch(app, {"schedules": [ONE]}, headers={"Idempotency-Key": "k"})
    assert (resp.status, resp.body["error"]["param"]) == (400, "idempotency_key")
    assert listed(app) == []


def test_a_scheduler_outage_fails_the_items_not_the_call(app):
    class BrokenTimers:
        def put(self, spec):
            raise SchedulerUnavailable()

        def delete(self, name):
            raise SchedulerUnavailable()

    app.container.timers = BrokenTimers()
    resp = batch(app, {"schedules": [ONE, ONE]})
    assert resp.status == 200
    assert [(d["status"], d["error"]["code"]) for d in resp.body["data"]] == [(503, "scheduler_unavailable")] * 2
    assert listed(app) == []
