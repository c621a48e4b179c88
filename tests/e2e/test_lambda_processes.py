"""`belltower dev --lambda-processes N`: the delivery function runs in worker processes (like Lambda
execution environments); delivery, retries (a direct invoke made inside a worker) and recurring
fires behave as on threads."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import running_dev_server
from tests.e2e.helpers import create, occurrences_when

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def dev_with_workers():
    with running_dev_server("--lambda-processes", "2") as server:
        yield server


def test_a_retried_delivery_runs_in_worker_processes(dev_with_workers, receiver):
    receiver.program("/flaky", [(500, {}, "boom"), (200, {}, "ok")])
    schedule = create(dev_with_workers, endpoint=f"{receiver.url}/flaky", delay="1s",
                      retry_policy={"base": "1s", "jitter": False})  # fmt: skip
    first, second = receiver.wait_for(2, timeout=20)
    assert [r.header("belltower-attempt") for r in (first, second)] == ["1", "2"]
    assert first.header("idempotency-key") == second.header("idempotency-key")
    [occ] = occurrences_when(dev_with_workers, schedule["id"], lambda d: d and d[0]["state"] == "succeeded")
    assert [a["status_code"] for a in occ["attempts"]] == [500, 200]


def test_a_burst_is_shared_by_the_workers(dev_with_workers, receiver):
    schedules = [create(dev_with_workers, endpoint=f"{receiver.url}/many", delay="2s") for _ in range(10)]
    receiver.wait_for(10, timeout=30)
    for schedule in schedules:
        occurrences_when(dev_with_workers, schedule["id"], lambda d: d and d[0]["state"] == "succeeded")


def test_fault_injection_refuses_worker_processes():
    from belltower.local.dev import run_dev

    with pytest.raises(ValueError, match="in-process"):
        run_dev(lambda_processes=2, faults=object())
