"""Lifecycle use cases: pause, resume, trigger, replay, and the dead letters."""

from __future__ import annotations

import logging

from datetime import datetime
from itertools import islice
from typing import Any

from belltower.adapters.store import Page, StaleWrite, all_items
from belltower.domain.errors import Conflict, InvalidRequest, NotFound, SchedulerUnavailable
from belltower.domain.ids import new_id
from belltower.domain.models import Occurrence, Schedule
from belltower.domain.paging import parse_limit
from belltower.ports import TimerSpec
from belltower.service import recurring
from belltower.service.schedules import LIST_LIMIT, get_schedule
from belltower.service.timers import DIRECT_DISPATCH_WINDOW, fire_event
from belltower.wiring import Container

logger = logging.getLogger(__name__)

MAX_REPLAY_BATCH = 100


def _transition(c: Container, project: dict[str, Any], schedule_id: str, *, to: str, allowed_from: tuple[str, ...]
                ) -> tuple[Schedule, bool]:  # fmt: skip
    """Move a schedule to `to` (versioned). Returns it and whether it changed; 409 when not allowed."""
    while True:
        schedule = get_schedule(c, project, schedule_id)
        if schedule.state == to:
            return schedule, False
        if schedule.state not in allowed_from:
            raise Conflict(f"a {schedule.state} schedule cannot become {to}", param="state")
        schedule.state, schedule.updated_at = to, c.clock.now()
        try:
            c.store.save_schedule(schedule)
            return schedule, True
        except StaleWrite:
            continue


def timer_specs(schedule: Schedule, now: datetime, *, enabled: bool) -> list[TimerSpec]:
    """The full definitions of the schedule's regular EventBridge schedules (UpdateSchedule
    replaces everything, so state changes re-send them whole)."""
    if schedule.kind == "recurring":
        specs = recurring.regular_timers(schedule, now)
    elif schedule.fire_at is not None and schedule.fire_at - now > DIRECT_DISPATCH_WINDOW:
        specs = [TimerSpec(name=schedule.id, fire_at=schedule.fire_at, payload=fire_event(schedule, schedule.fire_at))]
    else:
        specs = []
    return [TimerSpec(**{**spec.__dict__, "enabled": enabled}) for spec in specs]


def pause(c: Container, project: dict[str, Any], schedule_id: str) -> Schedule:
    """Stop firing: its EventBridge schedules become DISABLED; a fire already on its way is dropped."""
    schedule, changed = _transition(c, project, schedule_id, to="paused", allowed_from=("active",))
    if changed:
        for spec in timer_specs(schedule, c.clock.now(), enabled=False):
            _put_quietly(c, spec)  # DynamoDB says paused: a fire that still comes is dropped
    return schedule


def resume(c: Container, project: dict[str, Any], schedule_id: str) -> Schedule:
    """Restart firing. A one-shot whose time passed while paused fires once now (its ttl applies)."""
    schedule, changed = _transition(c, project, schedule_id, to="active", allowed_from=("paused",))
    if not changed:
        return schedule
    now = c.clock.now()
    try:
        if schedule.kind == "one_shot" and schedule.fire_at - now <= DIRECT_DISPATCH_WINDOW:
            c.invoker.invoke_delivery({**fire_event(schedule, schedule.fire_at), "resumed": True})
        for spec in timer_specs(schedule, now, enabled=True):
            c.timers.put(spec)
        if schedule.kind == "recurring":
            schedule.armed_until = None  # re-put every one-time timer: some were dropped or disabled
            recurring.rearm(c, schedule, now, now)
            _save_arming(c, schedule)
    except SchedulerUnavailable:
        _transition(c, project, schedule_id, to="paused", allowed_from=("active",))
        raise
    return schedule


def _save_arming(c: Container, schedule: Schedule) -> None:
    while True:
        try:
            c.store.save_schedule(schedule)
            return
        except StaleWrite:
            fresh = c.store.get_schedule(schedule.project_id, schedule.id)
            if fresh is None:
                return
            recurring.carry_arming(fresh, schedule)
            schedule = fresh


def _put_quietly(c: Container, spec: TimerSpec) -> None:
    try:
        c.timers.put(spec)
    except SchedulerUnavailable:
        # Harmless, like a failed delete_timer: DynamoDB says paused, so its fires are dropped.
        logger.warning("could not disable timer; its fires will be dropped", extra={"timer": spec.name})


def _deliver_now(c: Container, occ: Occurrence) -> Occurrence:
    """Store a new occurrence and hand its first attempt to the delivery function."""
    c.store.create_occurrence(occ)
    try:
        c.invoker.invoke_delivery({"type": "attempt", "project_id": occ.project_id, "schedule_id": occ.schedule_id,
                                   "occurrence_id": occ.id, "attempt": 1})  # fmt: skip
    except SchedulerUnavailable:
        c.store.delete_occurrence(occ)
        raise
    return occ


def _new_occurrence(c: Container, schedule: Schedule, origin: str, replay_of: str | None = None) -> Occurrence:
    now = c.clock.now()
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    return Occurrence(id=new_id("occ", now), project_id=schedule.project_id, schedule_id=schedule.id,
                      scheduled_for=now, state="scheduled", created_at=now, origin=origin,
                      replay_of=replay_of)  # fmt: skip


def trigger(c: Container, project: dict[str, Any], schedule_id: str) -> Occurrence:
    """Fire one occurrence now, outside the timing (it does not count toward `max_runs`)."""
    schedule = get_schedule(c, project, schedule_id)
    if schedule.state not in ("active", "paused"):
        raise Conflict(f"a {schedule.state} schedule cannot be triggered", param="state")
    return _deliver_now(c, _new_occurrence(c, schedule, "trigger"))


def get_occurrence(c: Container, project: dict[str, Any], occurrence_id: str) -> Occurrence:
    occ = c.store.find_occurrence(project["id"], occurrence_id)
    if occ is None:
        raise NotFound(f"no occurrence {occurrence_id!r}", param="id")
    return occ


def replay(c: Container, project: dict[str, Any], occurrence_id: str) -> Occurrence:
    """Re-deliver a finished occurrence as a new one (`replay_of` names the original)."""
    original = get_occurrence(c, project, occurrence_id)
    if not original.is_terminal:
        raise Conflict(f"occurrence {original.id} is {original.state}; only a finished one can be replayed",
                       param="id")  # fmt: skip
    schedule = get_schedule(c, project, original.schedule_id)
    new = _deliver_now(c, _new_occurrence(c, schedule, "replay", replay_of=original.id))
    original.replayed_by = new.id
    try:
        c.store.save_occurrence(original, expires_at=c.retention_deadline(c.clock.now()))
    except StaleWrite:
        pass  # replayed twice at once: both replays stand, the newest link is enough
    return new


def list_dead_letters(c: Container, project: dict[str, Any], params: dict[str, str]) -> Page:
    return c.store.list_dead_letters(project["id"], limit=parse_limit(params.get("limit"), default=LIST_LIMIT),
                                     cursor=params.get("cursor"))  # fmt: skip


def replay_dead_letters(c: Container, project: dict[str, Any], body: Any) -> list[Occurrence]:
    """Replay the given dead letters (`{"ids": [...]}`), or up to 100 not yet replayed (`{}`)."""
    if not isinstance(body, dict) or set(body) - {"ids"}:
        raise InvalidRequest("send {} to replay all dead letters, or {\"ids\": [...]}", param="ids",
                             code="invalid_field")  # fmt: skip
    ids = body.get("ids")
    if ids is not None:
        if not isinstance(ids, list) or not ids or len(ids) > MAX_REPLAY_BATCH or not all(isinstance(i, str) for i in ids):
            raise InvalidRequest(f"`ids` is a list of 1 to {MAX_REPLAY_BATCH} occurrence ids", param="ids",
                                 code="invalid_field")  # fmt: skip
        originals = [get_occurrence(c, project, i) for i in ids]
        for occ in originals:
            if occ.state != "dead_lettered":
                raise Conflict(f"occurrence {occ.id} is {occ.state}, not dead_lettered", param="ids")
    else:
        waiting = (o for o in all_items(c.store.list_dead_letters, project["id"]) if o.replayed_by is None)
        originals = list(islice(waiting, MAX_REPLAY_BATCH))
    return [replay(c, project, occ.id) for occ in originals]
