"""Recurring schedules on EventBridge Scheduler.

A recurring Belltower schedule owns several EventBridge schedules, all named after it (`<id>`
is `Schedule.timer_prefix`: the id, plus `-g<n>` once its timing has been edited):
  `<id>-r<n>`       the regular cron()/rate() schedules of its plan (Vixie OR needs two);
  `<id>-x<epoch>`   one-time fix-ups: fires Belltower's semantics contain and AWS's do not
                    (a fixed-time job in a DST gap, a wildcard job's second pass in an overlap);
  `<id>-c<epoch>`   a chain of one-time fires, for an `every` that rate() cannot express;
  `<id>-end`        a one-time sweep just after `end_at` that marks the schedule completed.
The recurrence (belltower.domain.recurrence) is the single source of fire times: the regular
schedules may fire more than it contains (the delivery path drops those), the fix-ups add what
they miss. Fix-ups are armed ahead for FIXUP_HORIZON and re-armed at every fire.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from belltower.domain.models import Schedule
from belltower.ports import TimerSpec
from belltower.service.timers import fire_event
from belltower.wiring import Container

FIXUP_HORIZON = timedelta(days=35)
#: EventBridge refuses a StartDate more than about 5 minutes in the past.
START_DATE_SLACK = timedelta(minutes=4)
END_SWEEP_DELAY = timedelta(minutes=1)
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"  # EventBridge substitutes the fire time


def regular_timers(schedule: Schedule, now: datetime) -> list[TimerSpec]:
    """The cron()/rate() schedules of the plan (none for a chain), plus the end sweep."""
    recurrence = schedule.recurrence()
    plan = recurrence.eventbridge_plan()
    start = plan.start_date
    if start is not None and start < now - START_DATE_SLACK:
        if plan.expressions and plan.expressions[0].startswith("rate("):
            # rate() counts from StartDate: move it forward by whole periods, to the next fire.
            upcoming = recurrence.fires(now, limit=1)
            start = upcoming[0].at if upcoming else None
            if start is None:
                return _end_timer(schedule)
        else:
            start = None  # a cron() needs no StartDate once start_at has passed
    timers = [
        TimerSpec(
            name=f"{schedule.timer_prefix}-r{n}",
            payload=fire_event(schedule, SCHEDULED_TIME),
            expression=expression,
            timezone=plan.timezone,
            start_date=start,
            end_date=plan.end_date,
        )
        for n, expression in enumerate(plan.expressions)
    ]
    return timers + _end_timer(schedule)


def _end_timer(schedule: Schedule) -> list[TimerSpec]:
    if schedule.end_at is None:
        return []
    sweep = {"type": "sweep", "project_id": schedule.project_id, "schedule_id": schedule.id}
    return [TimerSpec(name=f"{schedule.timer_prefix}-end", payload=sweep, fire_at=schedule.end_at + END_SWEEP_DELAY)]


def one_time_timers(schedule: Schedule, after: datetime, now: datetime) -> tuple[list[TimerSpec], datetime]:
    """The fix-ups (or the next link of a chain) after `after`, and how far that arms it."""
    recurrence = schedule.recurrence()
    if recurrence.eventbridge_plan().chain:
        upcoming = recurrence.fires(after, limit=1)
        specs = [TimerSpec(name=f"{schedule.timer_prefix}-c{int(f.at.timestamp())}", payload=fire_event(schedule, f.at),
                           fire_at=f.at) for f in upcoming]  # fmt: skip
        return specs, (upcoming[0].at if upcoming else after)
    following = recurrence.fires(now, limit=2)
    until = max(now + FIXUP_HORIZON, following[-1].at if following else now)
    start = max(after, schedule.armed_until or after)
    if until <= start:
        return [], start
    specs = [
        TimerSpec(name=f"{schedule.timer_prefix}-x{int(at.timestamp())}", payload=fire_event(schedule, at), fire_at=at)
        for at in recurrence.fixups(start, until)
    ]
    return specs, until


def plan_new(schedule: Schedule, now: datetime) -> list[TimerSpec]:
    """Everything a new recurring schedule needs in EventBridge (not yet created); records
    their names and how far the fix-ups reach on the schedule."""
    one_time, armed_until = one_time_timers(schedule, now, now)
    schedule.armed_until = armed_until
    specs = regular_timers(schedule, now) + one_time
    schedule.timer_names = [spec.name for spec in specs]
    return specs


def rearm(c: Container, schedule: Schedule, scheduled_for: datetime, now: datetime) -> bool:
    """At each fire: arm the next chain link or extend the fix-ups (idempotent puts).
    True when the schedule's record of its timers changed (and so must be saved)."""
    specs, armed_until = one_time_timers(schedule, scheduled_for, now)
    for spec in specs:
        c.timers.put(spec)
    fired_before = now - timedelta(days=1)
    kept = [n for n in schedule.timer_names if not _one_time_before(n, schedule.timer_prefix, fired_before)]
    names = kept + [s.name for s in specs if s.name not in kept]
    armed_until = max(armed_until, schedule.armed_until or armed_until)
    changed = names != schedule.timer_names or armed_until != schedule.armed_until
    schedule.timer_names, schedule.armed_until = names, armed_until
    return changed


def carry_arming(fresh: Schedule, armed: Schedule) -> None:
    """After a concurrent write, keep on the fresh copy the timers this fire armed."""
    fresh.timer_names = list(dict.fromkeys(fresh.timer_names + armed.timer_names))
    fresh.armed_until = max(t for t in (fresh.armed_until, armed.armed_until) if t)


def _one_time_before(name: str, prefix: str, cutoff: datetime) -> bool:
    """A fix-up or chain timer whose time is long past (EventBridge deleted it after firing)."""
    if not name.startswith(prefix + "-"):
        return False
    suffix = name[len(prefix) + 1:]
    if suffix[:1] not in ("x", "c") or not suffix[1:].isdigit():
        return False
    return int(suffix[1:]) < cutoff.timestamp()
