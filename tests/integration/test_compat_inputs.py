"""No input to the compatibility routes produces a 5xx, and every error has the seed's shape."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.app import DESTINATION, app  # noqa: F401  (fixture)

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
RELAXED = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
BOOPER = ["method", "url", "query", "body", "headers", "schedule_in", "scheduled_at", "repeat_every", "cron",
          "idempotency_key", "callback_url", "webhook_url", "name"]  # fmt: skip
TASKHOOK = ["cron", "timezone", "task_template", "start_at", "end_at", "enabled"]
IRON = ["code_name", "payload", "priority", "timeout", "delay", "run_every", "run_times", "start_at", "end_at"]


def near(fields, base):
    return st.one_of(JSON, st.dictionaries(st.sampled_from(fields), JSON, max_size=4).map(lambda extra: {**base, **extra}))


def booper_error(resp):
    assert resp.status < 500, resp.body
    if resp.status >= 400:
        assert set(resp.body) == {"errors"} and isinstance(resp.body["errors"], dict), resp.body


def native_error(resp):
    assert resp.status < 500, resp.body
    if resp.status >= 400:
        assert set(resp.body["error"]) == {"type", "code", "message", "param"}, resp.body


def list_error(resp):
    assert resp.status < 500, resp.body
    if resp.status >= 400:
        assert set(resp.body) == {"errors"} and isinstance(resp.body["errors"], list), resp.body


def msg_error(resp):
    assert resp.status < 500, resp.body
    if resp.status >= 400:
        assert set(resp.body) == {"msg"}, resp.body


@RELAXED
@given(body=near(BOOPER, {"url": DESTINATION, "schedule_in": 60}))
def test_booper(app, body):
    booper_error(app.call("POST", "/compat/booper/api/jobs", body))


@RELAXED
@given(body=near(TASKHOOK, {"cron": "0 9 * * *", "timezone": "UTC", "task_template": {"target": DESTINATION}}),
       query=st.dictionaries(st.sampled_from(["status", "enabled", "limit", "offset", "start_from"]),
                             st.text(max_size=20), max_size=3))  # fmt: skip
def test_taskhook(app, body, query):
    created = app.call("POST", "/compat/taskhook/v1/schedules", body)
    native_error(created)
    native_error(app.call("GET", "/compat/taskhook/v1/schedules", query=query))
    if created.status == 201:
        sid = created.body["id"]
        native_error(app.call("PATCH", f"/compat/taskhook/v1/schedules/{sid}", body))
        native_error(app.call("GET", f"/compat/taskhook/v1/schedules/{sid}/tasks", query=query))
        native_error(app.call("GET", f"/compat/taskhook/v1/schedules/{sid}/preview", query=query))


@RELAXED
@given(body=near(["timestamp", "message", "id"], {"timestamp": "2026-11-23T12:05:00Z", "message": "m"}),
       secret=st.sampled_from([None, "", "wrong", "default"]))  # fmt: skip
def test_pipedream(app, body, secret):
    app.call("POST", "/v1/endpoints", {"name": "pipedream", "url": DESTINATION})
    headers = {} if secret is None else {"x-pd-secret": app.api_key if secret == "default" else secret}
    list_error(app.call("POST", "/compat/pipedream/schedule", body, api_key=None, headers=headers))
    list_error(app.call("POST", "/compat/pipedream/cancel", body, api_key=None, headers=headers))


@RELAXED
@given(item=near(IRON, {"code_name": "W", "payload": "p"}), content_type=st.sampled_from(["application/json", "text/plain"]))
def test_iron(app, item, content_type):
    app.call("POST", "/v1/endpoints", {"name": "W", "url": DESTINATION})
    base = f"/compat/iron/2/projects/{app.project['id']}"
    headers = {"authorization": f"OAuth {app.api_key}", "content-type": content_type}
    msg_error(app.call("POST", base + "/tasks", {"tasks": [item]}, api_key=None, headers=headers))
    msg_error(app.call("POST", base + "/schedules", {"schedules": [item]}, api_key=None, headers=headers))
    msg_error(app.call("POST", base + "/schedules", item, api_key=None, headers=headers))


@RELAXED
@given(progress=JSON, raw=st.text(max_size=200), code_name=st.none() | st.text(max_size=20),
       any_id=st.sampled_from(["", "x", "4ea9c05dcddb131f1a000002", "ep_01JCK8X3N8ZJ6Q9V8W4Y2R1T0S"]))  # fmt: skip
def test_iron_codes_webhook_and_progress(app, progress, raw, code_name, any_id):
    made = app.call("POST", "/v1/endpoints", {"name": "W", "url": DESTINATION})
    base = f"/compat/iron/2/projects/{app.project['id']}"
    headers = {"authorization": f"OAuth {app.api_key}", "content-type": "application/json"}
    task = app.call("POST", base + "/tasks", {"tasks": [{"code_name": "W", "delay": 600}]}, api_key=None,
                    headers=headers).body["tasks"][0]["id"]  # fmt: skip
    for task_id in (task, any_id):
        msg_error(app.call("POST", f"{base}/tasks/{task_id}/progress", progress, api_key=None, headers=headers))
    query = {} if code_name is None else {"code_name": code_name}
    msg_error(app.call("POST", base + "/tasks/webhook", raw_body=raw, query=query, api_key=None, headers=headers))
    for code_id in (made.body["id"], any_id):
        for method, suffix in (("GET", ""), ("GET", "/revisions"), ("GET", "/download"), ("DELETE", "")):
            msg_error(app.call(method, f"{base}/codes/{code_id}{suffix}", api_key=None, headers=headers))
    msg_error(app.call("POST", base + "/codes", raw_body=raw, api_key=None, headers=headers))
    msg_error(app.call("GET", base + "/codes", query={"page": raw[:5]}, api_key=None, headers=headers))


def test_unknown_paths_and_methods_answer_in_the_seed_shape(app):
    booper_error(app.call("PUT", "/compat/booper/api/jobs"))
    assert app.call("PUT", "/compat/booper/api/jobs").status == 405
    list_error(app.call("GET", "/compat/pipedream/schedule", api_key=None))
    msg_error(app.call("DELETE", f"/compat/iron/2/projects/{app.project['id']}/tasks"))
    assert app.call("GET", "/compat/iron/2/nothing").status == 404
    msg_error(app.call("GET", "/compat/iron/2/nothing"))
