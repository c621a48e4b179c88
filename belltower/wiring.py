"""The composition root: builds the adapters once per container (Lambda cold start).

Handlers call `container()`; local mode and tests call `install()` with their own pieces
(e.g. an in-process delivery invoker) before the first request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import Any

from belltower.domain.ids import MonotonicIds
from belltower.ports import Clock, DeadLetters, HttpSender, Invoker, Timers
from belltower.settings import Settings


PROJECT_CACHE_SECONDS = 60


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass
class Container:
    settings: Settings
    invoker_override: Invoker | None = None
    clock: Clock = field(default_factory=SystemClock)

    _projects: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict, repr=False)
    #: Event ids of this process, strictly increasing (several events may share a millisecond).
    event_ids: MonotonicIds = field(default_factory=lambda: MonotonicIds("evt"), repr=False)

    def project(self, project_id: str) -> dict[str, Any]:
        """A project document, cached for a minute (signing secrets change rarely).

        Delivery signs with it: a secret rotated through another container's API is used here
        within PROJECT_CACHE_SECONDS; the rotated-out secret keeps signing for 24 h meanwhile.
        """
        cached = self._projects.get(project_id)
        if cached is None or time.monotonic() - cached[0] > PROJECT_CACHE_SECONDS:
            doc = self.store.get_project(project_id)
            if doc is None:
                raise LookupError(project_id)
            cached = self._projects[project_id] = (time.monotonic(), doc)
        return cached[1]

    def forget_project(self, project_id: str) -> None:
        """Drop the cached copy (after this container changed the project)."""
        self._projects.pop(project_id, None)

    def retention_deadline(self, now: datetime) -> int:
        """The DynamoDB TTL (epoch seconds) of a record that finished at `now`."""
        return int((now + timedelta(days=self.settings.retention_days)).timestamp())

    # boto3 is imported lazily, inside the adapters, so a module that only needs the domain
    # never pays for it; each client is created once per container.
    @cached_property
    def session(self) -> Any:
        import boto3

        return boto3.session.Session()

    @cached_property
    def store(self):  # -> belltower.adapters.store.Store
        from belltower.adapters.store import Store

        return Store(self.session.resource("dynamodb").Table(self.settings.table_name))

    @cached_property
    def timers(self) -> Timers:
        from belltower.adapters.timers import EventBridgeTimers

        return EventBridgeTimers(
            self.session.client("scheduler"),
            group=self.settings.schedule_group,
            target_arn=self.settings.delivery_function_arn,
            role_arn=self.settings.scheduler_role_arn,
            dlq_arn=self.settings.dlq_arn,
        )

    @cached_property
    def invoker(self) -> Invoker:
        if self.invoker_override is not None:
            return self.invoker_override
        from belltower.adapters.invoker import LambdaInvoker

        return LambdaInvoker(self.session.client("lambda"), self.settings.delivery_function_arn)

    @cached_property
    def dead_letters(self) -> DeadLetters:
        from belltower.adapters.dead_letters import SqsDeadLetters

        return SqsDeadLetters(self.session.client("sqs"), self.settings.dlq_url)

    @cached_property
    def http(self) -> HttpSender:
        from belltower.adapters.http_sender import PinnedHttpSender

        return PinnedHttpSender(allowed_prefixes=self.settings.allowed_destinations)


_container: Container | None = None


def container() -> Container:
    global _container
    if _container is None:
        _container = Container(Settings.from_env())
    return _container


def install(new: Container | None) -> None:
    """Replace the process-wide container (local mode, tests); None resets to lazy defaults."""
    global _container
    _container = new


def with_invoker(base: Container, invoker: Invoker) -> Container:
    return replace(base, invoker_override=invoker)
