"""The outbound HTTP adapter against real local sockets: pinning, SSRF, timeouts, redirects."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from belltower.adapters.http_sender import PinnedHttpSender


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        self.server.received.append((self.path, dict(self.headers), self.rfile.read(length)))
        if self.path == "/slow":
            time.sleep(2)
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
            self.end_headers()
            return
        body = b"x" * 10_000 if self.path == "/big" else b"accepted"
        self.send_response(202)
        self.send_header("Retry-After", "7")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.received = []
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", srv
    srv.shutdown()


def test_allow_listed_destination_is_delivered_with_headers_and_body(server):
    base, srv = server
    sender = PinnedHttpSender(allowed_prefixes=("http://127.0.0.1",))
    resp = sender.send("POST", f"{base}/hook?a=1", {"X-A": "1"}, b"payload", timeout=5)
    assert resp.status_code == 202 and resp.error is None
    assert resp.headers["retry-after"] == "7"
    assert resp.body_excerpt == "accepted"
    [(path, headers, body)] = srv.received
    assert (path, headers["X-A"], body) == ("/hook?a=1", "1", b"payload")


def test_response_excerpt_is_capped_at_4_kb(server):
    base, _ = server
    resp = PinnedHttpSender(allowed_prefixes=("http://127.0.0.1",)).send("POST", f"{base}/big", {}, b"", 5)
    assert len(resp.body_excerpt) == 4096


def test_redirects_are_not_followed(server):
    base, srv = server
    resp = PinnedHttpSender(allowed_prefixes=("http://127.0.0.1",)).send("POST", f"{base}/redirect", {}, b"", 5)
    assert resp.status_code == 302
    assert len(srv.received) == 1


def test_loopback_is_refused_without_the_allow_list_and_nothing_is_sent(server):
    base, srv = server
    resp = PinnedHttpSender().send("POST", f"{base}/hook", {}, b"", 5)
    assert resp.status_code is None and resp.permanent is True
    assert resp.error.startswith("forbidden_destination")
    assert srv.received == []


def test_a_name_resolving_to_a_private_address_is_refused(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 443))])  # fmt: skip
    resp = PinnedHttpSender().send("POST", "https://innocent.example.com/", {}, b"", 5)
    assert resp.permanent is True and "10.1.2.3" in resp.error


def test_the_checked_address_is_the_one_connected_to(monkeypatch):
    # Given a resolver that answers a public address once and would answer the metadata address next
    answers = iter([[(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 443))],
                    [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", 443))]])  # fmt: skip
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: next(answers))
    connected = []

    def fake_connect(self, address):
        connected.append(address)
        raise ConnectionRefusedError("test stops here")

    monkeypatch.setattr(socket.socket, "connect", fake_connect)
    resp = PinnedHttpSender().send("POST", "https://rebind.example.com/", {}, b"", 5)
    # Then the socket went to the address that was checked, resolved exactly once
    assert connected == [("93.184.216.34", 443)]
    assert resp.status_code is None and resp.error.startswith("connection_error")
    assert resp.permanent is False


def test_a_slow_receiver_times_out(server):
    base, _ = server
    resp = PinnedHttpSender(allowed_prefixes=("http://127.0.0.1",)).send("POST", f"{base}/slow", {}, b"", 0.5)
    assert resp.status_code is None and resp.error == "timeout"
    assert 400 <= resp.duration_ms < 1900


def test_a_refused_connection_is_a_retryable_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    resp = PinnedHttpSender(allowed_prefixes=("http://127.0.0.1",)).send("POST", f"http://127.0.0.1:{port}/", {}, b"", 2)
    assert resp.status_code is None and resp.error.startswith("connection_error") and not resp.permanent
