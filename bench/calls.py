"""AWS calls per operation, counted with botocore hooks on a local Belltower, and the cost model.

Runs the local-mode pieces in this process (embedded AWS, the EventBridge/Lambda stand-in, the
API over HTTP through the local gateway, a receiver), with `bench.aws_calls.AwsCallCounter` on
the container's boto3 session, i.e. on every call the API and delivery functions make. Each
operation is run alone and the counters are diffed around it (waiting until the stand-in is
idle), so a figure is exactly what that operation costs.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from bench import prices
from bench.aws_calls import AwsCallCounter
from bench.receiver import ACK, ERROR, FaultPlan, Receiver

#: Assumed billed durations (local timings say nothing about Lambda's): see docs/benchmarks.md.
API_MEMORY_GB, API_BILLED_SECONDS = 0.5, 0.050
DELIVERY_MEMORY_GB, DELIVERY_BILLED_SECONDS = 0.25, 0.100

WRITE_REASONS = [  # (window, item description prefix, why the write exists)
    ("create", "schedule", "the schedule itself: DynamoDB is the source of truth (conditional on not existing)"),
    ("fire", "occurrence state=delivering", "one fire time = one occurrence: the conditional create dedupes "
                                            "EventBridge/Lambda duplicates and claims attempt 1 (the lease)"),
    ("fire", "occurrence state=succeeded", "the outcome: attempt record, final state, retention TTL"),
    ("fire", "schedule state=completed", "the one-shot's run_count / last_fire_at / state=completed"),
    ("fire", "event", "the project's event feed (GET /v1/events, webhook_url): one item per step; an outcome and the completion it causes share one"),
    ("create", "event", "the project's event feed: one item per step"),
]


def write_reason(window: str, item: str) -> str:
    kind = "create" if window.startswith("create") else "fire"
    return next((why for w, prefix, why in WRITE_REASONS if w == kind and item.startswith(prefix)), "")


class _Local:
    """embedded AWS + stand-in + API gateway + receiver, with the call counter installed."""

    def __enter__(self) -> _Local:
        from belltower import wiring
        from belltower.local.aws import start_embedded_aws
        from belltower.local.gateway import LocalGateway
        from belltower.local.scheduler import LocalInvoker, LocalScheduler

        self.aws = start_embedded_aws()
        settings = self.aws.settings
        self.scheduler = LocalScheduler(on_failure_destination=settings.dlq_arn, lambda_retry_delays=(1.0, 2.0))
        self.container = wiring.Container(settings, invoker_override=LocalInvoker(self.scheduler,
                                                                                  settings.delivery_function_arn))
        self.counter = AwsCallCounter()
        self.counter.install(self.container.session.events)  # before any client exists
        wiring.install(self.container)
        from belltower.service.keys import create_key
        from handlers import api, delivery

        self.invocations: Counter[str] = Counter()

        def delivery_handler(event: dict[str, Any], context: Any) -> Any:
            self.invocations["delivery"] += 1
            return delivery.handler(event, context)

        def api_handler(event: dict[str, Any], context: Any) -> Any:
            self.invocations["api"] += 1
            return api.handler(event, context)

        self.scheduler.register(settings.delivery_function_arn, delivery_handler)
        self.scheduler.start()
        self.api_key, _ = create_key(self.container.store, "default")
        self.gateway = LocalGateway(api_handler).start()
        self.receiver = Receiver(FaultPlan(script={"/retry-once": [ERROR, ACK]})).start()
        return self

    def __exit__(self, *exc: object) -> None:
        from belltower import wiring

        self.receiver.stop()
        self.gateway.stop()
        self.scheduler.stop()
        wiring.install(None)
        self.aws.stop()

    def api(self, method: str, path: str, body: Any = None) -> Any:
        from bench.devserver import api_request

        answer = api_request(self.gateway.url, self.api_key, method, path, body)
        if answer.status >= 300:
            raise RuntimeError(f"{method} {path}: {answer.status} {answer.body[:300]!r}")
        return answer.json()

    def measure(self, action: Any, settle: Any = None) -> dict[str, Any]:
        self.scheduler.wait_idle(10)
        mark, fired, inv = self.counter.snapshot(), self.scheduler.stats()["fired"], Counter(self.invocations)
        result = action()
        if settle is not None:
            settle(result)
        self.scheduler.wait_idle(30)
        units = self.counter.units_since(mark)
        return {
            "calls": self.counter.since(mark),
            "scheduler_invocations": self.scheduler.stats()["fired"] - fired,
            "lambda": dict(Counter(self.invocations) - inv),
            "wru": units["wru"],
            "gsi_wru": units["gsi_wru"],
            "rru": units["rru"],
            "writes": [w.__dict__ for w in units["writes"]],
            "reads": units["reads"],
        }

    def wait_deliveries(self, path: str, count: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while len([d for d in self.receiver.snapshot() if d.path == path]) < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"expected {count} deliveries to {path}")
            time.sleep(0.05)


def run() -> dict[str, Any]:
    ops: dict[str, Any] = {}
    with _Local() as local:
        url = local.receiver.url
        far = int(time.time()) + 3 * 3600
        # Warm up: the first calls build clients and caches (and a project lookup is cached).
        warm = local.api("POST", "/v1/schedules", {"endpoint": url + "/warm", "delay": "3s"})
        local.wait_deliveries("/warm", 1)
        local.scheduler.wait_idle(10)
        del warm

        created: dict[str, Any] = {}
        ops["create_one_shot"] = local.measure(
            lambda: created.setdefault("ok", local.api("POST", "/v1/schedules", {"endpoint": url + "/ok", "delay": "3s"})))
        ops["fire_succeeds"] = local.measure(lambda: None, lambda _: local.wait_deliveries("/ok", 1))
        ops["create_cron"] = local.measure(
            lambda: local.api("POST", "/v1/schedules", {"endpoint": url + "/cron", "cron": "0 9 * * *"}))
        local.api("POST", "/v1/schedules", {"endpoint": url + "/retry-once", "delay": "3s",
                                            "retry_policy": {"base": "3s", "jitter": False, "max_attempts": 3}})
        ops["fire_retries_once"] = local.measure(lambda: None, lambda _: local.wait_deliveries("/retry-once", 2))
        victim = local.api("POST", "/v1/schedules", {"endpoint": url + "/never", "fire_at": far})
        ops["cancel"] = local.measure(lambda: local.api("DELETE", f"/v1/schedules/{victim['id']}"))
        ops["list_page"] = local.measure(lambda: local.api("GET", "/v1/schedules?limit=20"))
    return {"ops": ops, "cost": cost_model(ops)}


def _lambda_cost(requests: int, gb: float, seconds: float) -> float:
    return requests * (prices.LAMBDA_REQUEST + gb * seconds * prices.LAMBDA_GB_SECOND_ARM)


def op_cost(op: dict[str, Any], *, api_requests: int) -> dict[str, float]:
    """Dollars for one run of an operation, by service."""
    sqs_calls = sum(n for name, n in op["calls"].items() if name.startswith("sqs."))
    return {
        "api_gateway": api_requests * prices.HTTP_API_REQUEST,
        "lambda": _lambda_cost(op["lambda"].get("api", 0), API_MEMORY_GB, API_BILLED_SECONDS)
        + _lambda_cost(op["lambda"].get("delivery", 0), DELIVERY_MEMORY_GB, DELIVERY_BILLED_SECONDS),
        "scheduler": op["scheduler_invocations"] * prices.SCHEDULER_INVOCATION,
        "dynamodb": (op["wru"] + op["gsi_wru"]) * prices.DYNAMODB_WRU + op["rru"] * prices.DYNAMODB_RRU,
        "sqs": sqs_calls * prices.SQS_REQUEST,
    }


def cost_model(ops: dict[str, Any]) -> dict[str, Any]:
    """Per million delivered one-shots: create + a fire that succeeds (and with one retry)."""
    create = op_cost(ops["create_one_shot"], api_requests=1)
    fire = op_cost(ops["fire_succeeds"], api_requests=0)
    retry = op_cost(ops["fire_retries_once"], api_requests=0)
    per_million = {k: (create[k] + fire[k]) * 1e6 for k in create}
    with_retry = {k: (create[k] + retry[k]) * 1e6 for k in create}
    return {
        "per_million": per_million,
        "total": sum(per_million.values()),
        "per_million_retried_once": with_retry,
        "total_retried_once": sum(with_retry.values()),
        "qstash": prices.QSTASH_PER_MILLION,
        "cloud_tasks": 2 * prices.CLOUD_TASKS_PER_OPERATION * 1e6,  # CreateTask + the push delivery
    }
