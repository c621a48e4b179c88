"""Small helpers of the end-to-end tests: polling the API until something has happened."""

from __future__ import annotations

import time


def wait_until(fetch, done, timeout=30.0, interval=0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s; last value: {value}")
        time.sleep(interval)


def create(dev, **fields):
    resp = dev.request("POST", "/v1/schedules", json=fields)
    assert resp.status == 201, resp.text
    return resp.json()


def occurrences_when(dev, schedule_id, done, timeout=30.0):
    return wait_until(lambda: dev.request("GET", f"/v1/schedules/{schedule_id}/occurrences").json()["data"],
                      done, timeout)  # fmt: skip
