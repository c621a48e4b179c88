"""Getting events to the delivery function on time: EventBridge schedules, or a direct invoke."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from belltower.domain.errors import SchedulerUnavailable
from belltower.domain.models import Schedule
from belltower.domain.timing import format_utc
from belltower.ports import TimerSpec
from belltower.wiring import Container

logger = logging.getLogger(__name__)

#: Work due sooner than this is handed to delivery directly: an `at()` in the past is undefined.
DIRECT_DISPATCH_WINDOW = timedelta(seconds=2)


def fire_event(schedule: Schedule, scheduled_for: datetime | str) -> dict[str, Any]:
    """The delivery event of one fire (`scheduled_for` may be EventBridge's context keyword)."""
    return {
        "type": "fire",
        "project_id": schedule.project_id,
        "schedule_id": schedule.id,
        "scheduled_for": scheduled_for if isinstance(scheduled_for, str) else format_utc(scheduled_for),
    }


def arm(c: Container, name: str, when: datetime, event: dict[str, Any]) -> None:
    """Make `event` reach the delivery function at `when`: a one-time schedule, or now."""
    if when - c.clock.now() <= DIRECT_DISPATCH_WINDOW:
        c.invoker.invoke_delivery(event)
    else:
        c.timers.put(TimerSpec(name=name, fire_at=when, payload=event))


def put_all(c: Container, specs: list[TimerSpec]) -> None:
    """Create the schedules; on failure remove the ones already made and raise."""
    made: list[str] = []
    try:
        for spec in specs:
            c.timers.put(spec)
            made.append(spec.name)
    except SchedulerUnavailable:
        for name in made:
            delete_timer(c, name)
        raise


def delete_timer(c: Container, name: str) -> None:
    try:
        c.timers.delete(name)
    except SchedulerUnavailable:
        # Harmless: DynamoDB says the schedule is over, so a late fire is recorded and dropped.
        logger.warning("could not delete timer; its fire will be dropped", extra={"timer": name})
