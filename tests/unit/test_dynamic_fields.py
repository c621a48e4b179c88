"""Dynamic body fields (`$job`, `$state`, `$previous`): parsing, the context, expansion."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from belltower.domain import dynamic_fields as df
from belltower.domain.models import Attempt, DeliveryRequest, Occurrence, Schedule
from hypothesis import given
from hypothesis import strategies as st

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


OPTED_IN = {"compat": "booper", "booper": {"dynamic_fields": True}}


def _schedule(kind="recurring", metadata=None):
    return Schedule(id="sch_1", project_id="prj", kind=kind, state="active",
                    request=DeliveryRequest(url="https://h.example/x"), retry_policy=None, timeout=None,
                    created_at=NOW, updated_at=NOW, name="sync", metadata=OPTED_IN if metadata is None else metadata)


def _occ(occ_id, state="succeeded", excerpt="", status=200, minutes=0, attempts=1, error=None):
    at = NOW + timedelta(minutes=minutes)
    return Occurrence(id=occ_id, project_id="prj", schedule_id="sch_1", scheduled_for=at, state=state,
                      created_at=at, completed_at=at if state not in ("retrying", "delivering") else None,
                      attempts=[Attempt(n, at, 5, status, error, excerpt) for n in range(1, attempts + 1)])  # fmt: skip


@pytest.mark.parametrize("value, expected", [
    ("$job", ("job", [])), ("$state", ("state", [])), ("$previous", ("previous", [])),
    ("$previous.body.items.0.id", ("previous", ["body", "items", "0", "id"])),
    ("$state.my key", ("state", ["my key"])),
    ("$jobs", None), ("$job-1", None), ("run $job", None), ("$JOB", None), ("job", None), (5, None), (None, None),
    ("$previously", None), ("$job\n", None),
])  # fmt: skip
def test_reference(value, expected):
    assert df.reference(value) == expected


@pytest.mark.parametrize("value", ["$job.", "$previous..body", "$state.a..b", "$job.a."])
def test_malformed_references_are_refused(value):
    with pytest.raises(df.InvalidReference, match="not a valid dynamic field"):
        df.reference(value)
    with pytest.raises(df.InvalidReference):
        df.scan({"a": [value]})


def test_scan():
    assert df.scan({"cursor": "$state.cursor", "last": ["$previous.status_code", "$previous"], "n": 1}) == [
        "previous", "state"]
    assert df.scan("$job") == ["job"] and df.scan({"a": "$jobs"}) == [] and df.scan(None) == []
    with pytest.raises(df.InvalidReference, match="not in keys"):
        df.scan({"$job": 1})
    with pytest.raises(df.InvalidReference, match="at most 32"):
        df.scan(["$job"] * 33)


def test_job_previous_and_state():
    schedule = _schedule()
    current = _occ("occ_3", state="delivering", minutes=2, attempts=0)
    earlier = [
        _occ("occ_2", state="dead_lettered", excerpt="boom", status=500, minutes=1, attempts=2),
        _occ("occ_1", excerpt='{"state": {"cursor": "abc"}, "count": 2}'),
    ]
    ctx = df.context(schedule, current, 1, earlier)
    assert ctx["job"] == {"id": "sch_1", "schedule_id": "sch_1", "name": "sync", "occurrence_id": "occ_3",
                          "scheduled_at": "2026-11-23T12:02:00Z", "attempt": 1}  # fmt: skip
    assert ctx["previous"] == {"occurrence_id": "occ_2", "scheduled_at": "2026-11-23T12:01:00Z",
                               "state": "dead_lettered", "status_code": 500, "body": "boom", "error": None,
                               "completed_at": "2026-11-23T12:01:00Z"}  # fmt: skip
    assert ctx["state"] == {"cursor": "abc"}  # from the latest successful run, across the failed one
    assert df.context(_schedule("one_shot"), current, 2, [])["job"]["schedule_id"] is None
    assert df.previous_value([]) is None and df.state_value([]) is None
    skipped = _occ("occ_2", state="skipped", attempts=0)
    assert df.previous_value([skipped, earlier[1]])["occurrence_id"] == "occ_1"
    assert df.state_value([_occ("occ_2", excerpt='{"count": 3}'), earlier[1]]) is None  # the latest said nothing
    assert df.state_value([_occ("occ_2", excerpt="[1, 2]")]) is None


def test_response_body():
    assert df.response_body('{"a": 1}') == {"a": 1} and df.response_body("Hello") == "Hello"
    assert df.response_body("") is None and df.response_body(None) is None
    assert df.response_body('{"a": 1, "b": "trunc') == '{"a": 1, "b": "trunc'  # a cut-off excerpt is text
    assert df.response_body("NaN") == "NaN"


def test_expand():
    ctx = {"job": {"id": "sch_1", "attempt": 2}, "previous": {"status_code": 200, "body": {"items": [{"id": 7}]}},
           "state": None}  # fmt: skip
    body = {"job": "$job", "attempt": "$job.attempt", "first": "$previous.body.items.0.id",
            "missing": "$previous.body.items.5.id", "deep": [{"state": "$state"}], "$literal": "$jobs",
            "bad": "$job..x", "n": 1.5, "none": None}  # fmt: skip
    assert df.expand(body, ctx) == {"job": {"id": "sch_1", "attempt": 2}, "attempt": 2, "first": 7, "missing": None,
                                    "deep": [{"state": None}], "$literal": "$jobs", "bad": "$job..x", "n": 1.5,
                                    "none": None}  # fmt: skip
    assert df.expand("$previous.status_code", ctx) == 200
    assert df.expand("$previous.status_code.x", ctx) is None


def test_expand_request():
    ctx = {"job": {"id": "sch_1"}, "previous": None, "state": "s1"}
    as_json = DeliveryRequest(url="u", body='{"id":"$job.id","s":"$state","t":"é"}', body_is_json=True)
    out = df.expand_request(as_json, ctx)
    assert json.loads(out.body) == {"id": "sch_1", "s": "s1", "t": "é"} and out.body_is_json and "é" in out.body
    text = DeliveryRequest(url="u", body="$job", body_is_json=False)
    assert df.expand_request(text, ctx) == DeliveryRequest(url="u", body='{"id":"sch_1"}', body_is_json=True)
    assert df.expand_request(DeliveryRequest(url="u", body="$state"), ctx).body == "s1"
    plain = DeliveryRequest(url="u", body="hello $job")
    assert df.expand_request(plain, ctx) == plain
    assert df.expand_request(DeliveryRequest(url="u"), ctx) == DeliveryRequest(url="u")
    assert df.used_in(as_json) == {"job", "state"} and df.used_in(plain) == frozenset()
    assert df.used_in(DeliveryRequest(url="u", body='{"a":"$job..","b":"$state"}', body_is_json=True)) == {"state"}
    assert df.used_in(DeliveryRequest(url="u", body="{not json", body_is_json=True)) == frozenset()


def test_opt_in():
    assert df.opted_in(_schedule())
    assert not df.opted_in(_schedule(metadata={}))
    assert not df.opted_in(_schedule(metadata={"compat": "booper", "booper": {}}))
    assert not df.opted_in(_schedule(metadata={"compat": "iron", "booper": {"dynamic_fields": True}}))
    assert not df.opted_in(_schedule(metadata={"compat": "booper", "booper": "yes"}))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text() | st.sampled_from(["$job", "$state.a", "$previous.body.0"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=15,
)


@given(body=JSON, state=JSON)
def test_expansion_is_total_and_keeps_bodies_without_references(body, state):
    ctx = {"job": {"id": "sch_1"}, "previous": None, "state": state}
    try:
        used = df.scan(body)
    except df.InvalidReference:
        used = None
    out = df.expand(body, ctx)
    json.dumps(out)
    if used == []:
        assert out == body
