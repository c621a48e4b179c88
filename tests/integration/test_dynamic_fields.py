"""Booper's dynamic body fields, expanded at delivery time (belltower.service.dynamic_bodies)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from belltower.ports import HttpResponse

from tests.support.app import DESTINATION, app  # noqa: F401  (fixture)

BODY = {"job": "$job", "attempt": "$job.attempt", "cursor": "$state.cursor", "last_status": "$previous.status_code",
        "last_items": "$previous.body.items", "literal": "$jobs", "n": 1}  # fmt: skip


def fire(app, schedule_id: str, at: str) -> str:
    app.clock.current = datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone(timezone.utc)
    return app.deliver({"type": "fire", "project_id": app.project["id"], "schedule_id": schedule_id,
                        "scheduled_for": at})  # fmt: skip


def sent_bodies(app) -> list:
    return [json.loads(r.body) for r in app.http.sent]


def test_a_recurring_booper_job_gets_its_job_previous_run_and_state(app):
    created = app.call("POST", "/compat/booper/api/jobs", {"method": "post", "url": DESTINATION, "body": BODY,
                                                           "repeat_every": 60, "schedule_in": 60})  # fmt: skip
    assert created.status == 200, created.body
    job_id = created.body["data"]["id"]
    assert created.body["data"]["args"]["body"] == BODY  # the template, as sent
    app.http.script(DESTINATION,
                    HttpResponse(200, 5, body_excerpt='{"state": {"cursor": "c1"}, "items": [1, 2]}'),
                    HttpResponse(503, 5, body_excerpt="busy"),
                    HttpResponse(404, 5, body_excerpt="gone"),
                    HttpResponse(200, 5, body_excerpt="ok"))  # fmt: skip

    assert fire(app, job_id, "2026-11-23T12:01:00Z") == "succeeded"
    first = sent_bodies(app)[0]
    assert first["job"]["id"] == job_id and first["job"]["schedule_id"] == job_id and first["attempt"] == 1
    assert first["job"]["scheduled_at"] == "2026-11-23T12:01:00Z" and first["job"]["occurrence_id"].startswith("occ_")
    assert first["cursor"] is None and first["last_status"] is None and first["literal"] == "$jobs"

    # the second run: 503 (retried), then 404 (dead-lettered)
    assert fire(app, job_id, "2026-11-23T12:02:00Z") == "retrying"
    occ = app.call("GET", f"/v1/schedules/{job_id}/occurrences").body["data"][0]
    app.clock.current = datetime.fromisoformat(occ["next_attempt_at"].replace("Z", "+00:00"))
    assert app.deliver({"type": "attempt", "project_id": app.project["id"], "schedule_id": job_id,
                        "occurrence_id": occ["id"], "attempt": 2}) == "dead_lettered"  # fmt: skip
    second, retry = sent_bodies(app)[1:3]
    assert second["cursor"] == "c1" and second["last_status"] == 200 and second["last_items"] == [1, 2]
    assert retry["attempt"] == 2 and retry["job"]["occurrence_id"] == second["job"]["occurrence_id"]
    assert retry["last_status"] == 200  # the previous run is still the first one

    # the third run: the previous one failed; the state is still the latest successful run's
    assert fire(app, job_id, "2026-11-23T12:03:00Z") == "succeeded"
    third = sent_bodies(app)[3]
    assert third["last_status"] == 404 and third["last_items"] is None and third["cursor"] == "c1"
    assert app.http.sent[3].headers["Content-Type"] == "application/json"

    # the fourth run: the latest successful run answered "ok" (no state): the state is gone
    assert fire(app, job_id, "2026-11-23T12:04:00Z") == "succeeded"
    assert sent_bodies(app)[4]["cursor"] is None and sent_bodies(app)[4]["last_status"] == 200


def test_only_booper_jobs_with_dynamic_fields_are_expanded(app):
    native = app.call("POST", "/v1/schedules", {"endpoint": DESTINATION, "delay": 60, "body": {"a": "$job"}})
    plain = app.call("POST", "/compat/booper/api/jobs", {"method": "post", "url": DESTINATION, "schedule_in": 60,
                                                         "body": {"a": "$jobs", "b": "$ job"}})  # fmt: skip
    one_shot = app.call("POST", "/compat/booper/api/jobs", {"method": "post", "url": DESTINATION, "schedule_in": 60,
                                                            "body": {"id": "$job.id", "p": "$previous"}})  # fmt: skip
    for made, fire_at in ((native.body, native.body["fire_at"]), (plain.body["data"], None),
                          (one_shot.body["data"], None)):  # fmt: skip
        schedule = app.call("GET", f"/v1/schedules/{made['id']}").body
        assert fire(app, schedule["id"], schedule["fire_at"]) == "succeeded"
    assert sent_bodies(app) == [{"a": "$job"}, {"a": "$jobs", "b": "$ job"},
                                {"id": one_shot.body["data"]["id"], "p": None}]  # fmt: skip


def test_a_body_edited_through_v1_is_expanded_as_it_is_now(app):
    created = app.call("POST", "/compat/booper/api/jobs", {"method": "post", "url": DESTINATION, "repeat_every": 60,
                                                           "schedule_in": 60, "body": {"id": "$job.id"}})  # fmt: skip
    job_id = created.body["data"]["id"]
    app.http.script(DESTINATION, HttpResponse(200, 5, body_excerpt='{"state": 7}'))
    assert fire(app, job_id, "2026-11-23T12:01:00Z") == "succeeded"
    patched = app.call("PATCH", f"/v1/schedules/{job_id}", {"body": {"state": "$state", "broken": "$job.."}})
    assert patched.status == 200, patched.body
    assert fire(app, job_id, "2026-11-23T12:02:00Z") == "succeeded"
    assert sent_bodies(app)[1] == {"state": 7, "broken": "$job.."}
