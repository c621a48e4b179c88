"""`belltower dev` as a subprocess for the benchmarks (the product exactly as a user runs it)."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from belltower.local.aws import fake_aws_environment

REPO = Path(__file__).resolve().parent.parent
LOG_DIR = REPO / "build"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fake_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BELLTOWER_")}
    for name, value in fake_aws_environment(None, env).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    env.pop("AWS_ENDPOINT_URL", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)


class DevServer:
    def __init__(self, log_name: str = "bench-dev.log", *, lambda_processes: int = 0) -> None:
        self.port, self.aws_port = free_port(), free_port()
        self.lambda_processes = lambda_processes
        self.api_key = "bt_" + secrets.token_urlsafe(24)
        self.url = f"http://127.0.0.1:{self.port}"
        self.aws_endpoint = f"http://127.0.0.1:{self.aws_port}"
        LOG_DIR.mkdir(exist_ok=True)
        self.log_path = LOG_DIR / log_name
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> DevServer:
        belltower = Path(sys.executable).with_name("belltower")
        log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [str(belltower), "dev", "--host", "127.0.0.1", "--port", str(self.port),
             "--api-key", self.api_key, "--aws-port", str(self.aws_port),
             "--lambda-processes", str(self.lambda_processes)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=fake_env(),
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while "Ready." not in self.log_path.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"`belltower dev` did not start; see {self.log_path}")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self.process = None

    def __enter__(self) -> DevServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def request(self, method: str, path: str, body: Any = None, timeout: float = 60.0) -> Answer:
        return api_request(self.url, self.api_key, method, path, body, timeout)


def api_request(base_url: str, api_key: str, method: str, path: str, body: Any = None,
                timeout: float = 60.0) -> Answer:  # fmt: skip
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {api_key}"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(base_url + path, data=data, headers=headers, method=method)
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            payload = resp.read()
            return Answer(resp.status, {k.lower(): v for k, v in resp.headers.items()}, payload,
                          time.perf_counter() - started)  # fmt: skip
    except urllib.error.HTTPError as error:
        payload = error.read()
        return Answer(error.code, {k.lower(): v for k, v in error.headers.items()}, payload,
                      time.perf_counter() - started)  # fmt: skip
