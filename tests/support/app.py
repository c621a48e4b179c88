"""An in-process Belltower on moto (`mock_aws`), with a fake clock, invoker and HTTP sender.

Handlers are called exactly as Lambda calls them, with events built from `events/`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import boto3
import pytest
from moto import mock_aws

from belltower import wiring
from belltower.local.aws import provision
from belltower.service import keys
from tests.support.events import FakeContext, api_event
from tests.support.fakes import FakeClock, RecordingInvoker, ScriptedHttp

START = datetime(2026, 11, 23, 12, 0, 0, tzinfo=timezone.utc)
DESTINATION = "https://hooks.example.com/belltower"


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class App:
    container: wiring.Container
    clock: FakeClock
    invoker: RecordingInvoker
    http: ScriptedHttp
    api_key: str
    project: dict[str, Any]

    def call(self, method: str, path: str, body: Any = None, *, api_key: str | None = "default",
             **kwargs: Any) -> Response:  # fmt: skip
        from handlers import api

        key = self.api_key if api_key == "default" else api_key
        result = api.handler(api_event(method, path, api_key=key, body=body, **kwargs), FakeContext())
        text = result.get("body") or ""
        return Response(result["statusCode"], json.loads(text) if text else None, result.get("headers") or {})

    def deliver(self, event: dict[str, Any]) -> str:
        from handlers import delivery

        return delivery.handler(event, FakeContext())["outcome"]

    def timers(self) -> dict[str, dict[str, Any]]:
        """The EventBridge schedules in the group, with their full definitions."""
        client = boto3.client("scheduler")
        group = self.container.settings.schedule_group
        names = [s["Name"] for s in client.list_schedules(GroupName=group)["Schedules"]]
        timers = {n: client.get_schedule(Name=n, GroupName=group) for n in names}
        for timer in timers.values():
            timer.pop("ResponseMetadata", None)
        return timers

    def dead_letters(self) -> list[dict[str, Any]]:
        sqs = boto3.client("sqs")
        out = []
        while True:
            msgs = sqs.receive_message(QueueUrl=self.container.settings.dlq_url, MaxNumberOfMessages=10,
                                       MessageAttributeNames=["All"]).get("Messages", [])  # fmt: skip
            if not msgs:
                return out
            for m in msgs:
                out.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=self.container.settings.dlq_url, ReceiptHandle=m["ReceiptHandle"])


@pytest.fixture
def app() -> App:
    with mock_aws():
        # Exactly what local mode provisions, but with no development allow-list: the https and
        # public-address rules apply as they do in a deployment.
        settings = provision(None, allowed_destinations=())
        clock, invoker, http = FakeClock(START), RecordingInvoker(), ScriptedHttp()
        container = wiring.Container(settings, invoker_override=invoker, clock=clock)
        container.http = http
        wiring.install(container)
        api_key, _ = keys.create_key(container.store, "acme")
        project = container.store.get_project(container.store.find_project_id("acme"))
        try:
            yield App(container, clock, invoker, http, api_key, project)
        finally:
            wiring.install(None)
