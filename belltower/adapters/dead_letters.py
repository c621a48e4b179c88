"""SQS: the dead-letter queue that holds every occurrence Belltower gave up on."""

from __future__ import annotations

import json
from typing import Any


class SqsDeadLetters:
    def __init__(self, client: Any, queue_url: str):
        self._client = client
        self._queue_url = queue_url

    def send(self, message: dict[str, Any]) -> None:
        self._client.send_message(
            QueueUrl=self._queue_url,
            MessageBody=json.dumps(message, separators=(",", ":")),
            MessageAttributes={
                "belltower_type": {"DataType": "String", "StringValue": message["type"]},
                "occurrence_id": {"DataType": "String", "StringValue": message["occurrence"]["id"]},
            },
        )
