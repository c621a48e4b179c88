"""Schedule use cases for the API: create, read, list, cancel, and a schedule's occurrences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from belltower.adapters.store import Page, StaleWrite
from belltower.domain.errors import Conflict, InvalidRequest, NotFound, SchedulerUnavailable
from belltower.domain.ids import new_id
from belltower.domain.models import OCCURRENCE_STATES, SCHEDULE_KINDS, SCHEDULE_STATES, Schedule
from belltower.domain.paging import parse_limit
from belltower.domain.preview import DEFAULT_LIMIT as PREVIEW_LIMIT
from belltower.domain.preview import parse_start_from, schedule_preview
from belltower.domain.schedule_request import parse_create
from belltower.domain.timing import format_utc
from belltower.service import recurring
from belltower.service.timers import arm, delete_timer, fire_event, put_all
from belltower.wiring import Container

LIST_LIMIT = 20


def create_schedule(c: Container, project: dict[str, Any], body: Any) -> Schedule:
    # Millisecond precision: the fire time round-trips exactly through ids, events and responses.
    now = c.clock.now()
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    spec = parse_create(body, now=now, allowed_destinations=c.settings.allowed_destinations)
    recurrence = spec.recurrence
    schedule = Schedule(
        id=new_id("sch", now),
        project_id=project["id"],
        kind="one_shot" if recurrence is None else "recurring",
        state="active",
        request=spec.request,
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
        max_runs=spec.max_runs,
        overlap=spec.overlap,
    )
    if recurrence is not None:
        schedule.cron = recurrence.cron.text if recurrence.cron else None
        schedule.every, schedule.anchor = recurrence.every, recurrence.anchor
        schedule.start_at, schedule.end_at = recurrence.start_at, recurrence.end_at
        timers = recurring.plan_new(schedule, now)
    else:
        schedule.timer_names = [schedule.id]
    c.store.create_schedule(schedule)
    try:
        if recurrence is None:
            arm(c, schedule.id, spec.fire_at, fire_event(schedule, spec.fire_at))
        else:
            put_all(c, timers)
    except SchedulerUnavailable:
        # DynamoDB is the source of truth: without its timers the schedule must not exist at all.
        c.store.delete_schedule(schedule.project_id, schedule.id)
        raise
    return schedule


def get_schedule(c: Container, project: dict[str, Any], schedule_id: str) -> Schedule:
    schedule = c.store.get_schedule(project["id"], schedule_id)
    if schedule is None:
        raise NotFound(f"no schedule {schedule_id!r}", param="id")
    return schedule


def _choice(raw: str | None, allowed: tuple[str, ...], param: str) -> str | None:
    if raw is not None and raw not in allowed:
        raise InvalidRequest(f"`{param}` must be one of {', '.join(allowed)}", param=param,
                             code="invalid_field")  # fmt: skip
    return raw


def list_schedules(c: Container, project: dict[str, Any], params: dict[str, str]) -> Page:
    return c.store.list_schedules(
        project["id"],
        limit=parse_limit(params.get("limit"), default=LIST_LIMIT),
        cursor=params.get("cursor"),
        state=_choice(params.get("state"), SCHEDULE_STATES, "state"),
        kind=_choice(params.get("kind"), SCHEDULE_KINDS, "kind"),
    )


def list_occurrences(c: Container, project: dict[str, Any], schedule_id: str, params: dict[str, str]) -> Page:
    get_schedule(c, project, schedule_id)
    return c.store.list_occurrences(
        project["id"],
        schedule_id,
        limit=parse_limit(params.get("limit"), default=LIST_LIMIT),
        cursor=params.get("cursor"),
        state=_choice(params.get("state"), OCCURRENCE_STATES, "state"),
    )


def preview_schedule(c: Container, project: dict[str, Any], schedule_id: str, params: dict[str, str]) -> dict[str, Any]:
    schedule = get_schedule(c, project, schedule_id)
    now = c.clock.now()
    return schedule_preview(schedule, parse_start_from(params.get("start_from"), now), parse_limit(params.get("limit"), default=PREVIEW_LIMIT))


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
        delete_timer(c, name)
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
    delete_timer(c, pending_timer)
