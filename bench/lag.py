"""Dispatch lag in local mode: many one-shots due at the same second, delivered to a receiver.

The schedules are created ahead of time by the *service layer* (`schedules.create_schedule`)
running in this process against the embedded AWS of a `belltower dev` subprocess: the same
DynamoDB item and EventBridge `at()` schedule the API would write, without paying the API
function per schedule (the API is measured on its own by `bench.api`). They are all due at one
whole second T, chosen so that creating them finishes before T. The stand-in in `belltower dev`
fires each at T; the lag of a delivery is the receiver's arrival time minus its
`Belltower-Scheduled-For` header.

Also measured: "isolated" lag, a few one-shots half a second apart, so none queues behind
another: the overhead of one delivery when the machine is idle.
"""

from __future__ import annotations

import math
import os
import threading
import time
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import datetime
from typing import Any

from bench.devserver import DevServer
from bench.receiver import Receiver
from bench.stats import summary

CREATE_THREADS = 8
CREATE_PROCESSES = 2


class ServiceLayerCreator:
    """Creates schedules through `belltower.service.schedules` against a dev server's AWS, on
    CREATE_THREADS threads, and with `processes` > 1 on that many processes (each with its threads),
    so that creating a large burst is bound by the embedded AWS rather than by this interpreter."""

    def __init__(self, aws_endpoint: str, api_key: str, processes: int = 1) -> None:
        from belltower.local.aws import apply_environment, discover_local_settings, fake_aws_environment

        apply_environment(fake_aws_environment(aws_endpoint))  # this process: the embedded AWS only
        self._settings = discover_local_settings(aws_endpoint)
        self._api_key = api_key
        self._local = threading.local()
        # One pool for the whole run: each thread keeps its container (a new thread would build
        # a boto3 session and authenticate first, which made the rate calibration ~2× too slow).
        self.pool = ThreadPoolExecutor(CREATE_THREADS, thread_name_prefix="bench-create")
        self.process_count, self.processes = processes, None
        if processes > 1:
            self.processes = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_start_creator, initargs=(aws_endpoint, api_key))  # fmt: skip

    def close(self) -> None:
        self.pool.shutdown()
        if self.processes is not None:
            self.processes.shutdown()

    def _context(self) -> tuple[Any, dict[str, Any]]:
        if not hasattr(self._local, "container"):
            from belltower.service.keys import authenticate
            from belltower.wiring import Container

            container = Container(self._settings, invoker_override=_NoDirectInvoke())
            self._local.container = container
            self._local.project = authenticate(container.store, f"Bearer {self._api_key}")
        return self._local.container, self._local.project

    def create(self, body: dict[str, Any]) -> str:
        from belltower.service.schedules import create_schedule

        container, project = self._context()
        created = create_schedule(container, project, body)
        return getattr(created, "schedule", created).id  # a `Created` (or, before it, the Schedule)


class _NoDirectInvoke:
    def invoke_delivery(self, event: dict[str, Any]) -> None:
        raise RuntimeError("a benchmark schedule was due too soon to be armed in EventBridge")


_creator: ServiceLayerCreator | None = None


def _start_creator(aws_endpoint: str, api_key: str) -> None:
    global _creator
    _creator = ServiceLayerCreator(aws_endpoint, api_key)


def _create_chunk(bodies: list[dict[str, Any]]) -> int:
    assert _creator is not None
    return len(list(_creator.pool.map(_creator.create, bodies)))


def create_many(creator: ServiceLayerCreator, bodies: list[dict[str, Any]]) -> float:
    """Create all (on the creator's threads or processes); returns the seconds it took."""
    started = time.monotonic()
    if creator.processes is None:
        for _ in creator.pool.map(creator.create, bodies):
            pass
    else:
        size = max(10, math.ceil(len(bodies) / (creator.process_count * CREATE_THREADS)))
        chunks = [bodies[i:i + size] for i in range(0, len(bodies), size)]
        for _ in creator.processes.map(_create_chunk, chunks):
            pass
    return time.monotonic() - started


def _parse(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def measure_burst(dev: DevServer, receiver: Receiver, creator: ServiceLayerCreator, count: int,
                  *, drain_cap: float, path: str) -> dict[str, Any]:  # fmt: skip
    """`count` one-shots due at one second; lag percentiles and the time to drain them all."""
    # Calibrate the create rate on a few schedules due far away (they never fire in the run).
    far = int(time.time()) + 3 * 3600
    sample = min(100, count)
    far_bodies = [{"endpoint": receiver.url + "/far", "fire_at": far}] * sample
    create_many(creator, far_bodies)  # warms every creating thread up
    rate = sample / create_many(creator, far_bodies)
    due = int(time.time() + count / rate * 1.1 + 6)
    body = {"endpoint": receiver.url + path, "fire_at": due, "body": {"bench": "burst"}}
    create_seconds = create_many(creator, [body] * count)
    slack = due - time.time()
    if slack < 2.5:
        raise RuntimeError(f"creating {count} schedules ended {slack:.1f}s before they were due; "
                           "the burst would be smeared (machine too busy?)")  # fmt: skip
    before = len([d for d in receiver.snapshot() if d.path == path])
    deadline = due + drain_cap
    while time.time() < deadline:
        got = len([d for d in receiver.snapshot() if d.path == path]) - before
        if got >= count:
            break
        time.sleep(0.2)
    deliveries = [d for d in receiver.snapshot() if d.path == path]
    lags = [d.received_at - _parse(d.scheduled_for) for d in deliveries]
    keys = {d.key for d in deliveries}
    result = {
        "count": count,
        "create_seconds": create_seconds,
        "create_rate": count / create_seconds,
        "delivered": len(keys),
        "requests": len(deliveries),
        "lag": summary(lags),
        "drain_seconds": (max(d.received_at for d in deliveries) - due) if deliveries else math.nan,
        "first_seconds": (min(d.received_at for d in deliveries) - due) if deliveries else math.nan,
        "complete": len(keys) >= count,
        "drain_cap": drain_cap,
    }
    if deliveries:
        span = max(d.received_at for d in deliveries) - min(d.received_at for d in deliveries)
        result["throughput"] = len(deliveries) / span if span > 0 else math.nan
    return result


def measure_isolated(receiver: Receiver, creator: ServiceLayerCreator, count: int = 20,
                     path: str = "/isolated") -> dict[str, Any]:  # fmt: skip
    """One-shots 0.5 s apart (fire_at with milliseconds): no queueing, just the overhead."""
    start = int(time.time()) + 6
    bodies = [{"endpoint": receiver.url + path,
               "fire_at": _rfc3339(start + i * 0.5)} for i in range(count)]  # fmt: skip
    create_many(creator, bodies)
    deadline = start + count * 0.5 + 30
    while time.time() < deadline and len([d for d in receiver.snapshot() if d.path == path]) < count:
        time.sleep(0.2)
    deliveries = [d for d in receiver.snapshot() if d.path == path]
    return {"count": count, "delivered": len(deliveries),
            "lag": summary(d.received_at - _parse(d.scheduled_for) for d in deliveries)}  # fmt: skip


def _rfc3339(epoch: float) -> str:
    from datetime import timezone

    moment = datetime.fromtimestamp(epoch, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def run(counts: list[int], drain_cap: float = 240.0, isolated: int = 20, lambda_processes: int = 0) -> dict[str, Any]:
    results: dict[str, Any] = {"bursts": [], "isolated": None, "dev_cpu_note": None,
                               "lambda_processes": lambda_processes}  # fmt: skip
    with Receiver() as receiver, DevServer("bench-lag-dev.log", lambda_processes=lambda_processes) as dev:
        creator = ServiceLayerCreator(dev.aws_endpoint, dev.api_key, processes=CREATE_PROCESSES)
        results["isolated"] = measure_isolated(receiver, creator, isolated)
        for count in counts:
            results["bursts"].append(
                measure_burst(dev, receiver, creator, count, drain_cap=drain_cap, path=f"/burst-{count}")
            )
        results["dev_cpu_seconds"] = _cpu_seconds(dev)
        creator.close()
    return results


def _cpu_seconds(dev: DevServer) -> float | None:
    """CPU time of `belltower dev` and of its worker processes (if it runs any)."""
    try:
        pids = [dev.process.pid]  # type: ignore[union-attr]
        for task in os.listdir(f"/proc/{pids[0]}/task"):
            with open(f"/proc/{pids[0]}/task/{task}/children") as handle:
                pids += [int(pid) for pid in handle.read().split()]
        total = 0
        for pid in pids:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")
    except (OSError, AttributeError, IndexError, ValueError):
        return None
