"""No input to the lifecycle routes, however malformed, produces a 5xx (PRODUCT.md §2 Errors)."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.support.app import DESTINATION, app  # noqa: F401  (fixture)

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
FIELDS = ["name", "url", "method", "headers", "retry_policy", "timeout", "endpoint", "endpoint_id", "delay",
          "idempotency_key", "webhook_url", "callback_url", "failure_callback_url", "schedules"]  # fmt: skip
# Bodies that are close to valid, so validation goes deep, plus anything at all.
BODIES = st.one_of(
    JSON,
    st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=6),
    st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=3).map(
        lambda extra: {"name": "n", "url": DESTINATION, "endpoint": DESTINATION, "delay": "1h", **extra}),
)
RELAXED = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def assert_no_5xx(resp):
    assert resp.status < 500, resp.body
    if resp.status >= 400:
        assert set(resp.body["error"]) == {"type", "code", "message", "param"}


@RELAXED
@given(body=BODIES)
def test_endpoint_create_and_patch_never_fail_with_5xx(app, body):
    assert_no_5xx(app.call("POST", "/v1/endpoints", body))
    existing = app.call("POST", "/v1/endpoints", {"name": "n", "url": DESTINATION}).body["id"]
    assert_no_5xx(app.call("PATCH", f"/v1/endpoints/{existing}", body))


@RELAXED
@given(items=st.lists(BODIES, max_size=4), key=st.none() | st.text(max_size=300))
def test_schedule_create_and_batch_never_fail_with_5xx(app, items, key):
    headers = {"Idempotency-Key": key} if key and "\r" not in key and "\n" not in key else None
    for item in items:
        assert_no_5xx(app.call("POST", "/v1/schedules", item, headers=headers))
    assert_no_5xx(app.call("POST", "/v1/schedules/batch", {"schedules": items}))


@RELAXED
@example(query={"limit": "²"})  # str.isdigit() accepts it, int() does not
@given(query=st.dictionaries(st.sampled_from(["after", "cursor", "limit"]), st.text(max_size=40), max_size=3))
def test_event_feed_parameters_never_fail_with_5xx(app, query):
    assert_no_5xx(app.call("GET", "/v1/events", query=query))
    assert_no_5xx(app.call("GET", "/v1/endpoints", query={k: v for k, v in query.items() if k != "after"}))
