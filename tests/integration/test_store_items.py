"""What the store writes: documents survive the round trip through DynamoDB whatever fields are
empty, and a typical schedule item stays within one write unit (docs/benchmarks.md, section 4)."""

from __future__ import annotations

from datetime import timedelta

import boto3

from bench.aws_calls import item_size
from tests.support.app import DESTINATION, app  # noqa: F401  (fixture)


def raw_items(app, sk_prefix):
    table = boto3.resource("dynamodb").Table(app.container.settings.table_name)
    return [i for i in table.scan()["Items"] if i["sk"].startswith(sk_prefix)]


def test_a_typical_one_shot_schedule_item_fits_one_write_unit(app):
    resp = app.call("POST", "/v1/schedules", {"endpoint": DESTINATION, "delay": "1h",
                                              "body": {"user": 42, "template": "reminder"}})  # fmt: skip
    assert resp.status == 201
    [item] = raw_items(app, "schedule")
    assert item_size(item) <= 1024
    assert '"webhook_url"' not in item["doc"]  # empty fields are not stored...
    got = app.call("GET", f"/v1/schedules/{resp.body['id']}").body
    assert got == resp.body | {"next_runs": got["next_runs"], "next_fire_at": got["next_fire_at"]}
    assert got["webhook_url"] is None and got["metadata"] == {}  # ...and read back as empty


def test_schedules_and_occurrences_with_every_field_set_or_empty_read_back_unchanged(app):
    full = {"endpoint": DESTINATION, "cron": "*/5 * * * *", "timezone": "Europe/Paris", "name": "n",
            "description": "d", "metadata": {"k": "v"}, "headers": {"X-A": "1"}, "query": {"q": "1"},
            "ttl": "10m", "max_runs": 3, "overlap": "allow", "webhook_url": DESTINATION + "/w",
            "callback_url": DESTINATION + "/c", "failure_callback_url": DESTINATION + "/f",
            "start_at": "2030-01-01T00:00:00Z", "end_at": "2030-02-01T00:00:00Z"}  # fmt: skip
    for body in (full, {"endpoint": DESTINATION, "delay": "1m"}):
        created = app.call("POST", "/v1/schedules", body).body
        got = app.call("GET", f"/v1/schedules/{created['id']}").body
        assert got == created
    one_shot = created
    app.clock.advance(timedelta(minutes=1))
    assert app.deliver({"type": "fire", "project_id": app.project["id"], "schedule_id": one_shot["id"],
                        "scheduled_for": one_shot["fire_at"]}) == "succeeded"  # fmt: skip
    [occ] = app.call("GET", f"/v1/schedules/{one_shot['id']}/occurrences").body["data"]
    assert occ["replay_of"] is None and occ["next_attempt_at"] is None and occ["attempts"]
    assert app.call("GET", f"/v1/occurrences/{occ['id']}").body == occ
