"""The exact HTTP request a delivery attempt sends (PRODUCT.md §3), built purely."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from belltower import __version__
from belltower.domain.destinations import merge_query
from belltower.domain.models import DeliveryRequest
from belltower.domain.signing import signature_headers
from belltower.domain.timing import format_utc

USER_AGENT = f"Belltower/{__version__}"


@dataclass(frozen=True)
class OutboundRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None


def build_request(
    request: DeliveryRequest,
    *,
    occurrence_id: str,
    schedule_id: str,
    scheduled_for: datetime,
    attempt: int,
    now: datetime,
    signing_secrets: Sequence[str],
) -> OutboundRequest:
    body = request.body.encode() if request.body is not None else None
    headers = dict(request.headers)
    if request.body_is_json and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/json"
    headers.update(
        {
            "Idempotency-Key": occurrence_id,
            "User-Agent": USER_AGENT,
            "Belltower-Schedule-Id": schedule_id,
            "Belltower-Occurrence-Id": occurrence_id,
            "Belltower-Scheduled-For": format_utc(scheduled_for),
            "Belltower-Attempt": str(attempt),
        }
    )
    # The webhook id is the occurrence id: the same on every attempt, as Standard Webhooks asks.
    headers.update(signature_headers(signing_secrets, occurrence_id, int(now.timestamp()), body or b""))
    return OutboundRequest(request.method, merge_query(request.url, request.query), headers, body)


def build_notification(
    *,
    kind: str,
    url: str,
    message_id: str,
    payload: dict[str, Any],
    schedule_id: str,
    attempt: int,
    now: datetime,
    signing_secrets: Sequence[str],
) -> OutboundRequest:
    """A webhook or callback POST: the JSON payload, signed like a delivery (`webhook-id` is the
    message id, the same on every attempt)."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Belltower-Notification": kind,
        "Belltower-Schedule-Id": schedule_id,
        "Belltower-Attempt": str(attempt),
        **signature_headers(signing_secrets, message_id, int(now.timestamp()), body),
    }
    return OutboundRequest("POST", url, headers, body)
