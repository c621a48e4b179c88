"""The project's event feed: recording lifecycle events, and reading them in order.

Delivery records an event after the transition it announces is saved (one PutItem per step: the
events of one step, an outcome and the completion it causes, share an item). A
failure to record one is logged and does not fail the delivery: the occurrence's own record is
the source of truth, the feed a convenience view of it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from belltower.adapters.store import Page
from belltower.domain.errors import InvalidRequest
from belltower.domain.events import Event
from belltower.domain.ids import id_ceiling, is_id
from belltower.domain.paging import parse_limit
from belltower.service.schedules import LIST_LIMIT
from belltower.wiring import Container

logger = logging.getLogger(__name__)

#: The feed shows an event only once it is this old, so an event whose write was still in flight
#: when a reader passed its id does not appear behind the reader's cursor.
SETTLE_TIME = timedelta(seconds=2)


def next_event_id(c: Container) -> str:
    return c.event_ids.next(c.clock.now())


def record(c: Container, *recorded: Event) -> None:
    """Append events (of one project, in id order) to its feed; kept as long as finished occurrences."""
    try:
        c.store.put_events(list(recorded), c.retention_deadline(recorded[-1].created_at))
    except Exception:  # noqa: BLE001 - the transition is saved; losing its event must not undo it
        logger.exception("lifecycle event not recorded", extra={"event_ids": [e.id for e in recorded]})


def list_events(c: Container, project: dict[str, Any], params: dict[str, str]) -> Page:
    """Oldest first after `after` (or `cursor`, the same thing: an event id)."""
    after, cursor = params.get("after"), params.get("cursor")
    if after is not None and cursor is not None and after != cursor:
        raise InvalidRequest("send `after` or `cursor`, not both", param="cursor", code="invalid_field")
    after = after if after is not None else cursor
    if after is not None and not is_id("evt", after):
        raise InvalidRequest("`after` must be an event id (evt_...)", param="after", code="invalid_field")
    until = id_ceiling("evt", c.clock.now() - SETTLE_TIME)
    return c.store.list_events(project["id"], after=after, until=until, limit=parse_limit(params.get("limit"), default=LIST_LIMIT))
