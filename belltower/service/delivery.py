"""Delivery: turn each fire into exactly one occurrence and drive it to a terminal state.

Events (the Target.Input of Belltower's EventBridge schedules, or a direct async invoke):
  {"type": "fire", "project_id", "schedule_id", "scheduled_for"}   a schedule's fire time
  {"type": "attempt", "project_id", "schedule_id", "occurrence_id", "attempt"}   a retry
  {"type": "notify", ...}   a webhook or callback attempt (belltower.service.notifications)

Each saved transition is announced: an event in the project's feed (and to `webhook_url`), and
for a finished occurrence its result to `callback_url` / `failure_callback_url`.

EventBridge and Lambda may both deliver an event twice. The occurrence id is derived from
(schedule, fire time), so the conditional create makes one fire time one occurrence; each attempt
is claimed with a versioned write (`next_attempt` + a lease), so a duplicate event finds the claim
taken and stops. A dead letter goes `failed` -> (SQS) -> `dead_lettered`/`expired`: if the send
fails, the Lambda retry finds `failed` and finishes the job.

An invocation can die anywhere (a crash, a timeout, a throttled write). Whatever event meets its
claim next (Lambda's retry of it, a duplicate fire) arms a watch: the same attempt again, as a
one-time schedule at the lease end, which takes the attempt over if it is still unfinished. So a
dead invocation is re-driven however often it dies, without using up Lambda's two retries. A
replay that finds its work recorded finishes what the dead invocation left: the one-shot's
settlement, the recurring run it counted.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from belltower.adapters.store import StaleWrite
from belltower.domain.endpoints import DeliveryTarget, resolve_target
from belltower.domain.errors import InvalidRequest
from belltower.domain.events import (
    FINISHED, Event, OCCURRENCE_RETRYING, OCCURRENCE_STARTED, SCHEDULE_COMPLETED, occurrence_event, schedule_event,
)  # fmt: skip
from belltower.domain.ids import derived_id
from belltower.domain.models import Attempt, Occurrence, Schedule
from belltower.domain.notifications import WEBHOOK, Notification, callback, callbacks_due
from belltower.domain.outbound import build_request
from belltower.domain.retry import Verdict, classify, next_delay, parse_retry_after
from belltower.domain.schedule_request import DEFAULT_LIMITS
from belltower.domain.timing import format_utc, parse_rfc3339
from belltower.service import dynamic_bodies, events, notifications, recurring
from belltower.service.keys import active_signing_secrets
from belltower.service.timers import DIRECT_DISPATCH_WINDOW, arm, delete_timer
from belltower.wiring import Container

logger = logging.getLogger(__name__)

#: A claimed attempt whose invocation has not finished this long after its timeout has died.
LEASE_GRACE = timedelta(seconds=60)
#: EventBridge fires within the minute of an `at()`; an early fire waits for the exact time.
MAX_EARLY_WAIT = timedelta(seconds=60)
RECORDING_POLLS, RECORDING_POLL_SECONDS = 40, 0.25


def handle(c: Container, event: dict[str, Any]) -> str:
    """Process one event; returns what happened (for logs and tests)."""
    try:
        kind = event["type"]
        project_id, schedule_id = str(event["project_id"]), str(event["schedule_id"])
        if kind == "fire":
            scheduled_for = parse_rfc3339(event["scheduled_for"], param="scheduled_for")
            return on_fire(c, project_id, schedule_id, scheduled_for, resumed=bool(event.get("resumed")))
        if kind == "attempt":
            return on_attempt(c, project_id, schedule_id, str(event["occurrence_id"]), int(event["attempt"]))
        if kind == "sweep":
            return on_sweep(c, project_id, schedule_id)
        if kind == "notify":
            return notifications.on_notify(c, event)
    except (KeyError, TypeError, ValueError, InvalidRequest) as exc:
        logger.error("malformed delivery event dropped", extra={"error": str(exc)})
        return "malformed"
    logger.error("unknown delivery event dropped", extra={"event_type": str(kind)})
    return "malformed"


def occurrence_id_for(schedule_id: str, scheduled_for: datetime) -> str:
    return derived_id("occ", scheduled_for, schedule_id, format_utc(scheduled_for))


def attempt_event(occ: Occurrence, number: int) -> dict[str, Any]:
    return {
        "type": "attempt",
        "project_id": occ.project_id,
        "schedule_id": occ.schedule_id,
        "occurrence_id": occ.id,
        "attempt": number,
    }


def on_fire(c: Container, project_id: str, schedule_id: str, scheduled_for: datetime, *, resumed: bool = False) -> str:
    """`resumed`: a one-shot whose time passed while it was paused fires once on resume, however
    late (its `ttl` still applies)."""
    schedule = c.store.get_schedule(project_id, schedule_id)
    if schedule is None:
        return "unknown_schedule"
    occurrence_id = occurrence_id_for(schedule_id, scheduled_for)
    counted = schedule.kind == "recurring" and schedule.last_occurrence_id == occurrence_id
    if schedule.state != "active" and not (counted and schedule.state != "cancelled"):
        logger.info("fire dropped", extra={"schedule_id": schedule_id, "state": schedule.state})
        if schedule.kind == "recurring" and schedule.state in ("completed", "cancelled"):
            _delete_timers(c, schedule)  # they should be gone: an invocation died before removing them
        return f"dropped_{schedule.state}"
    if schedule.kind == "one_shot" and schedule.fire_at != scheduled_for:
        return "dropped_stale_fire"  # an old timer of a schedule that was moved
    _wait_until(c, scheduled_for)
    now = c.clock.now()
    late = not resumed and now - scheduled_for > timedelta(seconds=c.settings.catch_up_window_seconds)
    skip_reason = "missed_catch_up_window" if late else None
    if counted:
        # A replay of the fire that counted this run (the invocation died before its occurrence
        # was made or finished; perhaps it completed the schedule): deliver what was counted.
        skip_reason = None
    elif schedule.kind == "recurring":
        admitted = _admit_recurring(c, schedule, scheduled_for, late)
        if admitted not in ("deliver", "skip"):
            return admitted
        if admitted == "skip" and skip_reason is None:
            skip_reason = "overlap"
    occ = Occurrence(
        id=occurrence_id,
        project_id=project_id,
        schedule_id=schedule_id,
        scheduled_for=scheduled_for,
        state="delivering",
        created_at=now,
        claimed_at=now,
    )
    if skip_reason is not None:
        occ.state, occ.outcome, occ.completed_at, occ.claimed_at = "skipped", skip_reason, now, None
        if c.store.create_occurrence(occ, expires_at=c.retention_deadline(now)):
            _announce(c, schedule, *_settle_schedule(c, schedule, occ))
            return "skipped"
        return "duplicate"
    if c.store.create_occurrence(occ):
        _announce_occurrence(c, schedule, OCCURRENCE_STARTED, occ)
        return _attempt(c, schedule, _target(c, schedule), occ, 1)
    existing = c.store.get_occurrence(project_id, schedule_id, occ.id)
    return _resume(c, schedule, existing, 1) if existing else "duplicate"


def _admit_recurring(c: Container, schedule: Schedule, scheduled_for: datetime, late: bool) -> str:
    """Decide a recurring fire: "deliver", "skip" (too late, or `overlap: skip` while the
    previous occurrence is still open: recorded, not delivered, not counted), or why it is dropped.

    Counts the run on the schedule (versioned write, so concurrent fires cannot both take the
    last of `max_runs`), re-arms its one-time timers, and completes it after its last run.
    """
    if not schedule.recurrence().is_due(scheduled_for):
        logger.warning("fire outside the schedule's fire times dropped",
                       extra={"schedule_id": schedule.id, "scheduled_for": format_utc(scheduled_for)})  # fmt: skip
        return "not_due"
    now = c.clock.now()
    changed = recurring.rearm(c, schedule, scheduled_for, now)
    while True:
        if schedule.state != "active":
            return f"dropped_{schedule.state}"
        if schedule.runs_exhausted:
            _complete_recurring(c, schedule, now)
            return "dropped_completed"
        verdict = "deliver"
        # An older or equal fire time is a duplicate or a straggler: it was decided when it came
        # (the latest fire time, if it was not counted, was skipped).
        if schedule.last_fire_at == scheduled_for:
            verdict = "skip"
        elif schedule.last_fire_at is None or scheduled_for > schedule.last_fire_at:
            changed = True
            if late or (schedule.overlap == "skip" and _previous_still_open(c, schedule)):
                verdict = "skip"
                schedule.last_fire_at, schedule.updated_at = scheduled_for, now
            else:
                schedule.record_fire(scheduled_for, now)
                schedule.last_occurrence_id = occurrence_id_for(schedule.id, scheduled_for)
        finished = schedule.runs_exhausted or not schedule.recurrence().fires(scheduled_for, limit=1)
        if finished:
            schedule.complete(now)
        if not (changed or finished):
            return verdict
        try:
            c.store.save_schedule(schedule)
        except StaleWrite:
            fresh = c.store.get_schedule(schedule.project_id, schedule.id)
            if fresh is None:
                return "unknown_schedule"
            recurring.carry_arming(fresh, schedule)
            schedule, changed = fresh, True
            continue
        if finished:
            _wind_down(c, schedule)
        return verdict


def _previous_still_open(c: Container, schedule: Schedule) -> bool:
    if schedule.last_occurrence_id is None:
        return False
    previous = c.store.get_occurrence(schedule.project_id, schedule.id, schedule.last_occurrence_id)
    return previous is not None and not previous.is_terminal


def on_sweep(c: Container, project_id: str, schedule_id: str) -> str:
    """The one-time sweep after `end_at`: a recurring schedule whose window closed is completed."""
    schedule = c.store.get_schedule(project_id, schedule_id)
    if schedule is None or schedule.state != "active" or schedule.kind != "recurring":
        return "nothing_to_sweep"
    now = c.clock.now()
    if schedule.end_at is None or now < schedule.end_at:
        return "nothing_to_sweep"
    _complete_recurring(c, schedule, now)
    return "completed"


def _complete_recurring(c: Container, schedule: Schedule, now: datetime) -> None:
    while schedule.state == "active":
        schedule.complete(now)
        try:
            c.store.save_schedule(schedule)
        except StaleWrite:
            schedule = c.store.get_schedule(schedule.project_id, schedule.id)
            if schedule is None:
                return
            continue
        _wind_down(c, schedule)


def _wind_down(c: Container, schedule: Schedule) -> None:
    """A recurring schedule was saved `completed`: remove its EventBridge schedules, announce it."""
    _delete_timers(c, schedule)
    _announce(c, schedule, schedule_event(events.next_event_id(c), SCHEDULE_COMPLETED, schedule, c.clock.now()))


def _delete_timers(c: Container, schedule: Schedule) -> None:
    for name in schedule.timer_names:
        delete_timer(c, name)


def on_attempt(c: Container, project_id: str, schedule_id: str, occurrence_id: str, number: int) -> str:
    occ = c.store.get_occurrence(project_id, schedule_id, occurrence_id)
    for _ in range(RECORDING_POLLS):
        # The retry is armed before the previous attempt is recorded (so a crash in between
        # cannot lose it); an event that overtakes that write waits for it.
        if occ is None or not (occ.state == "delivering" and occ.next_attempt == number - 1):
            break
        c.clock.sleep(RECORDING_POLL_SECONDS)
        occ = c.store.get_occurrence(project_id, schedule_id, occurrence_id)
    schedule = c.store.get_schedule(project_id, schedule_id)
    if occ is None or schedule is None:
        return "unknown_occurrence"
    if occ.next_attempt == number and occ.next_attempt_at is not None:
        _wait_until(c, occ.next_attempt_at)
    return _resume(c, schedule, occ, number)


def _resume(c: Container, schedule: Schedule, occ: Occurrence, number: int) -> str:
    """Claim attempt `number` of an existing occurrence, or recognise a duplicate."""
    if occ.state == "failed":
        return _dead_letter(c, schedule, occ)  # a previous invocation died before the SQS send
    if occ.is_terminal:
        completed = _settle_schedule(c, schedule, occ)
        if not completed:
            return "duplicate"
        # The invocation that finished it died before settling the one-shot (and before recording
        # the outcome's event, which goes with the completion's).
        finished = [_occurrence_event(c, FINISHED[occ.state], occ)] if occ.state in FINISHED else []
        _announce(c, schedule, *finished, *completed)
        return "settled"
    if occ.next_attempt != number:
        return "duplicate"
    now = c.clock.now()
    target = _target(c, schedule)
    if occ.state == "delivering" and occ.claimed_at is not None:
        timeout = target.timeout if target else DEFAULT_LIMITS.max_timeout
        lease_end = occ.claimed_at + timeout + LEASE_GRACE
        if lease_end - now > DIRECT_DISPATCH_WINDOW:
            return _watch(c, occ, number, occ.claimed_at, lease_end)
        c.clock.sleep(max((lease_end - now).total_seconds(), 0.0))
        now = c.clock.now()
    if occ.cancelled_by(schedule):
        return _finish(c, schedule, occ, "cancelled", "schedule_cancelled")
    occ.state, occ.claimed_at, occ.next_attempt_at = "delivering", now, None
    try:
        c.store.save_occurrence(occ)
    except StaleWrite:
        return "duplicate"
    return _attempt(c, schedule, target, occ, number)


def _watch(c: Container, occ: Occurrence, number: int, claimed_at: datetime, lease_end: datetime) -> str:
    """Attempt `number` is claimed, perhaps by a live invocation, perhaps by a dead one: come back
    at the lease end (one watch per claim), when a dead claim can be taken over. Returning instead
    of failing keeps Lambda's retries (and its on-failure records) for real failures."""
    arm(c, f"{occ.id}-{number}-watch-{int(claimed_at.timestamp())}", lease_end, attempt_event(occ, number))
    logger.info("attempt in flight; watching its lease",
                extra={"occurrence_id": occ.id, "attempt": number, "lease_end": format_utc(lease_end)})  # fmt: skip
    return "in_flight"


def _target(c: Container, schedule: Schedule) -> DeliveryTarget | None:
    """What to send, with the endpoint profile read now (so its edits apply); None if it is gone."""
    if schedule.endpoint_id is None:
        return resolve_target(schedule, None)
    endpoint = c.store.get_endpoint(schedule.project_id, schedule.endpoint_id)
    return None if endpoint is None else resolve_target(schedule, endpoint)


def _attempt(c: Container, schedule: Schedule, target: DeliveryTarget | None, occ: Occurrence, number: int) -> str:
    """Send attempt `number` (already claimed) and record what follows from its result."""
    now = c.clock.now()
    deadline = occ.scheduled_for + schedule.ttl if schedule.ttl else None
    if deadline and now > deadline:
        occ.outcome = "ttl_expired"
        return _dead_letter(c, schedule, occ)
    if target is None:  # its profile was deleted (only possible once the schedule stopped using it)
        occ.outcome = "endpoint_deleted"
        return _dead_letter(c, schedule, occ)
    request = build_request(
        dynamic_bodies.request_for(c, schedule, occ, number, target.request),  # Booper's $job, $state, $previous
        occurrence_id=occ.id,
        schedule_id=schedule.id,
        scheduled_for=occ.scheduled_for,
        attempt=number,
        now=now,
        signing_secrets=active_signing_secrets(c.project(schedule.project_id), now),
    )
    resp = c.http.send(request.method, request.url, request.headers, request.body,
                       target.timeout.total_seconds())  # fmt: skip
    occ.attempts.append(
        Attempt(number, now, resp.duration_ms, resp.status_code, resp.error, resp.body_excerpt)
    )
    logger.info(
        "attempt finished",
        extra={"schedule_id": schedule.id, "occurrence_id": occ.id, "attempt": number,
               "status_code": resp.status_code, "error": resp.error, "duration_ms": resp.duration_ms},
    )  # fmt: skip
    verdict = Verdict.FAIL if resp.permanent else classify(resp.status_code)
    if verdict is Verdict.SUCCEEDED:
        return _finish(c, schedule, occ, "succeeded", None, resp.headers)
    if verdict is Verdict.FAIL:
        occ.outcome = "non_retryable_status" if resp.status_code else "forbidden_destination"
        return _dead_letter(c, schedule, occ, resp.headers)
    if number >= target.retry_policy.max_attempts:
        occ.outcome = "attempts_exhausted"
        return _dead_letter(c, schedule, occ, resp.headers)
    retry_after = parse_retry_after(resp.headers.get("retry-after"), now)
    next_at = c.clock.now() + next_delay(target.retry_policy, number, retry_after)
    if deadline and next_at > deadline:
        occ.outcome = "ttl_expired"
        return _dead_letter(c, schedule, occ, resp.headers)
    if occ.cancelled_by(_current(c, schedule)):
        return _finish(c, schedule, occ, "cancelled", "schedule_cancelled")
    # Arm first: if that fails, the occurrence still shows this attempt claimed, and the Lambda
    # retry of this event takes it over when the lease ends (at least once, never lost).
    arm(c, f"{occ.id}-{number + 1}", next_at, attempt_event(occ, number + 1))
    occ.state, occ.next_attempt, occ.next_attempt_at, occ.claimed_at = "retrying", number + 1, next_at, None
    c.store.save_occurrence(occ)
    _announce_occurrence(c, schedule, OCCURRENCE_RETRYING, occ)
    return "retrying"


def _finish(
    c: Container, schedule: Schedule, occ: Occurrence, state: str, outcome: str | None,
    response_headers: dict[str, str] | None = None,
) -> str:  # fmt: skip
    now = c.clock.now()
    occ.state, occ.outcome, occ.completed_at = state, outcome, now
    occ.next_attempt_at = occ.claimed_at = None
    due = callbacks_due(schedule, occ)
    occ.callbacks = {kind: notifications.pending() for kind, _ in due}
    c.store.save_occurrence(occ, expires_at=c.retention_deadline(now))
    finished = [_occurrence_event(c, FINISHED[state], occ)] if state in FINISHED else []
    for kind, url in due:
        result = callback(kind, url, occ, response_headers or {}, now)
        notifications.dispatch(c, occ.project_id, schedule.id, result, occurrence_id=occ.id)
    _announce(c, schedule, *finished, *_settle_schedule(c, schedule, occ))
    return state


def _dead_letter(
    c: Container, schedule: Schedule, occ: Occurrence, response_headers: dict[str, str] | None = None
) -> str:
    """`failed` first (so a crash is resumable), then the DLQ message, then the final state."""
    now = c.clock.now()
    if occ.state != "failed":
        occ.state, occ.completed_at, occ.next_attempt_at, occ.claimed_at = "failed", now, None, None
        c.store.save_occurrence(occ)
    c.dead_letters.send(
        {
            "type": "belltower.dead_letter",
            "reason": occ.outcome,
            "dead_lettered_at": format_utc(now),
            "project_id": occ.project_id,
            "occurrence": occ.to_api(),
            "schedule": schedule.to_api(),
        }
    )
    final = "expired" if occ.outcome == "ttl_expired" else "dead_lettered"
    return _finish(c, schedule, occ, final, occ.outcome, response_headers)


def _settle_schedule(c: Container, schedule: Schedule, occ: Occurrence) -> list[Event]:
    """A one-shot is done once its occurrence is: count the run and mark it completed. Returns
    the `schedule.completed` event to announce if this call settled it (else nothing)."""
    if schedule.kind != "one_shot" or occ.origin != "schedule":
        return []
    while schedule.state in ("active", "paused"):
        if occ.state not in ("skipped", "cancelled"):
            schedule.record_fire(occ.scheduled_for, c.clock.now())
        schedule.complete(c.clock.now())
        try:
            c.store.save_schedule(schedule)
        except StaleWrite:
            schedule = c.store.get_schedule(schedule.project_id, schedule.id)
            if schedule is None:
                return []
            continue
        return [schedule_event(events.next_event_id(c), SCHEDULE_COMPLETED, schedule, c.clock.now())]
    return []


def _occurrence_event(c: Container, event_type: str, occ: Occurrence) -> Event:
    return occurrence_event(events.next_event_id(c), event_type, occ, c.clock.now())


def _announce_occurrence(c: Container, schedule: Schedule, event_type: str, occ: Occurrence) -> None:
    _announce(c, schedule, _occurrence_event(c, event_type, occ))


def _announce(c: Container, schedule: Schedule, *announced: Event) -> None:
    """Transitions were saved: add their events to the project's feed (one write), and send each
    to `webhook_url`."""
    if not announced:
        return
    events.record(c, *announced)
    if schedule.webhook_url:
        for event in announced:
            notification = Notification(WEBHOOK, schedule.webhook_url, event.id, event.to_api())
            notifications.dispatch(c, schedule.project_id, schedule.id, notification)


def _current(c: Container, schedule: Schedule) -> Schedule:
    return c.store.get_schedule(schedule.project_id, schedule.id) or schedule


def _wait_until(c: Container, scheduled_for: datetime) -> None:
    early = scheduled_for - c.clock.now()
    if timedelta(0) < early <= MAX_EARLY_WAIT:
        c.clock.sleep(early.total_seconds())
