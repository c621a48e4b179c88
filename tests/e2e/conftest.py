"""End-to-end fixtures: `belltower dev` as a subprocess, and a local HTTP receiver."""

from __future__ import annotations

import contextlib
import json as jsonlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from belltower.local.aws import REAL_CREDENTIAL_VARIABLES
from tests.support.receiver import Receiver

READY_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return jsonlib.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class DevServer:
    """A running `belltower dev`."""

    def __init__(self, process: subprocess.Popen, api_url: str, api_key: str, aws_endpoint: str) -> None:
        self.process = process
        self.api_url = api_url
        self.api_key = api_key
        self.aws_endpoint = aws_endpoint
        self.output: list[str] = []  # stdout and stderr lines, as they come

    def request(
        self,
        method: str,
        path: str,
        json: Any = None,
        headers: dict[str, str] | None = None,
        *,
        auth: bool = True,
        body: bytes | None = None,
        timeout: float = 30.0,
    ) -> Response:
        """Call the API; `Authorization: Bearer <api_key>` is added unless auth=False."""
        sent = dict(headers or {})
        if auth and not any(k.lower() == "authorization" for k in sent):
            sent["Authorization"] = f"Bearer {self.api_key}"
        if json is not None:
            body = jsonlib.dumps(json).encode()
            sent.setdefault("Content-Type", "application/json")
        request = urllib.request.Request(self.api_url + path, data=body, headers=sent, method=method.upper())
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return Response(answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())

    def log(self) -> str:
        return "".join(self.output)


def _belltower_executable() -> str:
    candidate = Path(sys.executable).with_name("belltower")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("belltower")
    if not found:
        raise RuntimeError("the `belltower` console script is not installed (run `make setup`)")
    return found


def _fake_aws_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in REAL_CREDENTIAL_VARIABLES and not k.startswith(("AWS_ENDPOINT_URL", "BELLTOWER_"))}  # fmt: skip
    env.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1", AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_CONFIG_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true", PYTHONUNBUFFERED="1",
    )
    return env


@contextlib.contextmanager
def running_dev_server(*options: str) -> Iterator[DevServer]:
    """`belltower dev` with free ports, a fresh API key and `options`, stopped on exit."""
    port, aws_port = free_port(), free_port()
    api_key = "bt_" + secrets.token_urlsafe(24)
    process = subprocess.Popen(
        [_belltower_executable(), "dev", "--host", "127.0.0.1", "--port", str(port),
         "--api-key", api_key, "--aws-port", str(aws_port), *options],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        env=_fake_aws_env(), text=True, bufsize=1,
    )  # fmt: skip
    server = DevServer(process, f"http://127.0.0.1:{port}", api_key, f"http://127.0.0.1:{aws_port}")
    ready = threading.Event()

    def drain() -> None:  # keep the pipe empty for the whole session
        for line in process.stdout:
            server.output.append(line)
            if line.strip() == "Ready.":
                ready.set()

    threading.Thread(target=drain, name="dev-server-output", daemon=True).start()
    deadline = time.monotonic() + READY_TIMEOUT
    while not ready.wait(0.1):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait(5)
            reason = f"exited with {process.returncode}" if process.returncode is not None else "timed out"
            raise RuntimeError(f"`belltower dev` {reason} before 'Ready.'; its output:\n{server.log()}")
    try:
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.fixture(scope="session")
def dev_server() -> Iterator[DevServer]:
    with running_dev_server() as server:
        yield server


@pytest.fixture
def receiver() -> Receiver:
    with Receiver() as running:
        yield running
