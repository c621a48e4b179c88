"""The pure Pipedream mappings (belltower.compat.pipedream)."""

from __future__ import annotations

from datetime import datetime, timezone

from belltower.compat import pipedream
from belltower.domain.errors import Conflict, NotFound, Unauthorized
from belltower.domain.events import Event

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def test_timestamps_in_iso_8601_forms():
    assert pipedream.parse_timestamp("2026-01-01T12:00:05.123Z") == datetime(2026, 1, 1, 12, 0, 5, 123000, tzinfo=timezone.utc)
    assert pipedream.parse_timestamp("2026-01-01T13:00:00+01:00") == NOW
    assert pipedream.parse_timestamp("2026-01-01T12:00:00") == NOW
    assert pipedream.parse_timestamp("2026-01-02") == datetime(2026, 1, 2, tzinfo=timezone.utc)
    for bad in ("tomorrow", "2026-13-01T00:00:00Z", 1767268800, None):
        assert pipedream.parse_timestamp(bad) is None


def test_schedule_errors_list_every_problem():
    assert pipedream.schedule_errors({"timestamp": "2026-01-02T00:00:00Z", "message": {}}, NOW) == []
    assert pipedream.schedule_errors({}, NOW) == [pipedream.NO_TIMESTAMP, pipedream.NO_MESSAGE]
    assert pipedream.schedule_errors({"timestamp": "x", "message": 0}, NOW) == [pipedream.BAD_TIMESTAMP]
    assert pipedream.schedule_errors({"timestamp": "2028-01-01T00:00:00Z", "message": 1}, NOW) == [pipedream.TOO_FAR]
    assert pipedream.schedule_errors([1], NOW) == [pipedream.NO_TIMESTAMP, pipedream.NO_MESSAGE]


def test_to_native_delivers_the_emitted_payload_to_the_profile():
    native = pipedream.to_native({"timestamp": "2026-01-01T12:01:00Z", "message": {"a": 1}},
                                 schedule_id="sch_x", endpoint_id="ep_y", now=NOW)  # fmt: skip
    assert native == {"endpoint_id": "ep_y", "method": "POST", "fire_at": "2026-01-01T12:01:00Z",
                      "body": {"message": {"a": 1}, "timestamp": "2026-01-01T12:01:00Z", "id": "sch_x"},
                      "metadata": {"compat": "pipedream"}}  # fmt: skip
    past = pipedream.to_native({"timestamp": "2020-01-01T00:00:00Z", "message": "m"}, schedule_id="s",
                               endpoint_id="e", now=NOW)  # fmt: skip
    assert past["delay"] == 1 and "fire_at" not in past


def test_emission_is_the_first_attempt_starting():
    started = Event("evt_1", "prj", "occurrence.started", NOW, {"attempt": 1, "schedule_id": "s"})
    retried = Event("evt_2", "prj", "occurrence.started", NOW, {"attempt": 2, "schedule_id": "s"})
    assert pipedream.is_emission(started) and not pipedream.is_emission(retried)
    assert pipedream.sse_message("evt_1", {"id": "s"}) == 'id: evt_1\nevent: message\ndata: {"id":"s"}\n\n'


def test_errors():
    assert pipedream.error_response(Unauthorized("x")) == (400, {"errors": [pipedream.BAD_SECRET]})
    assert pipedream.error_response(NotFound("x")) == (404, {"errors": ["No event with id found"]})
    assert pipedream.error_response(Conflict("busy")) == (400, {"errors": ["busy"]})
    assert pipedream.cancel_id({"id": "sch_1"}) == "sch_1" and pipedream.cancel_id({"id": 5}) is None
