"""Lifecycle events (pure): what the event feed (`GET /v1/events`) and `webhook_url` carry.

An event is `{id "evt_...", object "event", type, created_at, data}`; ids sort by creation.
`data` holds the ids and the state of what changed, never request headers or bodies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from belltower.domain.models import Occurrence, Schedule
from belltower.domain.timing import format_utc, parse_rfc3339

OCCURRENCE_STARTED = "occurrence.started"
OCCURRENCE_SUCCEEDED = "occurrence.succeeded"
OCCURRENCE_RETRYING = "occurrence.retrying"
OCCURRENCE_DEAD_LETTERED = "occurrence.dead_lettered"
OCCURRENCE_EXPIRED = "occurrence.expired"
SCHEDULE_COMPLETED = "schedule.completed"
EVENT_TYPES = (OCCURRENCE_STARTED, OCCURRENCE_SUCCEEDED, OCCURRENCE_RETRYING, OCCURRENCE_DEAD_LETTERED,
               OCCURRENCE_EXPIRED, SCHEDULE_COMPLETED)  # fmt: skip
#: The event announcing that an occurrence ended in this state (skipped/cancelled ones have none).
FINISHED = {"succeeded": OCCURRENCE_SUCCEEDED, "dead_lettered": OCCURRENCE_DEAD_LETTERED,
            "expired": OCCURRENCE_EXPIRED}  # fmt: skip


@dataclass(frozen=True)
class Event:
    id: str
    project_id: str
    type: str
    created_at: datetime
    data: dict[str, Any]

    def to_doc(self) -> dict[str, Any]:
        return {"id": self.id, "project_id": self.project_id, "type": self.type,
                "created_at": format_utc(self.created_at), "data": self.data}  # fmt: skip

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Event:
        return cls(doc["id"], doc["project_id"], doc["type"], parse_rfc3339(doc["created_at"], param="created_at"),
                   doc["data"])  # fmt: skip

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "object": "event", "type": self.type, "created_at": format_utc(self.created_at),
                "data": self.data}  # fmt: skip


def occurrence_event(event_id: str, event_type: str, occ: Occurrence, now: datetime) -> Event:
    """An occurrence's state after a transition, with the attempt it concerns."""
    last = occ.attempts[-1] if occ.attempts else None
    data = {
        "schedule_id": occ.schedule_id,
        "occurrence_id": occ.id,
        "scheduled_for": format_utc(occ.scheduled_for),
        "state": occ.state,
        "attempt": last.number if last else occ.next_attempt,
        "status_code": last.status_code if last else None,
        "error": last.error if last else None,
        "next_attempt_at": None if occ.next_attempt_at is None else format_utc(occ.next_attempt_at),
        "outcome": occ.outcome,
    }
    return Event(event_id, occ.project_id, event_type, now, data)


def schedule_event(event_id: str, event_type: str, schedule: Schedule, now: datetime) -> Event:
    data = {
        "schedule_id": schedule.id,
        "state": schedule.state,
        "run_count": schedule.run_count,
        "last_fire_at": None if schedule.last_fire_at is None else format_utc(schedule.last_fire_at),
    }
    return Event(event_id, schedule.project_id, event_type, now, data)
