"""The pure Taskhook mappings (belltower.compat.taskhook)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from belltower.compat import taskhook
from belltower.domain.errors import InvalidRequest
from belltower.domain.models import DeliveryRequest, Occurrence, Schedule

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
EXAMPLE = {"cron": "0 9 * * *", "timezone": "America/New_York", "start_at": "2024-03-01T00:00:00Z",
           "end_at": "2024-12-31T23:59:59Z",
           "task_template": {"target": "https://example.com/scheduled-job", "payload": {"key": "value"}}}  # fmt: skip


def test_create_maps_to_a_native_recurring_body():
    native, enabled = taskhook.to_native(EXAMPLE)
    assert enabled is True
    assert native == {"cron": "0 9 * * *", "timezone": "America/New_York", "overlap": "skip",
                      "endpoint": "https://example.com/scheduled-job", "method": "POST", "body": {"key": "value"},
                      "metadata": {"compat": "taskhook"}, "start_at": "2024-03-01T00:00:00Z",
                      "end_at": "2024-12-31T23:59:59Z"}  # fmt: skip
    assert taskhook.to_native({**EXAMPLE, "enabled": False})[1] is False
    assert taskhook.to_native({**EXAMPLE, "start_at": "2030-01-01T00:00:00"})[0]["start_at"] == "2030-01-01T00:00:00Z"


@pytest.mark.parametrize("body,param", [
    ({"timezone": "UTC", "task_template": {"target": "https://x"}}, "cron"),
    ({**EXAMPLE, "task_template": {"payload": 1}}, "task_template.target"),
    ({**EXAMPLE, "task_template": {"target": "https://x", "retries": 3}}, "task_template.retries"),
    ({**EXAMPLE, "enabled": "no"}, "enabled"), ({**EXAMPLE, "paused": True}, "paused"),
])  # fmt: skip
def test_bad_create_bodies(body, param):
    with pytest.raises(InvalidRequest) as caught:
        taskhook.to_native(body)
    assert caught.value.param == param


def test_patch_maps_only_what_is_sent():
    native, enabled = taskhook.patch_to_native({"enabled": False, "end_at": "2030-06-30T23:59:59Z", "cron": "0 */4 * * *"})
    assert native == {"cron": "0 */4 * * *", "end_at": "2030-06-30T23:59:59Z"} and enabled is False
    assert taskhook.patch_to_native({"task_template": {"target": "https://y", "payload": [1]}})[0] == {
        "endpoint": "https://y", "method": "POST", "body": [1]}


def _schedule(state="active"):
    return Schedule(id="sch_1", project_id="prj", kind="recurring", state=state,
                    request=DeliveryRequest(url="https://t", body='{"key":"value"}', body_is_json=True),
                    retry_policy=None, timeout=None, created_at=NOW, updated_at=NOW, cron="0 9 * * *",
                    timezone="America/New_York", anchor=NOW, run_count=5)  # fmt: skip


def test_views():
    view = taskhook.schedule_view(_schedule(), NOW)
    assert view["status"] == "active" and view["enabled"] is True and view["execution_count"] == 5
    assert view["task_template"] == {"target": "https://t", "payload": {"key": "value"}}
    assert view["next_execution_at"] == "2026-01-01T14:00:00Z"
    assert taskhook.schedule_view(_schedule("paused"), NOW)["status"] == "disabled"
    assert taskhook.schedule_view(_schedule("cancelled"), NOW)["status"] == "deleted"
    occ = Occurrence(id="occ_1", project_id="prj", schedule_id="sch_1", scheduled_for=NOW, state="retrying", created_at=NOW)
    assert taskhook.task_view(occ, _schedule())["status"] == "processing"
    assert taskhook.patch_view(_schedule(), {"enabled": True, "cron": "x"}, NOW) == {"id": "sch_1", "enabled": True,
                                                                                     "cron": "0 9 * * *"}


def test_paging_and_filters():
    assert taskhook.paging({}) == (100, 0)
    assert taskhook.paging({"limit": "10", "offset": "3"}) == (10, 3)
    for bad in ({"limit": "0"}, {"limit": "²"}, {"offset": "-1"}):
        with pytest.raises(InvalidRequest):
            taskhook.paging(bad)
    assert taskhook.list_filters({"status": "active", "enabled": "true"}) == ("active", True)
    with pytest.raises(InvalidRequest):
        taskhook.task_filter({"status": "done"})
