"""The delivery function in worker processes (`belltower dev --lambda-processes N`).

By default local mode runs every invocation on a thread of the `belltower dev` process, which
also runs the embedded AWS: one interpreter lock for everything, so a burst drains at one core's
pace. With worker processes the stand-in keeps its part (firing, Lambda's async retries, on-failure
records) and hands each invocation's execution to a pool of processes, each with its own
container, like Lambda execution environments. The workers talk to the embedded AWS over HTTP,
as the functions always do; an async invoke a worker makes (a retry due within seconds, a
notification) comes back with its result and is queued by the stand-in, whether the handler
returned or failed.

Not for the fault-injection run: its hooks patch the in-process container.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any


class FunctionError(Exception):
    """The handler raised in a worker process (its type and message are kept)."""


class _CollectingInvoker:
    """The Invoker port in a worker: remembers the events to hand back to the stand-in."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def invoke_delivery(self, event: dict[str, Any]) -> None:
        self.events.append(event)


_invoker: _CollectingInvoker | None = None


def _start_worker(environ: dict[str, str]) -> None:
    global _invoker
    os.environ.update(environ)
    from belltower import wiring
    from belltower.local.dev import configure_logging
    from belltower.settings import Settings

    configure_logging()
    _invoker = _CollectingInvoker()
    wiring.install(wiring.Container(Settings.from_env(), invoker_override=_invoker))


def _warm_up() -> None:
    """Import the handler and make its first AWS clients, as a Lambda cold start would."""
    from belltower import wiring
    from handlers import delivery  # noqa: F401

    wiring.container().store  # noqa: B018 - creates the boto3 session and DynamoDB resource


def _run(event: dict[str, Any], function_arn: str, request_id: str,
         timeout_seconds: float) -> tuple[Any, list[dict[str, Any]], str | None]:  # fmt: skip
    from belltower.local.aws import LambdaContext
    from handlers import delivery

    assert _invoker is not None
    _invoker.events = []
    context = LambdaContext.for_function(function_arn, aws_request_id=request_id, timeout_seconds=timeout_seconds)
    try:
        result, error = delivery.handler(event, context), None
    except Exception as exc:  # noqa: BLE001 - reported to the stand-in, which retries like Lambda
        result, error = None, f"{type(exc).__name__}: {exc}"
    return result, _invoker.events, error


class ProcessFunction:
    """A handler for `LocalScheduler.register` that runs the delivery function in `processes`
    worker processes; `invoke_delivery(event)` (the local Invoker's) queues the async invokes they make."""

    def __init__(self, function_arn: str, processes: int, invoke_delivery: Any, timeout_seconds: float = 900.0) -> None:
        self._function_arn, self._invoke_delivery, self._timeout = function_arn, invoke_delivery, timeout_seconds
        # spawn, not fork: the parent runs threads (moto, the stand-in) that a fork would copy mid-step.
        self._pool = ProcessPoolExecutor(
            max_workers=processes, mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker, initargs=(dict(os.environ),),
        )  # fmt: skip
        # Start every worker now (the pool would start them one per busy moment), each warmed up.
        for warming in [self._pool.submit(_warm_up) for _ in range(processes)]:
            warming.result()

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        result, invoked, error = self._pool.submit(
            _run, event, self._function_arn, context.aws_request_id, self._timeout
        ).result()
        for queued in invoked:
            self._invoke_delivery(queued)
        if error is not None:
            raise FunctionError(error)
        return result

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
