"""Delivery function: invoked by EventBridge Scheduler (or directly, for work due now)."""

from __future__ import annotations

from typing import Any

from handlers.observability import make_logger

from belltower.service import delivery
from belltower.wiring import container

logger = make_logger("belltower-delivery")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    if isinstance(event, dict):
        logger.append_keys(
            project_id=event.get("project_id"),
            schedule_id=event.get("schedule_id"),
            occurrence_id=event.get("occurrence_id"),
            attempt=event.get("attempt"),
            scheduled_for=event.get("scheduled_for"),
        )
        outcome = delivery.handle(container(), event)
    else:
        outcome = "malformed"
    logger.info("delivery event handled", extra={"outcome": outcome})
    return {"outcome": outcome}
