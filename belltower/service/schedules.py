"""Schedule use cases for the API: create (once per idempotency key), batch, read, list, edit,
cancel, preview, and a schedule's occurrences."""

from __future__ import annotations

import logging

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from belltower.adapters.store import MissingReference, Page, StaleWrite, epoch
from belltower.domain import idempotency
from belltower.domain.errors import BelltowerError, Conflict, InvalidRequest, NotFound, SchedulerUnavailable
from belltower.domain.ids import new_id
from belltower.domain.models import OCCURRENCE_STATES, SCHEDULE_KINDS, SCHEDULE_STATES, Schedule
from belltower.domain.paging import parse_limit
from belltower.domain.preview import DEFAULT_LIMIT as PREVIEW_LIMIT
from belltower.domain.preview import parse_start_from, schedule_preview
from belltower.domain.schedule_request import create_body, parse_batch, parse_create, parse_patch
from belltower.ports import TimerSpec
from belltower.service import recurring
from belltower.service.timers import DIRECT_DISPATCH_WINDOW, arm, delete_timer, fire_event, put_all
from belltower.wiring import Container

logger = logging.getLogger(__name__)

LIST_LIMIT = 20
#: A request that waits for a concurrent one with the same idempotency key polls its record.
IDEMPOTENCY_POLLS, IDEMPOTENCY_POLL_SECONDS = 50, 0.1
#: A pending idempotency record older than this belongs to a request that died (API timeout: 29 s).
IDEMPOTENCY_ABANDONED_AFTER = timedelta(seconds=60)
#: Undoing a create whose timer could not be made: tries, and the first backoff (doubling).
ROLLBACK_TRIES, ROLLBACK_BACKOFF_SECONDS = 5, 0.1


@dataclass(frozen=True)
class Created:
    schedule: Schedule
    #: True when an idempotency key matched an earlier request: `schedule` is that request's.
    replayed: bool = False


def create_schedule(
    c: Container, project: dict[str, Any], body: Any, *, idempotency_key: str | None = None,
    schedule_id: str | None = None,
) -> Created:
    """Create a schedule from a request body; `idempotency_key` is the `Idempotency-Key` header.
    `schedule_id` is an id from `new_id("sch", ...)` chosen by the caller (a compatibility route
    whose wire format puts the id in the delivered body); only without an idempotency key."""
    key = idempotency.request_key(body, idempotency_key)
    if key is None:
        now = _now(c)
        return Created(_store_and_arm(c, _new_schedule(c, project, body, schedule_id or new_id("sch", now), now)))
    if schedule_id is not None:
        raise ValueError("a chosen schedule id cannot be combined with an idempotency key")
    return _create_once(c, project, body, key)


@dataclass(frozen=True)
class BatchResult:
    """One item of a batch: a created (201) or replayed (200) schedule, or the error it got."""

    status: int
    schedule: Schedule | None = None
    error: BelltowerError | None = None


def create_batch(
    c: Container, project: dict[str, Any], body: Any, *, idempotency_key: str | None = None
) -> list[BatchResult]:
    """Up to 100 creates in order, each exactly as `POST /v1/schedules` would do it (idempotency
    keys per item, in their bodies); one item's error does not stop the others."""
    if idempotency_key is not None:
        raise InvalidRequest("a batch takes `idempotency_key` in each schedule, not the Idempotency-Key header",
                             param="idempotency_key", code="invalid_field")  # fmt: skip
    results = []
    for item in parse_batch(body):
        try:
            created = create_schedule(c, project, item)
        except BelltowerError as error:
            results.append(BatchResult(error.status, error=error))
        else:
            results.append(BatchResult(200 if created.replayed else 201, schedule=created.schedule))
    return results


def _now(c: Container) -> datetime:
    # Millisecond precision: the fire time round-trips exactly through ids, events and responses.
    now = c.clock.now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _create_once(c: Container, project: dict[str, Any], body: Any, key: str) -> Created:
    """At most one schedule per (project, key) in 24 h, however many requests race for it.

    A conditional put of a `pending` record claims the key; the winner creates the schedule and
    marks the record `done`; everyone else reads the record: another body is a 409, a `done` one
    is a replay, a `pending` one is waited for. A winner that fails releases the key; one that
    died is taken over after `IDEMPOTENCY_ABANDONED_AFTER`, with the same schedule id.
    """
    digest, fingerprint = idempotency.key_digest(key), idempotency.fingerprint(body)
    for _ in range(IDEMPOTENCY_POLLS):
        now = _now(c)
        record = c.store.get_idempotency(project["id"], digest)
        if record is not None and record["expires_at"] <= epoch(now):
            record = None  # expired; DynamoDB's TTL has not removed it yet
        if record is not None and record["fingerprint"] != fingerprint:
            raise Conflict("this idempotency key was used with a different request body",
                           param="idempotency_key", code="idempotency_key_reused")  # fmt: skip
        if record is not None and record["state"] == "done":
            return Created(get_schedule(c, project, record["schedule_id"]), replayed=True)
        abandoned_before = epoch(now - IDEMPOTENCY_ABANDONED_AFTER)
        if record is None or record["claimed_at"] < abandoned_before:
            schedule_id = new_id("sch", now) if record is None else record["schedule_id"]
            schedule = _new_schedule(c, project, body, schedule_id, now)  # invalid bodies claim nothing
            claimed = c.store.claim_idempotency(
                project["id"], digest, fingerprint=fingerprint, schedule_id=schedule_id, now=epoch(now),
                expires_at=epoch(now + idempotency.KEY_TTL), abandoned_before=abandoned_before,
            )  # fmt: skip
            if claimed:
                try:
                    schedule = _store_and_arm(c, schedule)
                except Exception:
                    c.store.release_idempotency(project["id"], digest, schedule_id)
                    raise
                c.store.finish_idempotency(project["id"], digest, schedule_id)
                return Created(schedule)
            continue  # another request claimed it first: read its record
        c.clock.sleep(IDEMPOTENCY_POLL_SECONDS)  # the winner is still creating the schedule
    raise Conflict("a request with this idempotency key is still being processed; retry shortly",
                   param="idempotency_key")  # fmt: skip


def _new_schedule(c: Container, project: dict[str, Any], body: Any, schedule_id: str, now: datetime) -> Schedule:
    spec = parse_create(body, now=now, allowed_destinations=c.settings.allowed_destinations)
    schedule = Schedule(
        id=schedule_id,
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
    return schedule


def plan_timers(schedule: Schedule, now: datetime) -> list[TimerSpec]:
    """The EventBridge schedules the schedule's timing needs (records their names on it)."""
    if schedule.kind == "recurring":
        return recurring.plan_new(schedule, now)
    schedule.timer_names = [schedule.timer_prefix]
    return [TimerSpec(name=schedule.timer_prefix, fire_at=schedule.fire_at,
                      payload=fire_event(schedule, schedule.fire_at), enabled=schedule.state == "active")]  # fmt: skip


def start_timers(c: Container, schedule: Schedule, timers: list[TimerSpec]) -> None:
    """Create the planned timers; an active one-shot due within seconds goes to delivery directly."""
    if schedule.kind == "one_shot" and schedule.state == "active":
        arm(c, schedule.timer_prefix, schedule.fire_at, fire_event(schedule, schedule.fire_at))
    elif schedule.kind == "one_shot":
        put_all(c, [t for t in timers if t.fire_at - c.clock.now() > DIRECT_DISPATCH_WINDOW])
    else:
        put_all(c, [replace(t, enabled=schedule.state == "active") for t in timers])


def _store_and_arm(c: Container, schedule: Schedule) -> Schedule:
    timers = plan_timers(schedule, c.clock.now())
    try:
        c.store.create_schedule(schedule)
    except MissingReference:
        raise NotFound(f"no endpoint {schedule.endpoint_id!r}", param="endpoint_id") from None
    except StaleWrite:
        # Only a takeover of an abandoned idempotent request reuses an id: that request may have
        # stored the schedule before it died. Arm the stored one (arming again is harmless).
        schedule = c.store.get_schedule(schedule.project_id, schedule.id)
        if schedule is None:
            raise
    try:
        start_timers(c, schedule, timers)
    except SchedulerUnavailable:
        _undo_create(c, schedule)
        raise
    return schedule


def _undo_create(c: Container, schedule: Schedule) -> None:
    """DynamoDB is the source of truth: without its timer the schedule must not exist at all. The
    delete may meet the same trouble as the timer (a throttle), so it is retried with backoff."""
    for attempt in range(ROLLBACK_TRIES):
        try:
            c.store.delete_schedule(schedule.project_id, schedule.id, endpoint_id=schedule.endpoint_id)
            return
        except Exception:
            if attempt == ROLLBACK_TRIES - 1:
                logger.error("schedule left without its timer", extra={"schedule_id": schedule.id})
                raise
            c.clock.sleep(ROLLBACK_BACKOFF_SECONDS * 2**attempt)


def update_schedule(c: Container, project: dict[str, Any], schedule_id: str, patch: Any) -> Schedule:
    """PATCH: edit anything; the id and history stay, and only future occurrences change. A
    timing change gets new EventBridge schedules (new names), created before the old ones go."""
    while True:
        schedule = get_schedule(c, project, schedule_id)
        if schedule.state not in ("active", "paused"):
            raise Conflict(f"a {schedule.state} schedule cannot be edited", param="state")
        now = _now(c)
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
        except (StaleWrite, MissingReference) as exc:
            for spec in timers:
                delete_timer(c, spec.name)
            if isinstance(exc, MissingReference):
                raise NotFound(f"no endpoint {schedule.endpoint_id!r}", param="endpoint_id") from None
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
