"""A local delivery receiver for the benchmarks and the chaos run.

It timestamps every request on arrival (`time.time()`, before the body is parsed) and answers by
a fault plan: for each (Idempotency-Key, Belltower-Attempt) a seeded draw decides `ack` (200),
`error` (500), `hang` (sleep past the caller's timeout, then 200 to nobody) or `refuse` (the
connection is reset without a response: the caller sees a connection error, the same retry class
as ECONNREFUSED). The draw depends only on the seed and that pair, so a run's plan is
reproducible whatever the order deliveries arrive in.

    with Receiver(FaultPlan(seed=7, error_rate=0.3, hang_rate=0.1, refuse_rate=0.05,
                            hang_seconds=3)) as receiver:
        ... schedules pointing at receiver.url + "/hook" ...
        receiver.deliveries   # every request, with its fault
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from belltower.local.faults import draw
from belltower.local.serving import BackgroundServer

ACK, ERROR, HANG, REFUSE = "ack", "error", "hang", "refuse"


@dataclass(frozen=True)
class FaultPlan:
    seed: int = 0
    error_rate: float = 0.0  # answer 500
    hang_rate: float = 0.0  # sleep `hang_seconds`, then answer 200 (to a caller that has gone)
    refuse_rate: float = 0.0  # reset the connection without answering
    hang_seconds: float = 0.0
    #: path -> the fault of attempt 1, 2, ... (the last one repeats); overrides the draw.
    script: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def decide(self, path: str, key: str, attempt: str) -> str:
        scripted = self.script.get(path)
        if scripted:
            try:
                number = max(1, int(attempt))
            except ValueError:
                number = 1
            return scripted[min(number, len(scripted)) - 1]
        u = draw(self.seed, "receiver", key, attempt)
        for fault, rate in ((REFUSE, self.refuse_rate), (HANG, self.hang_rate), (ERROR, self.error_rate)):
            if u < rate:
                return fault
            u -= rate
        return ACK


@dataclass(frozen=True)
class Delivery:
    received_at: float  # time.time() when the request line and headers were read
    path: str
    key: str  # Idempotency-Key (the occurrence id)
    attempt: str  # Belltower-Attempt
    schedule_id: str
    scheduled_for: str  # Belltower-Scheduled-For
    fault: str


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the listen backlog for a burst of 10,000 deliveries (set before listen())


class Receiver(BackgroundServer):
    _thread_name = "bench-receiver"

    def __init__(self, plan: FaultPlan | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.plan = plan or FaultPlan()
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        self._server = _Server((host, port), _make_handler(self))

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def count(self) -> int:
        with self._lock:
            return len(self.deliveries)

    def snapshot(self) -> list[Delivery]:
        with self._lock:
            return list(self.deliveries)

    def wait_for(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.count() < count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True


    def _record(self, delivery: Delivery) -> None:
        with self._lock:
            self.deliveries.append(delivery)


def _make_handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            received_at = time.time()
            headers = self.headers
            key = headers.get("Idempotency-Key", "")
            attempt = headers.get("Belltower-Attempt", "")
            path = self.path.split("?", 1)[0]
            fault = receiver.plan.decide(path, key, attempt)
            length = int(headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            receiver._record(Delivery(received_at, path, key, attempt, headers.get("Belltower-Schedule-Id", ""),
                                      headers.get("Belltower-Scheduled-For", ""), fault))  # fmt: skip
            if fault == REFUSE:
                # RST instead of FIN: the caller gets a connection error and no response.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True
                return
            if fault == HANG:
                time.sleep(receiver.plan.hang_seconds)
            status, body = (500, b"chaos: error") if fault == ERROR else (200, b"ok")
            try:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # the caller gave up (a hang past its timeout)
                self.close_connection = True

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.receiver --plan JSON --record FILE`: serve until stdin closes; each
    delivery is appended to FILE as a JSON line; prints `READY <url>` once listening."""
    import argparse
    import json
    import sys
    from dataclasses import asdict

    parser = argparse.ArgumentParser(prog="python -m bench.receiver")
    parser.add_argument("--plan", default="{}", help="FaultPlan fields as JSON")
    parser.add_argument("--record", required=True, help="append each delivery here (JSON lines)")
    args = parser.parse_args(argv)
    sink = open(args.record, "a", buffering=1)
    lock = threading.Lock()

    class Recording(Receiver):
        def _record(self, delivery: Delivery) -> None:
            with lock:
                sink.write(json.dumps(asdict(delivery)) + "\n")

    with Recording(FaultPlan(**json.loads(args.plan))) as receiver:
        print(f"READY {receiver.url}", flush=True)
        sys.stdin.read()  # until the parent closes our stdin (or dies)
    sink.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
