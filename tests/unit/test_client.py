"""The Python client (and the CLI's flag mapping) against a tiny in-process fake of the API.

The fake records every request exactly as it arrived (method, raw path, query, headers, body) and
answers what each test programs, so these tests pin the wire format without `belltower dev`.
"""

from __future__ import annotations

import dataclasses
import io
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from belltower import cli
from belltower.client import (
    AuthenticationError,
    Belltower,
    BelltowerConnectionError,
    BelltowerError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    Page,
    RateLimitError,
    SchedulerUnavailableError,
)

KEY = "bt_unit_test_key"
LIST = {"object": "list", "data": [], "has_more": False, "next_cursor": None}


@dataclass(frozen=True)
class Seen:
    method: str
    path: str  # as sent, percent-encoding kept
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class FakeAPI:
    """Answers programmed replies in order (then `{}` 200); records what it was sent."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self._replies: deque[tuple[int, dict[str, str], Any, float]] = deque()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                split = urlsplit(self.path)
                fake.requests.append(Seen(
                    self.command, split.path,
                    {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()},
                    {k.lower(): v for k, v in self.headers.items()}, body,
                ))  # fmt: skip
                status, headers, reply, delay = fake._replies.popleft() if fake._replies else (200, {}, {}, 0.0)
                if delay:
                    time.sleep(delay)
                data = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (timeout test)
                    pass

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def reply(self, body: Any = None, status: int = 200, headers: dict[str, str] | None = None,
              delay: float = 0.0) -> None:  # fmt: skip
        self._replies.append((status, headers or {}, {} if body is None else body, delay))

    @property
    def last(self) -> Seen:
        return self.requests[-1]

    def __enter__(self) -> FakeAPI:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def api():
    with FakeAPI() as fake:
        yield fake


@pytest.fixture
def bt(api):
    return Belltower(api.url, KEY, timeout=5)


# --- requests --------------------------------------------------------------------------------------
def test_create_sends_the_fields_as_json_with_the_key(api, bt):
    api.reply({"id": "sch_1", "object": "schedule"}, status=201)
    schedule = bt.schedules.create(endpoint="https://example.com/hook", delay="90s", body={"a": 1},
                                   headers={"X-Token": "secret"}, retry_policy={"max_attempts": 3})  # fmt: skip
    assert schedule == {"id": "sch_1", "object": "schedule"}
    seen = api.last
    assert (seen.method, seen.path, seen.query) == ("POST", "/v1/schedules", {})
    assert seen.json() == {"endpoint": "https://example.com/hook", "delay": "90s", "body": {"a": 1},
                           "headers": {"X-Token": "secret"}, "retry_policy": {"max_attempts": 3}}  # fmt: skip
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["accept"] == "application/json"
    assert seen.headers["user-agent"].startswith("belltower-python/")
    assert "idempotency-key" not in seen.headers


def test_an_idempotency_key_is_sent_as_the_header_not_in_the_body(api, bt):
    api.reply({"id": "sch_1"}, status=201)
    bt.schedules.create(endpoint="https://example.com/x", delay=60, idempotency_key="order-42")
    assert api.last.headers["idempotency-key"] == "order-42"
    assert api.last.json() == {"endpoint": "https://example.com/x", "delay": 60}


CALLS = [
    # (call, method, path, query, json body)
    (lambda bt: bt.schedules.list(), "GET", "/v1/schedules", {}, None),
    (lambda bt: bt.schedules.list(state="active", kind="recurring", limit=5, cursor="c1"),
     "GET", "/v1/schedules", {"state": "active", "kind": "recurring", "limit": "5", "cursor": "c1"}, None),
    (lambda bt: bt.schedules.get("sch_1"), "GET", "/v1/schedules/sch_1", {}, None),
    (lambda bt: bt.schedules.update("sch_1", cron="0 9 * * MON", timezone="Europe/Paris"),
     "PATCH", "/v1/schedules/sch_1", {}, {"cron": "0 9 * * MON", "timezone": "Europe/Paris"}),
    (lambda bt: bt.schedules.cancel("sch_1"), "DELETE", "/v1/schedules/sch_1", {}, None),
    (lambda bt: bt.schedules.pause("sch_1"), "POST", "/v1/schedules/sch_1/pause", {}, None),
    (lambda bt: bt.schedules.resume("sch_1"), "POST", "/v1/schedules/sch_1/resume", {}, None),
    (lambda bt: bt.schedules.trigger("sch_1"), "POST", "/v1/schedules/sch_1/trigger", {}, None),
    (lambda bt: bt.schedules.preview("sch_1", limit=3, start_from="2030-01-01T00:00:00Z"),
     "GET", "/v1/schedules/sch_1/preview", {"limit": "3", "start_from": "2030-01-01T00:00:00Z"}, None),
    (lambda bt: bt.schedules.occurrences("sch_1", state="succeeded", limit=2, cursor="c2"),
     "GET", "/v1/schedules/sch_1/occurrences", {"state": "succeeded", "limit": "2", "cursor": "c2"}, None),
    (lambda bt: bt.preview(cron="30 2 * * *", timezone="America/New_York", limit=4),
     "POST", "/v1/preview", {}, {"cron": "30 2 * * *", "timezone": "America/New_York", "limit": 4}),
    (lambda bt: bt.occurrences.get("occ_1"), "GET", "/v1/occurrences/occ_1", {}, None),
    (lambda bt: bt.occurrences.replay("occ_1"), "POST", "/v1/occurrences/occ_1/replay", {}, None),
    (lambda bt: bt.dead_letters.list(limit=10), "GET", "/v1/dead-letters", {"limit": "10"}, None),
    (lambda bt: bt.dead_letters.replay(), "POST", "/v1/dead-letters/replay", {}, {}),
    (lambda bt: bt.dead_letters.replay(["occ_1", "occ_2"]), "POST", "/v1/dead-letters/replay", {},
     {"ids": ["occ_1", "occ_2"]}),
    (lambda bt: bt.endpoints.create(url="https://example.com/hook", name="billing", timeout="10s"),
     "POST", "/v1/endpoints", {}, {"url": "https://example.com/hook", "name": "billing", "timeout": "10s"}),
    (lambda bt: bt.endpoints.list(limit=7, cursor="c3"), "GET", "/v1/endpoints", {"limit": "7", "cursor": "c3"}, None),
    (lambda bt: bt.endpoints.get("ep_1"), "GET", "/v1/endpoints/ep_1", {}, None),
    (lambda bt: bt.endpoints.update("ep_1", method="PUT"), "PATCH", "/v1/endpoints/ep_1", {}, {"method": "PUT"}),
    (lambda bt: bt.endpoints.delete("ep_1"), "DELETE", "/v1/endpoints/ep_1", {}, None),
    (lambda bt: bt.events.list(after="evt_1", limit=50), "GET", "/v1/events", {"after": "evt_1", "limit": "50"}, None),
    (lambda bt: bt.project.get(), "GET", "/v1/project", {}, None),
    (lambda bt: bt.project.rotate_signing_secret(), "POST", "/v1/project/signing-secret/rotate", {}, None),
]  # fmt: skip


@pytest.mark.parametrize(("call", "method", "path", "query", "body"), CALLS,
                         ids=[f"{c[1]} {c[2]} {i}" for i, c in enumerate(CALLS)])  # fmt: skip
def test_each_call_sends_exactly_its_request(api, bt, call, method, path, query, body):
    call(bt)
    [seen] = api.requests
    assert (seen.method, seen.path, seen.query, seen.json()) == (method, path, query, body)
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert ("content-type" in seen.headers) == (body is not None)


def test_a_list_is_a_frozen_page(api, bt):
    api.reply({"object": "list", "data": [{"id": "sch_2"}, {"id": "sch_1"}], "has_more": True, "next_cursor": "n1"})
    page = bt.schedules.list(limit=2)
    assert page == Page([{"id": "sch_2"}, {"id": "sch_1"}], True, "n1")
    assert page.to_api() == {"object": "list", "data": [{"id": "sch_2"}, {"id": "sch_1"}], "has_more": True,
                             "next_cursor": "n1"}  # fmt: skip
    with pytest.raises(dataclasses.FrozenInstanceError):
        page.has_more = False  # type: ignore[misc]


def test_iter_all_follows_next_cursor_to_the_end(api, bt):
    api.reply({"object": "list", "data": [{"id": "sch_3"}, {"id": "sch_2"}], "has_more": True, "next_cursor": "n1"})
    api.reply({"object": "list", "data": [{"id": "sch_1"}], "has_more": False, "next_cursor": None})
    assert [s["id"] for s in bt.schedules.iter_all(state="active", limit=2)] == ["sch_3", "sch_2", "sch_1"]
    assert [r.query for r in api.requests] == [{"state": "active", "limit": "2"},
                                               {"state": "active", "limit": "2", "cursor": "n1"}]  # fmt: skip


def test_occurrences_and_dead_letters_iterate_too(api, bt):
    api.reply({"object": "list", "data": [{"id": "occ_2"}], "has_more": True, "next_cursor": "n"})
    api.reply({"object": "list", "data": [{"id": "occ_1"}], "has_more": False, "next_cursor": None})
    assert [o["id"] for o in bt.schedules.iter_occurrences("sch_1")] == ["occ_2", "occ_1"]
    api.reply({"object": "list", "data": [{"id": "occ_9"}], "has_more": False, "next_cursor": None})
    assert [o["id"] for o in bt.dead_letters.iter_all()] == ["occ_9"]
    assert api.last.path == "/v1/dead-letters"


def test_dead_letter_replay_returns_the_new_occurrences(api, bt):
    api.reply({"data": [{"id": "occ_new", "replay_of": "occ_1"}]})
    assert bt.dead_letters.replay(["occ_1"]) == [{"id": "occ_new", "replay_of": "occ_1"}]
    with pytest.raises(TypeError):
        bt.dead_letters.replay("occ_1")  # type: ignore[arg-type]


def test_an_empty_answer_is_an_empty_dict(api, bt):
    api.reply(b"", status=204)
    assert bt.endpoints.delete("ep_1") == {}


def test_ids_are_one_path_segment(api, bt):
    bt.schedules.get("sch_1/../../project")
    assert api.last.path == "/v1/schedules/sch_1%2F..%2F..%2Fproject"
    with pytest.raises(ValueError):
        bt.schedules.get("")


def test_a_base_path_and_a_trailing_slash_are_kept(api):
    Belltower(api.url + "/prod/", KEY).schedules.list()
    assert api.last.path == "/prod/v1/schedules"


def test_the_key_never_appears_in_the_repr(api, bt):
    assert KEY not in repr(bt)
    with pytest.raises(ValueError):
        Belltower("127.0.0.1:8080", KEY)


# --- errors ----------------------------------------------------------------------------------------
ERRORS = [
    (400, "invalid_request_error", "invalid_field", InvalidRequestError, {}),
    (422, "invalid_request_error", "missing_timing", InvalidRequestError, {}),
    (401, "authentication_error", "unauthorized", AuthenticationError, {}),
    (404, "invalid_request_error", "not_found", NotFoundError, {}),
    (409, "invalid_request_error", "invalid_state", ConflictError, {}),
    (409, "invalid_request_error", "idempotency_key_reused", ConflictError, {}),
    (429, "rate_limit_error", "rate_limited", RateLimitError, {"Retry-After": "7"}),
    (503, "api_error", "scheduler_unavailable", SchedulerUnavailableError, {"Retry-After": "5"}),
    (405, "invalid_request_error", "method_not_allowed", BelltowerError, {"Allow": "GET"}),
    (500, "api_error", "internal_error", BelltowerError, {}),
]


@pytest.mark.parametrize(("status", "type_", "code", "cls", "headers"), ERRORS, ids=[e[2] for e in ERRORS])
def test_api_errors_are_raised_by_status_with_the_error_body(api, bt, status, type_, code, cls, headers):
    api.reply({"error": {"type": type_, "code": code, "message": "what went wrong", "param": "delay"}},
              status=status, headers=headers)  # fmt: skip
    with pytest.raises(cls) as raised:
        bt.schedules.create(endpoint="https://example.com/x", delay="1h")
    error = raised.value
    assert type(error) is cls and isinstance(error, BelltowerError)
    assert (error.status, error.type, error.code, error.message, error.param) == (
        status, type_, code, "what went wrong", "delay")
    assert str(error) == f"{status} {code}: what went wrong (param: delay)"
    expected_retry = int(headers["Retry-After"]) if "Retry-After" in headers else None
    assert error.retry_after == expected_retry


def test_an_error_without_the_api_shape_still_raises_with_its_status(api, bt):
    api.reply(b"<html><body>Bad Gateway</body></html>", status=502)
    with pytest.raises(BelltowerError) as raised:
        bt.schedules.list()
    assert (raised.value.status, raised.value.code) == (502, None)
    assert "Bad Gateway" in raised.value.message
    api.reply({"message": "Internal Server Error"}, status=500)  # API Gateway's own answer
    with pytest.raises(BelltowerError, match="Internal Server Error"):
        bt.schedules.list()


def test_a_redirect_is_not_followed(api, bt):
    api.reply(b"", status=302, headers={"Location": api.url + "/elsewhere"})
    with pytest.raises(BelltowerError) as raised:
        bt.project.get()
    assert raised.value.status == 302
    assert [r.path for r in api.requests] == ["/v1/project"]


def test_an_unreachable_api_is_a_connection_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(BelltowerConnectionError, match="cannot reach"):
        Belltower(f"http://127.0.0.1:{port}", KEY, timeout=2).schedules.list()


def test_a_slow_api_is_a_connection_error_after_the_timeout(api):
    api.reply({}, delay=1.5)
    started = time.monotonic()
    with pytest.raises(BelltowerConnectionError, match="did not answer within 0.3s"):
        Belltower(api.url, KEY, timeout=0.3).schedules.list()
    assert time.monotonic() - started < 1.4


def test_a_2xx_that_is_not_json_is_reported(api, bt):
    api.reply(b"<html>proxy</html>")
    with pytest.raises(BelltowerConnectionError, match="not JSON"):
        bt.project.get()


# --- the CLI is a thin layer over the client (its flags -> the exact request) ------------------------
def run_cli(api: FakeAPI, *args: str) -> int:
    return cli.main([*args, "--api-url", api.url, "--api-key", KEY])


def test_cli_schedule_create_maps_every_flag(api, capsys):
    api.reply({"id": "sch_1", "object": "schedule", "kind": "recurring", "state": "active"}, status=201)
    code = run_cli(api, "schedules", "create", "--cron", "0 9 * * MON-FRI", "--timezone", "Europe/Paris",
                   "--start-at", "2030-01-01T00:00:00Z", "--end-at", "2031-01-01T00:00:00Z", "--max-runs", "10",
                   "--overlap", "allow", "--endpoint", "https://example.com/hook", "--method", "put",
                   "--header", "X-Token=a=b", "--header", "X-Other=", "--query", "page=2",
                   "--body", '{"a": 1}', "--json-body", "--max-attempts", "3", "--strategy", "linear",
                   "--base", "2s", "--factor", "3", "--max-delay", "1m", "--no-jitter", "--timeout", "10s",
                   "--ttl", "1h", "--name", "weekday", "--description", "d", "--metadata", "team=billing",
                   "--idempotency-key", "k-1", "--json")  # fmt: skip
    assert code == 0
    assert api.last.headers["idempotency-key"] == "k-1"
    assert api.last.json() == {
        "endpoint": "https://example.com/hook", "method": "PUT", "timeout": "10s", "ttl": "1h",
        "overlap": "allow", "name": "weekday", "description": "d", "headers": {"X-Token": "a=b", "X-Other": ""},
        "query": {"page": "2"}, "metadata": {"team": "billing"}, "body": {"a": 1},
        "retry_policy": {"max_attempts": 3, "strategy": "linear", "base": "2s", "factor": 3, "max": "1m",
                         "jitter": False},
        "cron": "0 9 * * MON-FRI", "timezone": "Europe/Paris", "start_at": "2030-01-01T00:00:00Z",
        "end_at": "2031-01-01T00:00:00Z", "max_runs": 10,
    }  # fmt: skip
    assert json.loads(capsys.readouterr().out)["id"] == "sch_1"


@pytest.mark.parametrize(("flags", "expected"), [
    (["--delay", "90s"], {"delay": "90s"}),
    (["--delay", "90"], {"delay": 90}),
    (["--fire-at", "1893456000"], {"fire_at": 1893456000}),
    (["--fire-at", "2030-01-01T09:00:00+01:00"], {"fire_at": "2030-01-01T09:00:00+01:00"}),
    (["--local-fire-at", "2030-03-10T02:30", "--timezone", "America/New_York"],
     {"local_fire_at": "2030-03-10T02:30", "timezone": "America/New_York"}),
    (["--every", "1h"], {"every": "1h"}),
])  # fmt: skip
def test_cli_timing_forms(api, flags, expected):
    api.reply({"id": "sch_1"}, status=201)
    assert run_cli(api, "schedules", "create", "--endpoint-id", "ep_1", *flags, "--json") == 0
    assert api.last.json() == {"endpoint_id": "ep_1", **expected}


def test_cli_body_from_stdin_is_text_unless_json_body(api, monkeypatch):
    api.reply({"id": "sch_1"}, status=201)
    monkeypatch.setattr("sys.stdin", io.StringIO("plain text\n"))
    assert run_cli(api, "schedules", "create", "--endpoint", "https://e.x/", "--delay", "1m", "--body-file", "-",
                   "--json") == 0  # fmt: skip
    assert api.last.json()["body"] == "plain text\n"


def test_cli_body_file_as_json(api, tmp_path):
    api.reply({"id": "sch_1"}, status=201)
    payload = tmp_path / "body.json"
    payload.write_text('{"order": 42, "items": [1, 2]}')
    assert run_cli(api, "schedules", "create", "--endpoint", "https://e.x/", "--delay", "1m",
                   "--body-file", str(payload), "--json-body", "--json") == 0  # fmt: skip
    assert api.last.json()["body"] == {"order": 42, "items": [1, 2]}


@pytest.mark.parametrize("args", [
    ["schedules", "create", "--delay", "1m", "--header", "no-equals-sign"],
    ["schedules", "create", "--delay", "1m", "--body", "{not json", "--json-body"],
    ["schedules", "create", "--delay", "1m", "--cron", "* * * * *"],
    ["schedules", "create", "--delay", "1m", "--body-file", "/nonexistent/body"],
    ["schedules", "preview", "sch_1", "--cron", "* * * * *"],
    ["schedules", "preview"],
    ["schedules", "update", "sch_1"],
    ["schedules"],
])  # fmt: skip
def test_cli_usage_errors_exit_2_without_a_request(api, capsys, args):
    assert run_cli(api, *args) == 2
    assert api.requests == []
    err = capsys.readouterr().err
    assert "error" in err and "Traceback" not in err


def test_cli_api_errors_exit_1_with_the_code_and_message(api, capsys):
    api.reply({"error": {"type": "invalid_request_error", "code": "not_found", "message": "no schedule 'sch_9'",
                         "param": "id"}}, status=404)  # fmt: skip
    assert run_cli(api, "schedules", "get", "sch_9") == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "belltower: error: 404 not_found: no schedule 'sch_9' (param: id)\n"


def test_cli_reads_the_url_and_key_from_the_environment(api, monkeypatch, capsys):
    monkeypatch.setenv("BELLTOWER_API_URL", api.url)
    monkeypatch.setenv("BELLTOWER_API_KEY", "bt_from_env")
    api.reply(LIST)
    assert cli.main(["schedules", "list"]) == 0
    assert api.last.headers["authorization"] == "Bearer bt_from_env"
    assert capsys.readouterr().out == "No schedules.\n"
    monkeypatch.delenv("BELLTOWER_API_KEY")
    assert cli.main(["schedules", "list"]) == 2
    assert "BELLTOWER_API_KEY" in capsys.readouterr().err


def test_cli_options_before_the_command_work_too(api):
    api.reply(LIST)
    assert cli.main(["--api-url", api.url, "--api-key", KEY, "dlq", "list"]) == 0
    assert api.last.path == "/v1/dead-letters"


def test_cli_list_all_follows_the_cursors_and_prints_one_document(api, capsys):
    api.reply({"object": "list", "data": [{"id": "sch_2"}], "has_more": True, "next_cursor": "n1"})
    api.reply({"object": "list", "data": [{"id": "sch_1"}], "has_more": False, "next_cursor": None})
    assert run_cli(api, "schedules", "list", "--state", "active", "--all", "--json") == 0
    assert json.loads(capsys.readouterr().out) == {"object": "list", "data": [{"id": "sch_2"}, {"id": "sch_1"}],
                                                   "has_more": False, "next_cursor": None}  # fmt: skip
    assert api.requests[1].query == {"state": "active", "cursor": "n1"}


def test_cli_dlq_replay_by_ids_or_all(api, capsys):
    api.reply({"data": [{"id": "occ_new", "replay_of": "occ_1", "state": "scheduled"}]})
    assert run_cli(api, "dlq", "replay", "occ_1") == 0
    assert api.last.json() == {"ids": ["occ_1"]}
    assert "Replayed 1 dead letter." in capsys.readouterr().out
    api.reply({"data": []})
    assert run_cli(api, "dlq", "replay") == 0
    assert api.last.json() == {}


def test_cli_endpoints(api, capsys):
    api.reply({"id": "ep_1", "object": "endpoint", "url": "https://example.com/hook", "name": "billing"}, status=201)
    assert run_cli(api, "endpoints", "create", "--url", "https://example.com/hook", "--name", "billing", "--method",
                   "post", "--header", "X-Token=s", "--timeout", "5s", "--max-attempts", "4") == 0  # fmt: skip
    assert (api.last.method, api.last.path) == ("POST", "/v1/endpoints")
    assert api.last.json() == {"url": "https://example.com/hook", "name": "billing", "method": "POST", "timeout": "5s",
                               "headers": {"X-Token": "s"}, "retry_policy": {"max_attempts": 4}}  # fmt: skip
    assert "Created endpoint ep_1." in capsys.readouterr().out
    listed = {"id": "ep_1", "name": "billing", "method": "POST", "url": "https://example.com/hook"}
    api.reply({**LIST, "data": [listed]})
    assert run_cli(api, "endpoints", "list") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["ID", "NAME", "METHOD", "URL", "CREATED"]
    assert out[1].split() == ["ep_1", "billing", "POST", "https://example.com/hook", "-"]
    api.reply({"id": "ep_1", "url": "https://example.com/hook"})
    assert run_cli(api, "endpoints", "get", "ep_1") == 0
    assert (api.last.method, api.last.path) == ("GET", "/v1/endpoints/ep_1")
    api.reply(b"", status=204)
    assert run_cli(api, "endpoints", "delete", "ep_1") == 0
    assert (api.last.method, api.last.path) == ("DELETE", "/v1/endpoints/ep_1")
    assert capsys.readouterr().out.endswith("Deleted endpoint ep_1.\n")


def test_cli_events_list(api, capsys):
    api.reply({"object": "list", "data": [{"id": "evt_2", "type": "occurrence.succeeded",
                                           "created_at": "2030-01-01T00:00:00Z", "data": {"id": "occ_1"}}],
               "has_more": True, "next_cursor": "x"})  # fmt: skip
    assert run_cli(api, "events", "list", "--after", "evt_1", "--limit", "1") == 0
    assert api.last.query == {"after": "evt_1", "limit": "1"}
    captured = capsys.readouterr()
    assert "occurrence.succeeded" in captured.out and "evt_2" in captured.out
    assert "--after evt_2" in captured.err


def test_cli_project_rotate_secret(api, capsys):
    secrets = [{"secret": "whsec_" + "n" * 44, "created_at": "2030-01-02T00:00:00Z", "expires_at": None},
               {"secret": "whsec_" + "o" * 44, "created_at": "2030-01-01T00:00:00Z",
                "expires_at": "2030-01-03T00:00:00Z"}]  # fmt: skip
    api.reply({"id": "prj_1", "object": "project", "name": "default", "signing_secrets": secrets})
    assert run_cli(api, "project", "rotate-secret") == 0
    assert (api.last.method, api.last.path) == ("POST", "/v1/project/signing-secret/rotate")
    out = capsys.readouterr().out
    assert secrets[0]["secret"] in out and secrets[1]["secret"] in out  # never cut: they are to be copied
    assert "current" in out and "previous" in out


def test_cli_wait_follows_the_first_occurrence_until_it_ends(api, capsys, monkeypatch):
    monkeypatch.setattr(cli, "WAIT_POLL_SECONDS", 0.01)
    monkeypatch.setattr(cli.time, "sleep", lambda _: None)
    schedule = {"id": "sch_1", "kind": "one_shot", "state": "active", "next_fire_at": "2000-01-01T00:00:00Z"}
    attempt = {"number": 1, "started_at": "2030-01-01T00:00:01Z", "duration_ms": 3, "status_code": 500,
               "error": None, "response_excerpt": "boom"}  # fmt: skip
    retrying = {"id": "occ_1", "schedule_id": "sch_1", "scheduled_for": "t", "state": "retrying",
                "attempts": [attempt], "next_attempt_at": "2030-01-01T00:00:06Z"}  # fmt: skip
    api.reply(schedule, status=201)  # create
    api.reply(LIST)  # no occurrence yet
    api.reply(schedule)  # still active
    api.reply({**LIST, "data": [retrying]})  # there it is
    api.reply({**retrying, "state": "dead_lettered", "outcome": "attempts_exhausted", "next_attempt_at": None,
               "attempts": [attempt, {**attempt, "number": 2, "status_code": 503}]})  # fmt: skip
    assert run_cli(api, "schedules", "create", "--endpoint", "https://e.x/", "--delay", "1s", "--wait") == 3
    out = capsys.readouterr().out
    assert "attempt 1" in out and "500" in out and "boom" in out
    assert "retrying; next attempt at 2030-01-01T00:00:06Z" in out
    assert "attempt 2" in out and "503" in out
    assert "Occurrence occ_1 dead_lettered (attempts_exhausted)." in out
    assert [(r.method, r.path) for r in api.requests] == [
        ("POST", "/v1/schedules"), ("GET", "/v1/schedules/sch_1/occurrences"), ("GET", "/v1/schedules/sch_1"),
        ("GET", "/v1/schedules/sch_1/occurrences"), ("GET", "/v1/occurrences/occ_1"),
    ]  # fmt: skip


def test_cli_wait_timeout_gives_up_with_exit_1(api, capsys, monkeypatch):
    monkeypatch.setattr(cli.time, "sleep", lambda _: None)
    occurrence = {"id": "occ_1", "schedule_id": "sch_1", "state": "delivering", "attempts": []}
    api.reply(occurrence, status=201)
    assert run_cli(api, "schedules", "trigger", "sch_1", "--wait", "--wait-timeout", "0") == 1
    assert "gave up waiting after 0s" in capsys.readouterr().err
