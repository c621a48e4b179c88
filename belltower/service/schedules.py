"""Schedule use cases for the API: create, read, list, cancel, and a schedule's occurrences."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from belltower.adapters.store import MissingReference, Page, StaleWrite
from belltower.domain.errors import Conflict, InvalidRequest, NotFound, SchedulerUnavailable
from belltower.domain.ids import new_id
from belltower.domain.models import OCCURRENCE_STATES, SCHEDULE_KINDS, SCHEDULE_STATES, Schedule
from belltower.domain.schedule_request import parse_create
from belltower.domain.timing import format_utc
from belltower.ports import TimerSpec
from belltower.wiring import Container

logger = logging.getLogger(__name__)

#: Work due sooner than this is handed to delivery directly: an `at()` in the past is undefined.
DIRECT_DISPATCH_WINDOW = timedelta(seconds=2)
MAX_PAGE = 100


def fire_event(schedule: Schedule, scheduled_for: datetime) -> dict[str, Any]:
    return {
        "type": "fire",
        "project_id": schedule.project_id,
        "schedule_id": schedule.id,
        "scheduled_for": format_utc(scheduled_for),
    }


def arm(c: Container, name: str, when: datetime, event: dict[str, Any]) -> None:
    """Make `event` reach the delivery function at `when`: a one-time schedule, or now."""
    if when - c.clock.now() <= DIRECT_DISPATCH_WINDOW:
        c.invoker.invoke_delivery(event)
    else:
        c.timers.create_one_time(TimerSpec(name=name, fire_at=when, payload=event))


def create_schedule(c: Container, project: dict[str, Any], body: Any) -> Schedule:
    # Millisecond precision: the fire time round-trips exactly through ids, events and responses.
    now = c.clock.now().replace(microsecond=c.clock.now().microsecond // 1000 * 1000)
    spec = parse_create(body, now=now, allowed_destinations=c.settings.allowed_destinations)
    schedule = Schedule(
        id=new_id("sch", now),
        project_id=project["id"],
        kind="one_shot",
        state="active",
        request=spec.request,
        endpoint_id=spec.endpoint_id,
        retry_policy=spec.retry_policy,
        timeout=spec.timeout,
        ttl=spec.ttl,
        created_at=now,
        updated_at=now,
        fire_at=spec.fire_at,
        timezone=spec.timezone,
        name=spec.name,
        description=spec.description,
        metadata=spec.metadata,
        next_fire_at=spec.fire_at,
    )
    schedule.timer_names = [schedule.id]
    try:
        c.store.create_schedule(schedule)
    except MissingReference:
        raise NotFound(f"no endpoint {spec.endpoint_id!r}", param="endpoint_id") from None
    try:
        arm(c, schedule.id, spec.fire_at, fire_event(schedule, spec.fire_at))
    except SchedulerUnavailable:
        # DynamoDB is the source of truth: without its timer the schedule must not exist at all.
        c.store.delete_schedule(schedule.project_id, schedule.id, endpoint_id=schedule.endpoint_id)
        raise
    return schedule


def get_schedule(c: Container, project: dict[str, Any], schedule_id: str) -> Schedule:
    schedule = c.store.get_schedule(project["id"], schedule_id)
    if schedule is None:
        raise NotFound(f"no schedule {schedule_id!r}", param="id")
    return schedule


def parse_limit(raw: str | None, *, default: int = 20, maximum: int = MAX_PAGE) -> int:
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise InvalidRequest(f"`limit` must be an integer from 1 to {maximum}", param="limit",
                             code="invalid_field")  # fmt: skip
    return int(raw)


def _choice(raw: str | None, allowed: tuple[str, ...], param: str) -> str | None:
    if raw is not None and raw not in allowed:
        raise InvalidRequest(f"`{param}` must be one of {', '.join(allowed)}", param=param,
                             code="invalid_field")  # fmt: skip
    return raw


def list_schedules(c: Container, project: dict[str, Any], params: dict[str, str]) -> Page:
    return c.store.list_schedules(
        project["id"],
        limit=parse_limit(params.get("limit")),
        cursor=params.get("cursor"),
        state=_choice(params.get("state"), SCHEDULE_STATES, "state"),
        kind=_choice(params.get("kind"), SCHEDULE_KINDS, "kind"),
    )


def list_occurrences(c: Container, project: dict[str, Any], schedule_id: str, params: dict[str, str]) -> Page:
    get_schedule(c, project, schedule_id)
    return c.store.list_occurrences(
        project["id"],
        schedule_id,
        limit=parse_limit(params.get("limit")),
        cursor=params.get("cursor"),
        state=_choice(params.get("state"), OCCURRENCE_STATES, "state"),
    )


def cancel_schedule(c: Container, project: dict[str, Any], schedule_id: str) -> Schedule:
    """No further occurrences; pending retries cancelled. Idempotent."""
    while True:
        schedule = get_schedule(c, project, schedule_id)
        if schedule.state == "cancelled":
            return schedule
        if schedule.state == "completed":
            raise Conflict("the schedule has completed; there is nothing left to cancel")
        now = c.clock.now()
        schedule.cancel(now)
        try:
            c.store.save_schedule(schedule)
            break
        except StaleWrite:
            continue  # a delivery updated it meanwhile: decide again on the fresh copy
    for name in schedule.timer_names:
        _delete_timer(c, name)
    for occ in c.store.iter_open_occurrences(project["id"], schedule_id):
        cancel_occurrence(c, occ, now)
    return schedule


def cancel_occurrence(c: Container, occ: Any, now: datetime) -> None:
    """Cancel an occurrence that waits for a retry. One in flight is settled by its delivery."""
    if occ.state not in ("scheduled", "retrying"):
        return
    pending_timer = f"{occ.id}-{occ.next_attempt}"
    occ.state, occ.completed_at, occ.next_attempt_at, occ.outcome = "cancelled", now, None, "schedule_cancelled"
    try:
        c.store.save_occurrence(occ, expires_at=c.retention_deadline(now))
    except StaleWrite:
        return  # its delivery moved on; it will see the cancelled schedule
    _delete_timer(c, pending_timer)


def _delete_timer(c: Container, name: str) -> None:
    try:
        c.timers.delete(name)
    except SchedulerUnavailable:
        # Harmless: the schedule is cancelled in DynamoDB, so a late fire is recorded and dropped.
        logger.warning("could not delete timer; its fire will be dropped", extra={"timer": name})
