"""Recurring schedules end to end: the local EventBridge stand-in fires rate()/at() chains for real."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from tests.e2e.helpers import create, occurrences_when, wait_until

pytestmark = pytest.mark.e2e


def rfc3339(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_an_interval_schedule_fires_its_previewed_times_and_completes_after_max_runs(dev_server, receiver):
    start = (datetime.now(timezone.utc) + timedelta(seconds=3)).replace(microsecond=0)
    schedule = create(dev_server, endpoint=f"{receiver.url}/tick", every="1m", start_at=rfc3339(start),
                      max_runs=1)  # fmt: skip
    preview = dev_server.request("GET", f"/v1/schedules/{schedule['id']}/preview?limit=5").json()
    assert [r["at"] for r in preview["runs"]] == [rfc3339(start)]  # max_runs bounds it

    [request] = receiver.wait_for(1, timeout=15)
    assert request.header("belltower-scheduled-for") == rfc3339(start)
    assert abs(request.received_at - start.timestamp()) < 1.5
    wait_until(lambda: dev_server.request("GET", f"/v1/schedules/{schedule['id']}").json(),
               lambda s: s["state"] == "completed" and s["run_count"] == 1)  # fmt: skip
    [occ] = occurrences_when(dev_server, schedule["id"], lambda d: d and d[0]["state"] == "succeeded")
    assert occ["scheduled_for"] == rfc3339(start)


def test_a_seconds_interval_runs_as_a_chain_of_one_time_schedules(dev_server, receiver):
    start = (datetime.now(timezone.utc) + timedelta(seconds=2)).replace(microsecond=0)
    schedule = create(dev_server, endpoint=f"{receiver.url}/chain", every="61s", start_at=rfc3339(start))
    [request] = receiver.wait_for(1, timeout=15)
    assert request.header("belltower-scheduled-for") == rfc3339(start)
    # the next link is armed at start + 61 s
    got = wait_until(lambda: dev_server.request("GET", f"/v1/schedules/{schedule['id']}").json(),
                     lambda s: s["run_count"] == 1)  # fmt: skip
    assert got["next_fire_at"] == rfc3339(start + timedelta(seconds=61))
    dev_server.request("DELETE", f"/v1/schedules/{schedule['id']}")
    time.sleep(0.5)
    assert len(receiver.requests) == 1
