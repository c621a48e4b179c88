"""Sending webhooks and callbacks: reliable, cheap, and never in the occurrence's way.

A notification is its own delivery-function event (`notify`), handed off after the transition it
reports is saved. The first attempt is an async invoke (no timer, no table write); a retryable
failure (timeouts, 408, 429, 5xx) arms the next attempt as a one-time EventBridge schedule per
`notifications.POLICY`, carrying the whole notification in its input, so nothing is stored for a
webhook. A callback's progress is written on its occurrence (`callbacks.<kind>`): `pending` in the
same write that finishes the occurrence, then one write per attempt. Whatever a notification does,
the occurrence's own outcome is already recorded and stays as it is.

Event: {"type": "notify", "project_id", "schedule_id", "occurrence_id" (callbacks) | null,
        "kind", "url", "message_id", "payload", "attempt"}
"""

from __future__ import annotations

import logging
from typing import Any

from belltower.adapters.store import StaleWrite
from belltower.domain.errors import SchedulerUnavailable
from belltower.domain.notifications import CALLBACK, FAILURE_CALLBACK, POLICY, TIMEOUT, Notification
from belltower.domain.outbound import build_notification
from belltower.domain.retry import Verdict, classify, next_delay, parse_retry_after
from belltower.service.keys import active_signing_secrets
from belltower.service.timers import arm
from belltower.wiring import Container

logger = logging.getLogger(__name__)

SAVE_TRIES = 5


def pending() -> dict[str, Any]:
    """A callback's state when its occurrence finishes, before the first attempt."""
    return {"status": "pending", "attempts": 0, "status_code": None, "error": None}


def dispatch(c: Container, project_id: str, schedule_id: str, n: Notification, occurrence_id: str | None = None) -> None:
    """Hand `n` to the delivery function now. Never raises: a lost hand-off is logged."""
    event = {"type": "notify", "project_id": project_id, "schedule_id": schedule_id,
             "occurrence_id": occurrence_id, "kind": n.kind, "url": n.url, "message_id": n.message_id,
             "payload": n.payload, "attempt": 1}  # fmt: skip
    try:
        arm(c, _timer_name(n.message_id, 1), c.clock.now(), event)
    except SchedulerUnavailable:
        logger.error("notification not handed off", extra={"kind": n.kind, "message_id": n.message_id})


def on_notify(c: Container, event: dict[str, Any]) -> str:
    """Send one attempt of a notification; arm the next after a retryable failure."""
    kind, message_id, attempt = str(event["kind"]), str(event["message_id"]), int(event["attempt"])
    now = c.clock.now()
    request = build_notification(
        kind=kind, url=str(event["url"]), message_id=message_id, payload=event["payload"],
        schedule_id=str(event["schedule_id"]), attempt=attempt, now=now,
        signing_secrets=active_signing_secrets(c.project(str(event["project_id"])), now),
    )  # fmt: skip
    resp = c.http.send(request.method, request.url, request.headers, request.body, TIMEOUT.total_seconds())
    verdict = Verdict.FAIL if resp.permanent else classify(resp.status_code)
    if verdict is Verdict.SUCCEEDED:
        status = "delivered"
    elif verdict is Verdict.RETRY and attempt < POLICY.max_attempts:
        retry_after = parse_retry_after(resp.headers.get("retry-after"), now)
        next_at = now + next_delay(POLICY, attempt, retry_after)
        arm(c, _timer_name(message_id, attempt + 1), next_at, {**event, "attempt": attempt + 1})
        status = "retrying"
    else:
        status = "failed"
    log = logger.warning if status == "failed" else logger.info
    log("notification attempt finished", extra={"kind": kind, "message_id": message_id, "attempt": attempt,
                                                "status_code": resp.status_code, "error": resp.error,
                                                "status": status})  # fmt: skip
    if kind in (CALLBACK, FAILURE_CALLBACK) and event.get("occurrence_id"):
        _record(c, event, {"status": status, "attempts": attempt, "status_code": resp.status_code,
                           "error": resp.error})  # fmt: skip
    return f"notification_{status}"


def _record(c: Container, event: dict[str, Any], progress: dict[str, Any]) -> None:
    """Write a callback's progress on its (finished) occurrence."""
    project_id, schedule_id = str(event["project_id"]), str(event["schedule_id"])
    for _ in range(SAVE_TRIES):
        occ = c.store.get_occurrence(project_id, schedule_id, str(event["occurrence_id"]))
        if occ is None:
            return
        occ.callbacks = {**occ.callbacks, str(event["kind"]): progress}
        finished = occ.completed_at or c.clock.now()
        try:
            c.store.save_occurrence(occ, expires_at=c.retention_deadline(finished))
            return
        except StaleWrite:
            continue
    logger.warning("callback progress not recorded", extra={"message_id": event["message_id"]})


def _timer_name(message_id: str, attempt: int) -> str:
    return f"{message_id}-{attempt}"
