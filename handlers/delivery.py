"""Delivery function: invoked by EventBridge Scheduler (or directly, for work due now)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from belltower.service import delivery
from belltower.wiring import container
from handlers.observability import make_logger

SERVICE = "belltower-delivery"
METRICS_NAMESPACE = "Belltower"  # infra/monitoring.py graphs these
logger = make_logger(SERVICE)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    received = datetime.now(timezone.utc)
    if not isinstance(event, dict):
        logger.error("delivery event is not an object")
        return {"outcome": "malformed"}
    logger.append_keys(
        project_id=event.get("project_id"),
        schedule_id=event.get("schedule_id"),
        occurrence_id=event.get("occurrence_id"),
        attempt=event.get("attempt"),
        scheduled_for=event.get("scheduled_for"),
    )
    outcome = delivery.handle(container(), event)
    logger.info("delivery event handled", extra={"outcome": outcome})
    _emit_metrics(event, outcome, received)
    return {"outcome": outcome}


def _emit_metrics(event: dict[str, Any], outcome: str, received: datetime) -> None:
    """EMF metrics: deliveries by outcome, and the dispatch lag (fire time to this invocation)."""
    dimensions = {"service": SERVICE}
    with single_metric(name="Deliveries", unit=MetricUnit.Count, value=1, namespace=METRICS_NAMESPACE,
                       default_dimensions=dimensions) as metric:  # fmt: skip
        metric.add_dimension(name="outcome", value=outcome)
    if event.get("type") == "fire" and outcome in ("succeeded", "retrying", "dead_lettered"):
        try:
            scheduled = datetime.fromisoformat(str(event["scheduled_for"]).replace("Z", "+00:00"))
        except (KeyError, ValueError):
            return
        lag_ms = (received - scheduled).total_seconds() * 1000
        with single_metric(name="DispatchLag", unit=MetricUnit.Milliseconds, value=max(lag_ms, 0.0),
                           namespace=METRICS_NAMESPACE, default_dimensions=dimensions):  # fmt: skip
            pass
