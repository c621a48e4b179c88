"""Lambda: hands work that is due now straight to the delivery function (async invoke)."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from belltower.domain.errors import SchedulerUnavailable


class LambdaInvoker:
    def __init__(self, client: Any, function_arn: str):
        self._client = client
        self._function_arn = function_arn

    def invoke_delivery(self, event: dict[str, Any]) -> None:
        try:
            self._client.invoke(
                FunctionName=self._function_arn,
                InvocationType="Event",
                Payload=json.dumps(event).encode(),
            )
        except (ClientError, BotoCoreError) as exc:
            raise SchedulerUnavailable() from exc
