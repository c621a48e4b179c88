"""The local API Gateway turns HTTP requests into payload format 2.0 events, and results back."""

from __future__ import annotations

import base64
import http.client
import json
import socket

import pytest

from belltower.local.gateway import LocalGateway


class Capture:
    def __init__(self, result=None, error: Exception | None = None) -> None:
        self.result = result if result is not None else {"statusCode": 200, "body": "ok"}
        self.error = error
        self.events: list[dict] = []
        self.contexts: list[object] = []

    def __call__(self, event, context):
        self.events.append(event)
        self.contexts.append(context)
        if self.error is not None:
            raise self.error
        return self.result


@pytest.fixture
def serve():
    gateways = []

    def start(handler):
        gateway = LocalGateway(handler).start()
        gateways.append(gateway)
        return gateway

    yield start
    for gateway in gateways:
        gateway.stop()


def request(gateway, method, target, *, body=None, headers=()):
    host, port = gateway.netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.putrequest(method, target, skip_accept_encoding=True)
    for name, value in headers:
        connection.putheader(name, value)
    if body is not None:
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response, data


def test_the_event_has_the_http_api_v2_shape(serve):
    handler = Capture()
    gateway = serve(handler)
    response, data = request(
        gateway,
        "GET",
        "/v1/schedules?state=active&tag=a&tag=b&q=x%20y&empty=",
        headers=[
            ("User-Agent", "probe/1.0"),
            ("X-Multi", "one"),
            ("X-Multi", "two"),
            ("Authorization", "Bearer bt_secret"),
            ("Cookie", "a=1; b=2"),
        ],
    )
    assert response.status == 200 and data == b"ok"
    (event,) = handler.events
    assert event["version"] == "2.0"
    assert event["routeKey"] == "$default"
    assert event["rawPath"] == "/v1/schedules"
    assert event["rawQueryString"] == "state=active&tag=a&tag=b&q=x%20y&empty="
    assert event["queryStringParameters"] == {"state": "active", "tag": "a,b", "q": "x y", "empty": ""}
    assert event["headers"]["x-multi"] == "one,two"
    assert event["headers"]["authorization"] == "Bearer bt_secret"
    assert event["headers"]["user-agent"] == "probe/1.0"
    assert "cookie" not in event["headers"]
    assert event["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert event["headers"]["x-forwarded-proto"] == "http"
    assert event["headers"]["x-forwarded-port"] == gateway.netloc.split(":")[1]
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["isBase64Encoded"] is False
    assert "body" not in event and "pathParameters" not in event
    context = event["requestContext"]
    assert context["http"] == {
        "method": "GET",
        "path": "/v1/schedules",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "probe/1.0",
    }
    assert context["apiId"] == "local" and context["stage"] == "$default"
    assert context["routeKey"] == "$default"
    assert context["domainName"] == gateway.netloc
    assert len(context["requestId"]) == 36
    assert isinstance(context["timeEpoch"], int) and context["time"].endswith("+0000")
    assert response.getheader("apigw-requestid") == context["requestId"]
    lambda_context = handler.contexts[0]
    assert lambda_context.aws_request_id == context["requestId"]
    assert lambda_context.function_name == "belltower-local-api"


def test_text_bodies_pass_as_text_and_binary_bodies_as_base64(serve):
    handler = Capture()
    gateway = serve(handler)
    request(gateway, "POST", "/v1/schedules", body=json.dumps({"delay": "10s"}).encode(),
            headers=[("Content-Type", "application/json")])
    binary = bytes([0xFF, 0xFE, 0x00, 0x80])
    request(gateway, "PUT", "/upload", body=binary)
    text_event, binary_event = handler.events
    assert text_event["body"] == '{"delay": "10s"}' and text_event["isBase64Encoded"] is False
    assert text_event["requestContext"]["http"]["method"] == "POST"
    assert binary_event["isBase64Encoded"] is True
    assert base64.b64decode(binary_event["body"]) == binary


def test_the_result_maps_to_status_headers_cookies_and_body(serve):
    handler = Capture(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "application/json", "X-Joined": "a,b"},
            "cookies": ["s=1; Path=/", "t=2"],
            "body": json.dumps({"id": "sch_1"}),
        }
    )
    response, data = request(serve(handler), "POST", "/v1/schedules", body=b"{}")
    assert response.status == 201
    assert json.loads(data) == {"id": "sch_1"}
    assert response.getheader("Content-Type") == "application/json"
    assert response.getheader("X-Joined") == "a,b"
    assert response.headers.get_all("Set-Cookie") == ["s=1; Path=/", "t=2"]


def test_a_base64_result_body_is_decoded(serve):
    payload = bytes(range(256))
    handler = Capture(
        {"statusCode": 200, "isBase64Encoded": True, "body": base64.b64encode(payload).decode()}
    )
    response, data = request(serve(handler), "GET", "/blob")
    assert response.status == 200 and data == payload


def test_a_result_without_status_code_is_a_json_200(serve):
    response, data = request(serve(Capture({"hello": "world"})), "GET", "/")
    assert response.status == 200
    assert response.getheader("Content-Type") == "application/json"
    assert json.loads(data) == {"hello": "world"}


def test_a_crashing_handler_answers_500_like_api_gateway(serve):
    gateway = serve(Capture(error=RuntimeError("kaboom")))
    response, data = request(gateway, "GET", "/v1/schedules")
    assert response.status == 500
    assert json.loads(data) == {"message": "Internal Server Error"}
    assert b"kaboom" not in data and b"Traceback" not in data


def test_a_malformed_result_answers_500(serve):
    response, data = request(serve(Capture({"statusCode": "teapot"})), "GET", "/")
    assert response.status == 500 and json.loads(data) == {"message": "Internal Server Error"}


def test_head_requests_get_headers_only(serve):
    handler = Capture({"statusCode": 200, "headers": {"X-A": "1"}, "body": "content"})
    response, data = request(serve(handler), "HEAD", "/thing")
    assert response.status == 200 and data == b""
    assert response.getheader("Content-Length") == "7"


def test_a_body_over_10_mb_is_refused_with_413_without_calling_the_handler(serve):
    handler = Capture()
    gateway = serve(handler)
    host, port = gateway.netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/schedules HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {10 * 1024 * 1024 + 1}\r\n\r\n".encode()
        )
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413")
    assert answer.endswith(b'{"message": "Request Entity Too Large"}')
    assert handler.events == []


def test_a_body_of_exactly_the_limit_is_accepted(serve):
    handler = Capture()
    gateway = serve(handler)
    gateway.max_body_bytes = 1024
    response, _ = request(gateway, "POST", "/", body=b"x" * 1024)
    assert response.status == 200
    response, _ = request(gateway, "POST", "/", body=b"x" * 1025)
    assert response.status == 413
    assert len(handler.events) == 1


def test_keep_alive_connections_serve_several_requests(serve):
    handler = Capture()
    gateway = serve(handler)
    host, port = gateway.netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    for i in range(3):
        connection.request("POST", f"/n/{i}", body=b"{}")
        response = connection.getresponse()
        assert response.status == 200 and response.read() == b"ok"
    connection.close()
    assert [e["rawPath"] for e in handler.events] == ["/n/0", "/n/1", "/n/2"]


def test_the_handler_serves_one_request_at_a_time_like_one_lambda_environment(serve):
    # Given a slow handler that tracks how many calls overlap
    import threading
    import time

    state = {"running": 0, "most": 0}
    lock = threading.Lock()

    def handler(event, context):
        with lock:
            state["running"] += 1
            state["most"] = max(state["most"], state["running"])
        time.sleep(0.05)
        with lock:
            state["running"] -= 1
        return {"statusCode": 200, "body": event["rawPath"]}

    gateway = serve(handler)
    # When five clients call at once
    answers = []
    clients = [threading.Thread(target=lambda n=n: answers.append(request(gateway, "GET", f"/r{n}")[1]))
               for n in range(5)]  # fmt: skip
    for client in clients:
        client.start()
    for client in clients:
        client.join(10)
    # Then each got its own answer, and the handler never ran twice at once
    assert sorted(answers) == [f"/r{n}".encode() for n in range(5)]
    assert state["most"] == 1
