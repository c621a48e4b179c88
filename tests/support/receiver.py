"""A local HTTP receiver for tests: records every request and answers as programmed.

    receiver = Receiver().start()
    receiver.program("/hook", [(503, {}, b"busy"), (200, {}, b"ok")])   # then 200 forever
    receiver.program("/slow", [(200, {}, b"")], hang=5.0)                 # sleeps before answering
    ... receiver.url + "/hook" ...
    (first, second) = receiver.wait_for(2, timeout=30)
    receiver.stop()
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from belltower.local.serving import BackgroundServer

#: (status, headers, body): body is bytes, str, or anything JSON-serialisable (sent as JSON).
Reply = tuple[int, dict[str, str], Any]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names; repeats comma-joined
    body: bytes
    received_at: float  # time.time()

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


@dataclass
class _Program:
    replies: list[Reply]
    hang: float = 0.0
    served: int = field(default=0)

    def next_reply(self) -> Reply:
        reply = self.replies[min(self.served, len(self.replies) - 1)]
        self.served += 1
        return reply


class Receiver(BackgroundServer):
    _thread_name = "test-receiver"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.requests: list[RecordedRequest] = []
        self._programs: dict[str, _Program] = {}
        self._cond = threading.Condition()
        self._server = ThreadingHTTPServer((host, port), _make_handler(self))
        self._server.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def program(self, path: str, replies: Iterable[Reply], *, hang: float = 0.0) -> None:
        """Replies for `path`, consumed in order, the last one repeating; `hang` sleeps first."""
        replies = list(replies)
        if not replies:
            raise ValueError("program at least one reply")
        with self._cond:
            self._programs[path] = _Program(replies, hang)

    def wait_for(self, count: int, timeout: float = 30.0, path: str | None = None) -> list[RecordedRequest]:
        """The first `count` requests (to `path`, if given); AssertionError on timeout."""
        def matching() -> list[RecordedRequest]:
            return [r for r in self.requests if path is None or r.path == path]

        with self._cond:
            if not self._cond.wait_for(lambda: len(matching()) >= count, timeout):
                got = [(r.method, r.path) for r in matching()]
                raise AssertionError(f"expected {count} request(s) within {timeout}s, got {len(got)}: {got}")
            return matching()[:count]


    # --- called by the request handler ---------------------------------------------------------
    def _record(self, request: RecordedRequest) -> _Program | None:
        with self._cond:
            self.requests.append(request)
            self._cond.notify_all()
            return self._programs.get(request.path)

    def _reply_for(self, program: _Program | None) -> Reply:
        if program is None:
            return (200, {}, b"")
        with self._cond:
            return program.next_reply()


def _make_handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            received_at = time.time()
            url = urlsplit(self.path)
            headers: dict[str, str] = {}
            for name, value in self.headers.items():
                name = name.lower()
                headers[name] = f"{headers[name]},{value}" if name in headers else value
            program = receiver._record(
                RecordedRequest(self.command, url.path, parse_qs(url.query, keep_blank_values=True),
                                headers, body, received_at)  # fmt: skip
            )
            status, reply_headers, reply_body = receiver._reply_for(program)
            if program is not None and program.hang:
                time.sleep(program.hang)
            if isinstance(reply_body, str):
                payload = reply_body.encode()
            elif isinstance(reply_body, (bytes, bytearray)):
                payload = bytes(reply_body)
            else:
                payload = json.dumps(reply_body).encode()
                reply_headers = {"Content-Type": "application/json", **reply_headers}
            try:
                self.send_response(status)
                for name, value in reply_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):  # the caller gave up (timeout)
                self.close_connection = True

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
