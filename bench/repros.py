"""Minimal reproductions of the bugs the chaos run and the benchmarks found (docs/benchmarks.md).

    python -m bench.repros stranded       # a crash, then one more failure, strands an occurrence
    python -m bench.repros throttle-500   # a DynamoDB throttle answers 500 internal_error

Each prints what it expected and what happened, and exits 1 while the bug is there.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from typing import Any


class _Local:
    """embedded AWS + stand-in + API gateway in this process (like run_dev), with faults."""

    def __init__(self, faults: Any, lambda_retry_delays: tuple[float, ...]) -> None:
        from belltower import wiring
        from belltower.local.aws import start_embedded_aws
        from belltower.local.gateway import LocalGateway
        from belltower.local.scheduler import LocalInvoker, LocalScheduler

        self.aws = start_embedded_aws()
        settings = self.aws.settings
        self.scheduler = LocalScheduler(on_failure_destination=settings.dlq_arn,
                                        lambda_retry_delays=lambda_retry_delays, faults=faults)  # fmt: skip
        self.container = wiring.Container(settings, invoker_override=LocalInvoker(self.scheduler,
                                                                                  settings.delivery_function_arn))
        faults.install(self.container, self.scheduler)
        wiring.install(self.container)
        from belltower.service.keys import create_key
        from handlers import api, delivery

        self.scheduler.register(settings.delivery_function_arn, delivery.handler)
        self.scheduler.start()
        self.api_key, _ = create_key(self.container.store, "default")
        self.gateway = LocalGateway(api.handler).start()

    def api(self, method: str, path: str, body: Any = None) -> Any:
        from bench.devserver import api_request

        return api_request(self.gateway.url, self.api_key, method, path, body)

    def close(self) -> None:
        from belltower import wiring

        self.gateway.stop()
        self.scheduler.stop()
        wiring.install(None)
        self.aws.stop()


def stranded() -> int:
    """Lambda's replay of a crashed delivery gets one chance; if it fails too, the occurrence
    stays `delivering` forever.

    Time is scaled 1/20 (Lambda retries after 3 s and 6 s instead of 60 s and 120 s; the lease
    grace 3 s instead of 60 s), as in the short chaos run. The delivery function dies twice:
    in the first invocation after the destination answered 200, and in the third (the first
    one allowed to take over the lease). The second invocation finds the lease held and raises
    AttemptInFlight, which uses up one of Lambda's two retries.
    """
    from belltower.local.faults import FunctionKilled, LocalFaults
    from belltower.service import delivery

    from bench.receiver import Receiver

    delivery.LEASE_GRACE = timedelta(seconds=3)
    faults = LocalFaults()
    local = _Local(faults, lambda_retry_delays=(3.0, 6.0))
    sends = {"n": 0}
    real = local.container.http

    class DiesTwice:
        def send(self, *args: Any, **kwargs: Any) -> Any:
            sends["n"] += 1
            response = real.send(*args, **kwargs)
            if sends["n"] <= 2:
                raise FunctionKilled(f"injected crash after send #{sends['n']}")
            return response

    local.container.http = DiesTwice()
    try:
        with Receiver() as receiver:
            created = local.api("POST", "/v1/schedules", {"endpoint": receiver.url + "/hook", "delay": "3s",
                                                          "timeout": "1s"}).json()  # fmt: skip
            time.sleep(3 + 3 + 6 + 8)
            occurrences = local.api("GET", f"/v1/schedules/{created['id']}/occurrences").json()["data"]
            schedule = local.api("GET", f"/v1/schedules/{created['id']}").json()
            got = len(receiver.snapshot())
    finally:
        local.close()
    states = [o["state"] for o in occurrences]
    print(f"receiver got {got} request(s); occurrence states {states}; schedule {schedule['state']}")
    print("expected: the occurrence ends succeeded (or is retried / dead-lettered) and the schedule completes")
    stuck = states == ["delivering"]
    print(("BUG: " if stuck else "ok: ") + f"occurrence is {states}, schedule {schedule['state']}, "
          "and nothing is left that would ever move it")  # fmt: skip
    return 1 if stuck else 0


def throttle_500() -> int:
    """A DynamoDB throttle that outlasts botocore's retries surfaces as 500 internal_error."""
    from belltower.local.faults import LocalFaults

    faults = LocalFaults(seed=1, throttle_rate=0.0, max_attempts=1)
    faults.throttler.services = ("dynamodb",)
    local = _Local(faults, lambda_retry_delays=(1.0, 2.0))
    try:
        faults.throttler.rate = 1.0  # every DynamoDB request answered ProvisionedThroughputExceededException
        faults.arm()
        answer = local.api("POST", "/v1/schedules", {"endpoint": "http://127.0.0.1:9/x", "delay": "1h"})
    finally:
        faults.disarm()
        local.close()
    print(f"POST /v1/schedules while DynamoDB throttles: {answer.status} {answer.body.decode()[:200]} "
          f"Retry-After={answer.headers.get('retry-after')}")
    print("expected: a 503 (or 429) with Retry-After, as for EventBridge: the client should retry later")
    return 1 if answer.status == 500 else 0


def main(argv: list[str] | None = None) -> int:
    import logging

    logging.basicConfig(level=logging.WARNING)
    runs = {"stranded": stranded, "throttle-500": throttle_500}
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1 or args[0] not in runs:
        print(f"usage: python -m bench.repros {{{'|'.join(runs)}}}", file=sys.stderr)
        return 2
    return runs[args[0]]()


if __name__ == "__main__":
    raise SystemExit(main())
