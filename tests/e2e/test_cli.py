"""The `belltower` CLI's API commands end to end: against `belltower dev`, with a real receiver.

Commands run in-process (`belltower.cli.main`, output captured), and one through the installed
console script. Routes still being built (endpoints, events, rotate) are covered in tests/unit.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from belltower import cli
from tests.e2e.helpers import create, occurrences_when

pytestmark = pytest.mark.e2e

MISSING_SCHEDULE = "sch_01ARZ3NDEKTSV4RRFFQ69G5FAV"  # well-formed, never created


@pytest.fixture
def belltower(dev_server, capsys, monkeypatch):
    """Run `belltower ARGS... --api-url <dev> --api-key <key>`; returns (exit code, stdout, stderr)."""
    monkeypatch.delenv("BELLTOWER_API_URL", raising=False)
    monkeypatch.delenv("BELLTOWER_API_KEY", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main([*args, "--api-url", dev_server.api_url, "--api-key", dev_server.api_key])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def table(out: str) -> list[list[str]]:
    """A table's rows split on runs of 2+ spaces (cells hold single spaces, e.g. a cron)."""
    return [re.split(r"\s{2,}", line.strip()) for line in out.splitlines() if line.strip()]


def test_create_wait_shows_the_attempt_and_exits_0(belltower, receiver):
    code, out, err = belltower("schedules", "create", "--delay", "2s", "--endpoint", f"{receiver.url}/x",
                               "--json-body", "--body", '{"a":1}', "--name", "cli-wait", "--wait")  # fmt: skip
    assert code == 0, err
    [request] = receiver.requests
    assert request.path == "/x" and request.json() == {"a": 1}
    assert request.header("content-type") == "application/json"
    lines = out.splitlines()
    assert lines[0].startswith("Created schedule sch_") and "one_shot" in lines[0]
    [attempt] = [line for line in lines if line.strip().startswith("attempt ")]
    assert attempt.split()[:2] == ["attempt", "1"] and attempt.split()[3] == "200"
    assert lines[-1].startswith("Occurrence occ_") and lines[-1].endswith(" succeeded.")
    assert request.header("idempotency-key") in lines[-1]


def test_wait_exits_3_when_the_occurrence_is_dead_lettered(belltower, receiver):
    receiver.program("/gone", [(404, {}, "no such hook")])
    code, out, _ = belltower("schedules", "create", "--delay", "1s", "--endpoint", f"{receiver.url}/gone", "--wait")
    assert code == 3
    assert "404" in out and "no such hook" in out
    assert "dead_lettered (non_retryable_status)." in out.splitlines()[-1]


def test_list_shows_a_table_and_cancel_get_follow_it(belltower, receiver):
    ids = []
    for name in ("cli-list-a", "cli-list-b"):
        code, out, err = belltower("schedules", "create", "--delay", "1h", "--endpoint", f"{receiver.url}/later",
                                   "--name", name, "--json")  # fmt: skip
        assert code == 0, err
        ids.append(json.loads(out)["id"])
    recurring_code, out, _ = belltower("schedules", "create", "--cron", "0 9 * * MON-FRI", "--timezone",
                                       "Europe/Paris", "--endpoint", f"{receiver.url}/cron", "--json")  # fmt: skip
    assert recurring_code == 0
    ids.append(json.loads(out)["id"])

    code, out, _ = belltower("schedules", "list", "--limit", "3")
    assert code == 0
    header, *rows = table(out)
    assert header == ["ID", "STATE", "KIND", "NEXT FIRE", "TIMING", "RUNS", "NAME", "DESTINATION"]
    by_id = {row[0]: row for row in rows}
    assert list(by_id) == ids[::-1]  # newest first
    assert by_id[ids[0]][1:3] == ["active", "one_shot"] and by_id[ids[0]][6] == "cli-list-a"
    assert by_id[ids[2]][2] == "recurring" and by_id[ids[2]][4] == "cron 0 9 * * MON-FRI Europe/Paris"

    code, out, _ = belltower("schedules", "list", "--kind", "recurring", "--limit", "1", "--json")
    page = json.loads(out)
    assert code == 0 and page["object"] == "list" and page["data"][0]["id"] == ids[2]

    for schedule_id in ids:
        code, out, _ = belltower("schedules", "cancel", schedule_id)
        assert (code, out) == (0, f"Cancelled schedule {schedule_id}: now cancelled.\n")
    code, out, _ = belltower("schedules", "get", ids[0])
    assert code == 0 and ["state", "cancelled"] in table(out) and ["name", "cli-list-a"] in table(out)


def test_json_output_is_the_api_document(belltower, dev_server, receiver):
    schedule = create(dev_server, endpoint=f"{receiver.url}/later", delay="1h", name="cli-json")
    code, out, _ = belltower("schedules", "get", schedule["id"], "--json")
    assert code == 0
    got = json.loads(out)
    assert got == dev_server.request("GET", f"/v1/schedules/{schedule['id']}").json()
    code, out, _ = belltower("project", "get", "--json")
    assert code == 0 and json.loads(out)["signing_secrets"][0]["secret"].startswith("whsec_")
    dev_server.request("DELETE", f"/v1/schedules/{schedule['id']}")


def test_an_unknown_schedule_exits_1_with_the_error_code(belltower):
    code, out, err = belltower("schedules", "get", MISSING_SCHEDULE)
    assert (code, out) == (1, "")
    assert err.startswith("belltower: error: 404 not_found: ") and MISSING_SCHEDULE in err
    assert "Traceback" not in err


def test_an_invalid_create_exits_1_with_the_api_code(belltower, receiver):
    code, _, err = belltower("schedules", "create", "--endpoint", f"{receiver.url}/x", "--every", "10s")
    assert code == 1 and "422 interval_too_short" in err


def test_preview_of_a_cron_across_a_dst_gap(belltower):
    args = ("schedules", "preview", "--cron", "30 2 * * *", "--timezone", "America/New_York",
            "--start-from", "2030-03-09T00:00:00Z", "--limit", "3")  # fmt: skip
    code, out, _ = belltower(*args)
    assert code == 0
    assert table(out) == [
        ["Time zone: America/New_York"],
        ["AT (UTC)", "LOCAL", "DST"],
        ["2030-03-09T07:30:00Z", "2030-03-09T02:30:00-05:00", "-"],
        ["2030-03-10T07:00:00Z", "2030-03-10T03:00:00-04:00", "shifted_from_gap"],
        ["2030-03-11T06:30:00Z", "2030-03-11T02:30:00-04:00", "-"],
    ]
    code, out, _ = belltower(*args, "--json")
    assert [run["dst"] for run in json.loads(out)["runs"]] == [None, "shifted_from_gap", None]


def test_trigger_wait_then_occurrences_list_get_and_replay(belltower, dev_server, receiver):
    schedule = create(dev_server, endpoint=f"{receiver.url}/now", delay="1h")
    code, out, _ = belltower("schedules", "trigger", schedule["id"], "--wait")
    assert code == 0 and out.splitlines()[-1].endswith(" succeeded.")
    assert len(receiver.requests) == 1

    code, out, _ = belltower("occurrences", "list", schedule["id"])
    [header, row] = table(out)
    assert header[:4] == ["ID", "SCHEDULE", "STATE", "SCHEDULED FOR"]
    assert row[1:3] == [schedule["id"], "succeeded"] and row[4:6] == ["1", "200"]
    occurrence_id = row[0]

    code, out, _ = belltower("occurrences", "get", occurrence_id)
    assert code == 0 and ["origin", "trigger"] in table(out) and ["#", "STARTED", "STATUS", "MS", "ERROR",
                                                                  "RESPONSE"] in table(out)  # fmt: skip
    code, out, _ = belltower("occurrences", "replay", occurrence_id, "--json")
    assert code == 0 and json.loads(out)["replay_of"] == occurrence_id
    receiver.wait_for(2, timeout=15)
    dev_server.request("DELETE", f"/v1/schedules/{schedule['id']}")


def test_pause_and_resume(belltower, dev_server, receiver):
    schedule = create(dev_server, endpoint=f"{receiver.url}/every", every="1h")
    code, out, _ = belltower("schedules", "pause", schedule["id"])
    assert (code, out) == (0, f"Paused schedule {schedule['id']}: now paused.\n")
    code, out, _ = belltower("schedules", "list", "--state", "paused", "--json", "--all")
    assert schedule["id"] in [s["id"] for s in json.loads(out)["data"]]
    code, out, _ = belltower("schedules", "resume", schedule["id"])
    assert (code, out) == (0, f"Resumed schedule {schedule['id']}: now active.\n")
    dev_server.request("DELETE", f"/v1/schedules/{schedule['id']}")


def test_dlq_list_shows_the_dead_letter(belltower, dev_server, receiver):
    receiver.program("/dead", [(410, {}, "gone for good")])
    schedule = create(dev_server, endpoint=f"{receiver.url}/dead", delay="1s")
    [occ] = occurrences_when(dev_server, schedule["id"], lambda d: d and d[0]["state"] == "dead_lettered")
    code, out, _ = belltower("dlq", "list", "--limit", "100")
    assert code == 0
    header, *rows = table(out)
    assert header == ["ID", "SCHEDULE", "STATE", "SCHEDULED FOR", "ATTEMPTS", "LAST", "OUTCOME", "REPLAY"]
    [row] = [r for r in rows if r[0] == occ["id"]]
    assert row[1:3] == [schedule["id"], "dead_lettered"] and row[5:7] == ["410", "non_retryable_status"]
    code, out, _ = belltower("dlq", "list", "--limit", "100", "--json")
    assert occ["id"] in [o["id"] for o in json.loads(out)["data"]]


def test_the_console_script_uses_the_environment_and_never_shows_a_traceback(dev_server):
    script = str(Path(sys.executable).with_name("belltower"))
    env = {"PATH": "/usr/bin:/bin", "BELLTOWER_API_URL": dev_server.api_url, "BELLTOWER_API_KEY": dev_server.api_key}
    listed = subprocess.run([script, "schedules", "list", "--json", "--limit", "1"], env=env, capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert listed.returncode == 0 and json.loads(listed.stdout)["object"] == "list"
    missing = subprocess.run([script, "occurrences", "get", "occ_01ARZ3NDEKTSV4RRFFQ69G5FAV"], env=env,
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert missing.returncode == 1 and "404 not_found" in missing.stderr and "Traceback" not in missing.stderr
    bad_key = subprocess.run([script, "schedules", "list"], env={**env, "BELLTOWER_API_KEY": "bt_wrong"},
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert bad_key.returncode == 1 and "401 unauthorized" in bad_key.stderr
