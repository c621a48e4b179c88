"""API: create-schedule throughput and latency at several concurrencies, against `belltower dev`.

Each client is a thread in this process sending `POST /v1/schedules` (one-shot, due in three
hours, so nothing fires during the run) over a new HTTP connection per request, as curl would.
Latency is client-side (request sent to response read); throughput is requests / wall time.
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.devserver import DevServer, api_request
from bench.stats import summary


def measure(dev: DevServer, clients: int, requests: int) -> dict[str, Any]:
    fire_at = int(time.time()) + 3 * 3600
    body = {"endpoint": "http://127.0.0.1:9/api-bench", "fire_at": fire_at, "body": {"n": 1}}
    latencies: list[float] = []
    statuses: Counter[str] = Counter()

    def one(_: int) -> None:
        try:
            answer = api_request(dev.url, dev.api_key, "POST", "/v1/schedules", body, timeout=60)
        except OSError as exc:
            statuses[f"error: {type(exc).__name__}"] += 1
            return
        statuses[str(answer.status)] += 1
        if answer.status == 201:
            latencies.append(answer.seconds)

    for i in range(min(10, requests)):  # warm up (first calls build clients, load modules)
        one(i)
    latencies.clear()
    statuses.clear()
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(requests)))
    wall = time.perf_counter() - started
    return {"clients": clients, "requests": requests, "wall_seconds": wall,
            "throughput": statuses["201"] / wall, "latency": summary(latencies),
            "statuses": dict(statuses)}  # fmt: skip


def run(levels: list[int], requests: int = 300) -> list[dict[str, Any]]:
    with DevServer("bench-api-dev.log") as dev:
        return [measure(dev, clients, requests if clients > 1 else max(50, requests // 3)) for clients in levels]
