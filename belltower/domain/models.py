"""Schedules, occurrences, attempts and endpoint profiles: plain data plus the pure transitions.

Documents are stored as JSON (`to_doc` / `from_doc`); what the API shows is `to_api`.
Header values are secrets: they live in the document (delivery needs them) and never leave it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from belltower.domain.cron import parse_cron
from belltower.domain.durations import format_duration
from belltower.domain.recurrence import Recurrence
from belltower.domain.retry import RetryPolicy
from belltower.domain.timing import format_utc

SCHEDULE_STATES = ("active", "paused", "completed", "cancelled")
#: A schedule in one of these states never fires again.
FINAL_SCHEDULE_STATES = frozenset({"completed", "cancelled"})
SCHEDULE_KINDS = ("one_shot", "recurring")
OCCURRENCE_STATES = (
    "scheduled",
    "delivering",
    "retrying",
    "succeeded",
    "failed",
    "dead_lettered",
    "expired",
    "skipped",
    "cancelled",
)
TERMINAL_OCCURRENCE_STATES = frozenset(
    {"succeeded", "dead_lettered", "expired", "skipped", "cancelled"}
)


def _ts(value: datetime | None) -> str | None:
    return None if value is None else format_utc(value)


def _parse_ts(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass(frozen=True)
class DeliveryRequest:
    """What is sent to the destination (before Belltower's own headers are added).

    On a schedule that uses an endpoint profile, `url` is None and `method` is None unless the
    schedule overrides it: both come from the profile at delivery time (`endpoints.resolve_target`).
    """

    url: str | None
    method: str | None = "POST"
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: str | None = None
    body_is_json: bool = False

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> DeliveryRequest:
        return cls(**doc)


@dataclass
class Schedule:
    id: str
    project_id: str
    kind: str
    state: str
    request: DeliveryRequest
    #: None only with `endpoint_id`: the profile's policy / timeout apply (resolved at delivery).
    retry_policy: RetryPolicy | None
    timeout: timedelta | None
    created_at: datetime
    updated_at: datetime
    #: The endpoint profile this schedule delivers to (then `request.url` is None).
    endpoint_id: str | None = None
    fire_at: datetime | None = None
    timezone: str = "UTC"
    ttl: timedelta | None = None
    #: Receives each lifecycle event of this schedule (belltower.domain.events), signed.
    webhook_url: str | None = None
    #: Receives the result of each finished occurrence; `failure_callback_url` only failures.
    callback_url: str | None = None
    failure_callback_url: str | None = None
    name: str | None = None
    description: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    run_count: int = 0
    last_fire_at: datetime | None = None
    #: Names of the EventBridge schedules this schedule owns (so cancel can delete them).
    timer_names: list[str] = field(default_factory=list)
    # --- recurring only ---
    cron: str | None = None
    every: timedelta | None = None
    anchor: datetime | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    max_runs: int | None = None
    overlap: str = "skip"
    #: The newest occurrence (for `overlap: skip`: is it still retrying?).
    last_occurrence_id: str | None = None
    #: One-time fix-up schedules (DST, chains) are armed up to this instant.
    armed_until: datetime | None = None
    #: Bumped when the timing is edited: new EventBridge schedule names never collide with old ones.
    generation: int = 0
    #: Optimistic-concurrency version, kept by the store (not part of the document).
    version: int = field(default=0, compare=False)
    #: Kept by the store: the endpoint profile whose `in_use` counts this schedule (its
    #: `endpoint_id` from creation until it is completed or cancelled).
    counted_endpoint: str | None = field(default=None, compare=False)

    @property
    def timer_prefix(self) -> str:
        """What this schedule's EventBridge schedule names start with (at most 34 characters)."""
        return self.id if self.generation == 0 else f"{self.id}-g{self.generation}"

    def apply_fields(self, fields: Any, now: datetime) -> None:
        """Take everything but the timing from a validated create/PATCH body."""
        self.request, self.endpoint_id = fields.request, fields.endpoint_id
        self.retry_policy, self.timeout, self.ttl = fields.retry_policy, fields.timeout, fields.ttl
        self.webhook_url, self.callback_url = fields.webhook_url, fields.callback_url
        self.failure_callback_url = fields.failure_callback_url
        self.name, self.description, self.metadata = fields.name, fields.description, fields.metadata
        self.max_runs, self.overlap = fields.max_runs, fields.overlap
        self.updated_at = now

    def apply_timing(self, timing: Any) -> None:
        """Take a one-shot timing (`fire_at`) or a recurrence as this schedule's timing."""
        self.timezone = timing.timezone
        if isinstance(timing, Recurrence):
            self.kind, self.fire_at = "recurring", None
            self.cron = timing.cron.text if timing.cron else None
            self.every, self.anchor = timing.every, timing.anchor
            self.start_at, self.end_at = timing.start_at, timing.end_at
        else:
            self.kind, self.fire_at = "one_shot", timing.fire_at
            self.cron = self.every = self.anchor = self.start_at = self.end_at = None
            self.max_runs, self.overlap = None, "skip"
        self.armed_until = None

    def recurrence(self) -> Recurrence:
        """The single source of this recurring schedule's fire times."""
        if self.kind != "recurring" or self.anchor is None:
            raise ValueError(f"{self.id} is not recurring")
        return Recurrence(
            cron=parse_cron(self.cron) if self.cron else None,
            every=self.every,
            timezone=self.timezone,
            anchor=self.anchor,
            start_at=self.start_at,
            end_at=self.end_at,
        )

    def upcoming(self, now: datetime, limit: int) -> list[datetime]:
        """The next fire times after `now` that this schedule will still deliver."""
        if self.state != "active":
            return []
        if self.kind == "one_shot":
            return [self.fire_at] if self.fire_at and self.fire_at >= now else []
        if self.max_runs is not None:
            limit = min(limit, max(self.max_runs - self.run_count, 0))
        if limit <= 0:
            return []
        after = max(now, self.last_fire_at or now)
        return [fire.at for fire in self.recurrence().fires(after, limit=limit)]

    # --- transitions (pure) -------------------------------------------------------------------
    def cancel(self, now: datetime) -> None:
        self.state = "cancelled"
        self.updated_at = now

    def record_fire(self, scheduled_for: datetime, now: datetime) -> None:
        self.run_count += 1
        self.last_fire_at = scheduled_for
        self.updated_at = now

    @property
    def runs_exhausted(self) -> bool:
        return self.max_runs is not None and self.run_count >= self.max_runs

    def complete(self, now: datetime) -> None:
        if self.state in ("active", "paused"):
            self.state = "completed"
            self.updated_at = now

    # --- representations --------------------------------------------------------------------
    def to_doc(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "project_id": self.project_id,
            "kind": self.kind,
            "state": self.state,
            "request": self.request.to_doc(),
            "endpoint_id": self.endpoint_id,
            "retry_policy": None if self.retry_policy is None else self.retry_policy.to_dict(),
            "timeout": None if self.timeout is None else self.timeout.total_seconds(),
            "ttl": None if self.ttl is None else self.ttl.total_seconds(),
            "created_at": _ts(self.created_at),
            "updated_at": _ts(self.updated_at),
            "fire_at": _ts(self.fire_at),
            "timezone": self.timezone,
            "webhook_url": self.webhook_url,
            "callback_url": self.callback_url,
            "failure_callback_url": self.failure_callback_url,
            "name": self.name,
            "description": self.description,
            "metadata": self.metadata,
            "run_count": self.run_count,
            "last_fire_at": _ts(self.last_fire_at),
            "timer_names": self.timer_names,
            "cron": self.cron,
            "every": None if self.every is None else self.every.total_seconds(),
            "anchor": _ts(self.anchor),
            "start_at": _ts(self.start_at),
            "end_at": _ts(self.end_at),
            "max_runs": self.max_runs,
            "overlap": self.overlap,
            "last_occurrence_id": self.last_occurrence_id,
            "armed_until": _ts(self.armed_until),
            "generation": self.generation,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Schedule:
        return cls(
            id=doc["id"],
            project_id=doc["project_id"],
            kind=doc["kind"],
            state=doc["state"],
            request=DeliveryRequest.from_doc(doc["request"]),
            endpoint_id=doc.get("endpoint_id"),
            retry_policy=None if doc.get("retry_policy") is None else RetryPolicy.from_dict(doc["retry_policy"]),
            timeout=None if doc.get("timeout") is None else timedelta(seconds=doc["timeout"]),
            ttl=None if doc.get("ttl") is None else timedelta(seconds=doc["ttl"]),
            created_at=_parse_ts(doc["created_at"]),
            updated_at=_parse_ts(doc["updated_at"]),
            fire_at=_parse_ts(doc.get("fire_at")),
            timezone=doc.get("timezone", "UTC"),
            webhook_url=doc.get("webhook_url"),
            callback_url=doc.get("callback_url"),
            failure_callback_url=doc.get("failure_callback_url"),
            name=doc.get("name"),
            description=doc.get("description"),
            metadata=doc.get("metadata") or {},
            run_count=doc.get("run_count", 0),
            last_fire_at=_parse_ts(doc.get("last_fire_at")),
            timer_names=list(doc.get("timer_names") or []),
            cron=doc.get("cron"),
            every=None if doc.get("every") is None else timedelta(seconds=doc["every"]),
            anchor=_parse_ts(doc.get("anchor")),
            start_at=_parse_ts(doc.get("start_at")),
            end_at=_parse_ts(doc.get("end_at")),
            max_runs=doc.get("max_runs"),
            overlap=doc.get("overlap", "skip"),
            last_occurrence_id=doc.get("last_occurrence_id"),
            armed_until=_parse_ts(doc.get("armed_until")),
            generation=doc.get("generation", 0),
        )

    def to_api(self, now: datetime | None = None) -> dict[str, Any]:
        """The API representation; `next_fire_at`/`next_runs` are computed as of `now`."""
        req = self.request
        upcoming = self.upcoming(now or self.updated_at, 5)
        return {
            "id": self.id,
            "object": "schedule",
            "kind": self.kind,
            "state": self.state,
            "endpoint": req.url,
            "endpoint_id": self.endpoint_id,
            "method": req.method,
            "header_keys": sorted(req.headers),
            "query": req.query,
            "body": json.loads(req.body) if req.body_is_json and req.body is not None else req.body,
            "fire_at": _ts(self.fire_at),
            "cron": self.cron,
            "every": None if self.every is None else format_duration(self.every),
            "timezone": self.timezone,
            "start_at": _ts(self.start_at),
            "end_at": _ts(self.end_at),
            "max_runs": self.max_runs,
            "next_fire_at": _ts(upcoming[0]) if upcoming else None,
            "next_runs": [_ts(at) for at in upcoming],
            "run_count": self.run_count,
            "last_fire_at": _ts(self.last_fire_at),
            "retry_policy": None if self.retry_policy is None else self.retry_policy.to_dict(),
            "timeout": None if self.timeout is None else format_duration(self.timeout),
            "ttl": None if self.ttl is None else format_duration(self.ttl),
            "overlap": self.overlap,
            "callback_url": self.callback_url,
            "failure_callback_url": self.failure_callback_url,
            "webhook_url": self.webhook_url,
            "name": self.name,
            "description": self.description,
            "metadata": self.metadata,
            "created_at": _ts(self.created_at),
            "updated_at": _ts(self.updated_at),
        }


@dataclass
class Endpoint:
    id: str
    project_id: str
    name: str
    url: str
    method: str
    headers: dict[str, str]
    retry_policy: RetryPolicy
    timeout: timedelta
    created_at: datetime
    updated_at: datetime
    #: Optimistic-concurrency version, kept by the store (not part of the document).
    version: int = field(default=0, compare=False)
    #: Kept by the store: how many active or paused schedules reference this profile.
    in_use: int = field(default=0, compare=False)

    def to_doc(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "project_id": self.project_id,
            "name": self.name,
            "url": self.url,
            "method": self.method,
            "headers": self.headers,
            "retry_policy": self.retry_policy.to_dict(),
            "timeout": self.timeout.total_seconds(),
            "created_at": _ts(self.created_at),
            "updated_at": _ts(self.updated_at),
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Endpoint:
        return cls(
            id=doc["id"],
            project_id=doc["project_id"],
            name=doc["name"],
            url=doc["url"],
            method=doc["method"],
            headers=dict(doc["headers"]),
            retry_policy=RetryPolicy.from_dict(doc["retry_policy"]),
            timeout=timedelta(seconds=doc["timeout"]),
            created_at=_parse_ts(doc["created_at"]),
            updated_at=_parse_ts(doc["updated_at"]),
        )

    def to_api(self) -> dict[str, Any]:
        """Header values are secrets: only their names are shown."""
        return {
            "id": self.id,
            "object": "endpoint",
            "name": self.name,
            "url": self.url,
            "method": self.method,
            "header_keys": sorted(self.headers),
            "retry_policy": self.retry_policy.to_dict(),
            "timeout": format_duration(self.timeout),
            "created_at": _ts(self.created_at),
            "updated_at": _ts(self.updated_at),
        }


@dataclass
class Attempt:
    number: int
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None
    response_excerpt: str

    def to_doc(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "started_at": _ts(self.started_at),
            "duration_ms": self.duration_ms,
            "status_code": self.status_code,
            "error": self.error,
            "response_excerpt": self.response_excerpt,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Attempt:
        return cls(**{**doc, "started_at": _parse_ts(doc["started_at"])})


@dataclass
class Occurrence:
    id: str
    project_id: str
    schedule_id: str
    scheduled_for: datetime
    state: str
    created_at: datetime
    attempts: list[Attempt] = field(default_factory=list)
    #: The attempt number the next delivery must carry (guards against duplicate invocations).
    next_attempt: int = 1
    next_attempt_at: datetime | None = None
    #: When the attempt now in flight started: a lease, so a crashed attempt can be taken over.
    claimed_at: datetime | None = None
    completed_at: datetime | None = None
    replay_of: str | None = None
    #: Why it ended the way it did: attempts_exhausted, non_retryable_status, ttl_expired, ...
    outcome: str | None = None
    #: What made it: a fire of the schedule's timing, a manual `trigger`, or a `replay`.
    origin: str = "schedule"
    #: The newest replay of this (finished) occurrence.
    replayed_by: str | None = None
    #: How its result reached `callback_url` / `failure_callback_url`, by kind:
    #: {"status": pending|retrying|delivered|failed, "attempts", "status_code", "error"}.
    callbacks: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Optimistic-concurrency version, kept by the store (not part of the document).
    version: int = field(default=0, compare=False)

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_OCCURRENCE_STATES

    def cancelled_by(self, schedule: Schedule) -> bool:
        """A cancel stops what the schedule made before it, not a replay requested after it."""
        return schedule.state == "cancelled" and schedule.updated_at >= self.created_at

    def to_doc(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "project_id": self.project_id,
            "schedule_id": self.schedule_id,
            "scheduled_for": _ts(self.scheduled_for),
            "state": self.state,
            "created_at": _ts(self.created_at),
            "attempts": [a.to_doc() for a in self.attempts],
            "next_attempt": self.next_attempt,
            "next_attempt_at": _ts(self.next_attempt_at),
            "claimed_at": _ts(self.claimed_at),
            "completed_at": _ts(self.completed_at),
            "replay_of": self.replay_of,
            "outcome": self.outcome,
            "origin": self.origin,
            "replayed_by": self.replayed_by,
            "callbacks": self.callbacks,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Occurrence:
        return cls(
            id=doc["id"],
            project_id=doc["project_id"],
            schedule_id=doc["schedule_id"],
            scheduled_for=_parse_ts(doc["scheduled_for"]),
            state=doc["state"],
            created_at=_parse_ts(doc["created_at"]),
            attempts=[Attempt.from_doc(a) for a in doc.get("attempts", [])],
            next_attempt=doc.get("next_attempt", 1),
            next_attempt_at=_parse_ts(doc.get("next_attempt_at")),
            claimed_at=_parse_ts(doc.get("claimed_at")),
            completed_at=_parse_ts(doc.get("completed_at")),
            replay_of=doc.get("replay_of"),
            outcome=doc.get("outcome"),
            origin=doc.get("origin", "schedule"),
            replayed_by=doc.get("replayed_by"),
            callbacks=doc.get("callbacks") or {},
        )

    def to_api(self) -> dict[str, Any]:
        doc = self.to_doc()
        for private in ("project_id", "next_attempt", "created_at", "claimed_at"):
            doc.pop(private)
        return {"id": self.id, "object": "occurrence", **doc}
