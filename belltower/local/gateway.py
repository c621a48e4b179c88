"""A local API Gateway HTTP API: each request becomes a payload format 2.0 event for a handler.

Like API Gateway: request bodies over 10 MB are refused with 413, a crashing handler (or a
malformed result) answers 500 `{"message": "Internal Server Error"}`, a result without
`statusCode` is sent as a JSON 200, and a base64 response body is decoded.

Like one Lambda execution environment, the handler serves one request at a time: the HTTP server
accepts connections on threads, but the handler keeps per-request state in module globals
(Powertools' `BaseRouter.current_event` is a class attribute), which concurrent calls would share.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from belltower.local.aws import ACCOUNT_ID, LambdaContext, lambda_function_arn
from belltower.local.serving import BackgroundServer

log = logging.getLogger("local.gateway")  # outside "belltower.*", whose loggers print Powertools JSON

Handler = Callable[[dict[str, Any], Any], Any]

MAX_BODY_BYTES = 10 * 1024 * 1024
API_FUNCTION_NAME = "belltower-local-api"


class HandlerResultError(Exception):
    """The handler returned something API Gateway could not turn into a response."""


def build_event(
    *,
    method: str,
    target: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    source_ip: str,
    protocol: str = "HTTP/1.1",
    domain_name: str = "localhost",
    request_id: str | None = None,
    now: datetime | None = None,
    server_port: int | None = None,
) -> dict[str, Any]:
    """The API Gateway HTTP API payload format 2.0 event for one request (route `$default`)."""
    raw_path, _, raw_query = target.partition("?")
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        name = name.lower()
        if name == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    # API Gateway appends the caller to X-Forwarded-For and sets the other X-Forwarded-* headers.
    forwarded = joined.get("x-forwarded-for")
    joined["x-forwarded-for"] = f"{forwarded}, {source_ip}" if forwarded else source_ip
    joined["x-forwarded-proto"] = "http"
    if server_port is not None:
        joined["x-forwarded-port"] = str(server_port)
    query: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    moment = now or datetime.now(timezone.utc)
    request_id = request_id or str(uuid.uuid4())
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path or "/",
        "rawQueryString": raw_query,
        "headers": joined,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": "local",
            "domainName": domain_name,
            "domainPrefix": domain_name.split(".")[0],
            "http": {
                "method": method.upper(),
                "path": raw_path or "/",
                "protocol": protocol,
                "sourceIp": source_ip,
                "userAgent": joined.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": moment.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(moment.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if body:
        try:
            event["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            event["body"] = base64.b64encode(body).decode("ascii")
            event["isBase64Encoded"] = True
    return event


def to_http_response(result: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """Map a handler's result (payload format 2.0) to (status, headers, body)."""
    if not isinstance(result, dict) or "statusCode" not in result:
        try:
            body = json.dumps(result).encode()
        except (TypeError, ValueError) as exc:
            raise HandlerResultError(f"result is not JSON: {exc}") from None
        return 200, [("Content-Type", "application/json")], body
    status = result["statusCode"]
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise HandlerResultError(f"invalid statusCode {status!r}")
    headers: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        headers.append((str(name), _header_value(value)))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((str(name), _header_value(v)) for v in values)
    headers.extend(("Set-Cookie", str(cookie)) for cookie in result.get("cookies") or ())
    headers = [(n, v) for n, v in headers if n.lower() not in ("content-length", "transfer-encoding", "connection")]
    raw = result.get("body")
    if raw is None:
        body = b""
    elif not isinstance(raw, str):
        raise HandlerResultError("body must be a string")
    elif result.get("isBase64Encoded"):
        try:
            body = base64.b64decode(raw, validate=True)
        except ValueError:
            raise HandlerResultError("isBase64Encoded body is not base64") from None
    else:
        body = raw.encode("utf-8")
    return status, headers, body


def _header_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value) if isinstance(value, bool) else str(value)
    if "\r" in text or "\n" in text:
        raise HandlerResultError("header values cannot contain line breaks")
    return text


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def _handle(self) -> None:
        started = time.monotonic()
        request_id = str(uuid.uuid4())
        status = 500
        try:
            body = self._read_body()
            if isinstance(body, int):
                status = body
                self._send_json(status, {"message": "Request Entity Too Large" if status == 413 else "Bad Request"}, request_id)
                self.close_connection = True
                return
            event = build_event(
                method=self.command,
                target=self.path,
                headers=self.headers.items(),
                body=body,
                source_ip=self.client_address[0],
                protocol=self.request_version,
                domain_name=self.headers.get("Host") or self.server.gateway.netloc,
                request_id=request_id,
                server_port=self.server.server_address[1],
            )
            status, headers, payload = self.server.gateway.invoke(event)
            self._send(status, headers, payload, request_id)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:  # never a traceback on the wire or from the server
            log.exception("local gateway failed on %s %s", self.command, self.path)
            status = 500
            self.close_connection = True
            try:
                self._send_json(500, {"message": "Internal Server Error"}, request_id)
            except OSError:
                pass
        finally:
            log.info(
                "%s %s %d %.0fms", self.command, self.path.split("?", 1)[0], status,
                (time.monotonic() - started) * 1000,
            )

    def __getattr__(self, name: str) -> Any:
        # Every method reaches the API, as through API Gateway: the API answers 405 for one it
        # does not route (http.server would answer 501 for any method without a do_ method).
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def _read_body(self) -> bytes | int:
        limit = self.server.gateway.max_body_bytes
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks, total = [], 0
            while True:
                size_line = self.rfile.readline(1024)
                try:
                    size = int(size_line.split(b";")[0].strip(), 16)
                except ValueError:
                    return 400
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > limit:
                    return 413
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length_header = self.headers.get("Content-Length")
        if not length_header:
            return b""
        try:
            length = int(length_header)
        except ValueError:
            return 400
        if length < 0:
            return 400
        if length > limit:
            return 413
        return self.rfile.read(length)

    def _send_json(self, status: int, document: Any, request_id: str) -> None:
        self._send(status, [("Content-Type", "application/json")], json.dumps(document).encode(), request_id)

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes, request_id: str) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("apigw-requestid", request_id)
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        pass  # one line per request is logged by _handle

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    #: The listen backlog (socketserver's default is 5): requests wait in line for the one
    #: function instance, and 32 clients connecting at once must not be reset.
    request_queue_size = 128
    gateway: LocalGateway


class LocalGateway(BackgroundServer):
    """Serves `handler(event, context)` over HTTP as an API Gateway HTTP API ($default route)."""

    _thread_name = "belltower-gateway"

    def __init__(
        self,
        handler: Handler,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        function_name: str = API_FUNCTION_NAME,
        max_body_bytes: int = MAX_BODY_BYTES,
        timeout_seconds: float = 30.0,
    ) -> None:
        self.handler = handler
        self.function_arn = lambda_function_arn(function_name)
        self.max_body_bytes = max_body_bytes
        self.timeout_seconds = timeout_seconds
        self._server = _Server((host, port), _RequestHandler)
        self._server.gateway = self
        self._one_at_a_time = threading.Lock()

    @property
    def netloc(self) -> str:
        host, port = self._server.server_address[:2]
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        return f"{host}:{port}"

    @property
    def url(self) -> str:
        return f"http://{self.netloc}"

    def invoke(self, event: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
        context = LambdaContext.for_function(
            self.function_arn,
            aws_request_id=event["requestContext"]["requestId"],
            timeout_seconds=self.timeout_seconds,
        )
        try:
            with self._one_at_a_time:
                result = self.handler(event, context)
            return to_http_response(result)
        except Exception:
            log.exception("API handler failed (request %s)", event["requestContext"]["requestId"])
            body = json.dumps({"message": "Internal Server Error"}).encode()
            return 500, [("Content-Type", "application/json")], body

