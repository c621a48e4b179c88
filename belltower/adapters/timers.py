"""EventBridge Scheduler: the schedules that invoke the delivery function."""

from __future__ import annotations

import json
import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from belltower.domain.errors import SchedulerUnavailable
from belltower.domain.expressions import at_expression, validate_expression, validate_name
from belltower.ports import TimerSpec

logger = logging.getLogger(__name__)

#: Scheduler's own retries only cover handing the event to Lambda (throttling, permissions).
HANDOFF_RETRY_POLICY = {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}


class EventBridgeTimers:
    def __init__(self, client: Any, *, group: str, target_arn: str, role_arn: str, dlq_arn: str):
        self._client = client
        self._group = group
        self._target = {
            "Arn": target_arn,
            "RoleArn": role_arn,
            "RetryPolicy": HANDOFF_RETRY_POLICY,
            "DeadLetterConfig": {"Arn": dlq_arn},
        }

    def definition(self, spec: TimerSpec) -> dict[str, Any]:
        """The full definition: UpdateSchedule resets whatever is omitted, so always send all."""
        expression = at_expression(spec.fire_at) if spec.fire_at is not None else spec.expression
        definition = {
            "Name": validate_name(spec.name),
            "GroupName": self._group,
            "ScheduleExpression": validate_expression(expression or ""),
            "ScheduleExpressionTimezone": "UTC" if spec.fire_at is not None else spec.timezone,
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "State": "ENABLED" if spec.enabled else "DISABLED",
            # One-time schedules go when fired; recurring ones when EndDate has passed.
            "ActionAfterCompletion": "DELETE",
            "Target": {**self._target, "Input": json.dumps(spec.payload, separators=(",", ":"))},
        }
        if spec.start_date is not None:
            definition["StartDate"] = spec.start_date
        if spec.end_date is not None:
            definition["EndDate"] = spec.end_date
        return definition

    def put(self, spec: TimerSpec) -> None:
        definition = self.definition(spec)
        try:
            try:
                self._client.create_schedule(**definition)
            except self._client.exceptions.ConflictException:
                self._client.update_schedule(**definition)
        except (ClientError, BotoCoreError) as exc:
            logger.warning("scheduler call failed", extra={"timer": spec.name, "error": str(exc)})
            raise SchedulerUnavailable() from exc

    def delete(self, name: str) -> None:
        try:
            self._client.delete_schedule(Name=name, GroupName=self._group)
        except self._client.exceptions.ResourceNotFoundException:
            return
        except (ClientError, BotoCoreError) as exc:
            raise SchedulerUnavailable() from exc
