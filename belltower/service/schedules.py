"""Schedule use cases for the API: create, read, list, cancel, and a schedule's occurrences."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from belltower.adapters.store import Page, StaleWrite
from belltower.domain.errors import Conflict, InvalidRequest, NotFound, SchedulerUnavailable
from belltower.domain.ids import new_id
from belltower.domain.models import OCCURRENCE_STATES, SCHEDULE_KINDS, SCHEDULE_STATES, Schedule
from belltower.domain.paging import parse_limit
from belltower.domain.preview import DEFAULT_LIMIT as PREVIEW_LIMIT
from belltower.domain.preview import parse_start_from, schedule_preview
from belltower.domain.schedule_request import create_body, parse_create, parse_patch
from belltower.domain.timing import format_utc
from belltower.service import recurring
from belltower.ports import TimerSpec
from belltower.service.timers import DIRECT_DISPATCH_WINDOW, arm, delete_timer, fire_event, put_all
from belltower.wiring import Container

LIST_LIMIT = 20


def create_schedule(c: Container, project: dict[str, Any], body: Any) -> Schedule:
    now = _now_ms(c)
    spec = parse_create(body, now=now, allowed_destinations=c.settings.allowed_destinations)
    schedule = Schedule(
        id=new_id("sch", now),
        project_id=project["id"],
        kind="one_shot",
        state="active",
        request=spec.fields.request,
        retry_policy=spec.fields.retry_policy,
        timeout=spec.fields.timeout,
        created_at=now,
        updated_at=now,
    )
    schedule.apply_fields(spec.fields, now)
    schedule.apply_timing(spec.timing)
    timers = plan_timers(schedule, now)
    c.store.create_schedule(schedule)
    try:
        start_timers(c, schedule, timers)
    except SchedulerUnavailable:
        # DynamoDB is the source of truth: without its timers the schedule must not exist at all.
        c.store.delete_schedule(schedule.project_id, schedule.id)
        raise
    return schedule


def _now_ms(c: Container) -> datetime:
    """Millisecond precision: a fire time round-trips exactly through ids, events and responses."""
    now = c.clock.now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def plan_timers(schedule: Schedule, now: datetime) -> list[TimerSpec]:
    """The EventBridge schedules the schedule's timing needs (records their names on it)."""
    if schedule.kind == "recurring":
        return recurring.plan_new(schedule, now)
    schedule.timer_names = [schedule.timer_prefix]
    return [TimerSpec(name=schedule.timer_prefix, fire_at=schedule.fire_at,
                      payload=fire_event(schedule, schedule.fire_at), enabled=schedule.state == "active")]  # fmt: skip


def start_timers(c: Container, schedule: Schedule, timers: list[TimerSpec]) -> None:
    """Create the planned timers; a one-shot due within seconds goes to delivery directly."""
    if schedule.kind == "one_shot" and schedule.state == "active":
        arm(c, schedule.timer_prefix, schedule.fire_at, fire_event(schedule, schedule.fire_at))
    elif schedule.kind == "one_shot":
        put_all(c, [t for t in timers if t.fire_at - c.clock.now() > DIRECT_DISPATCH_WINDOW])
    else:
        put_all(c, [replace(t, enabled=schedule.state == "active") for t in timers])


def update_schedule(c: Container, project: dict[str, Any], schedule_id: str, patch: Any) -> Schedule:
    """PATCH: edit anything; the id and history stay, and only future occurrences change. A
    timing change gets new EventBridge schedules (new names), created before the old ones go."""
    while True:
        schedule = get_schedule(c, project, schedule_id)
        if schedule.state not in ("active", "paused"):
            raise Conflict(f"a {schedule.state} schedule cannot be edited", param="state")
        now = _now_ms(c)
        fields, timing = parse_patch(create_body(schedule), patch, now=now, one_shot=schedule.kind == "one_shot",
                                     allowed_destinations=c.settings.allowed_destinations)  # fmt: skip
        schedule.apply_fields(fields, now)
        old_timers, timers = list(schedule.timer_names), []
        if timing is not None:
            schedule.apply_timing(timing)
            schedule.generation += 1
            timers = plan_timers(schedule, now)
            start_timers(c, schedule, timers)
        try:
            c.store.save_schedule(schedule)
        except StaleWrite:
            for spec in timers:
                delete_timer(c, spec.name)
            continue  # changed meanwhile (a fire, a pause): apply the PATCH to the fresh copy
        if timing is not None:
            for name in old_timers:
                delete_timer(c, name)
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
