"""The request a delivery attempt sends, with the dynamic fields of its body expanded
(belltower.domain.dynamic_fields) for a schedule that opted in; any other request is unchanged.

A body that uses `$previous` or `$state` costs one query of the schedule's newest occurrences
(up to `LOOKBACK` of them before the one being delivered).
"""

from __future__ import annotations

from belltower.domain import dynamic_fields
from belltower.domain.models import DeliveryRequest, Occurrence, Schedule
from belltower.wiring import Container

#: How far back `$previous` and `$state` look for the previous / latest successful run.
LOOKBACK = 50


def request_for(c: Container, schedule: Schedule, occ: Occurrence, attempt: int,
                request: DeliveryRequest) -> DeliveryRequest:  # fmt: skip
    if not dynamic_fields.opted_in(schedule):
        return request
    earlier: list[Occurrence] = []
    if dynamic_fields.used_in(request) & {"previous", "state"}:
        page = c.store.list_occurrences(schedule.project_id, schedule.id, limit=LOOKBACK + 1)
        earlier = [o for o in page.items if o.id < occ.id][:LOOKBACK]  # ids sort by fire time
    return dynamic_fields.expand_request(request, dynamic_fields.context(schedule, occ, attempt, earlier))
