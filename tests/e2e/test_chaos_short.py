"""The short fault-injection run (200 schedules): `make chaos` in small, as part of `make test`.

It runs `python -m bench.chaos` in a subprocess (its embedded AWS and patched module state stay
out of this process), with time scaled down 20× (Lambda's retry delays and the lease grace alike),
so it ends in about two minutes. Every fault of `make chaos` is injected: receiver errors, hangs
and resets, killed and duplicated deliveries, and 10% of Scheduler/DynamoDB calls throttled with
botocore allowed one retry, so about 1% of the calls surface to Belltower (the 503 and rollback
paths run). 10% of the schedules are recurring (`every: 1m`, `max_runs: 2`).
On failure the assertion shows the run's report; the full log is kept under tmp_path.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e


def test_short_chaos_run_loses_nothing(tmp_path: Path) -> None:
    # Given 200 schedules under receiver faults, throttling, killed and duplicated deliveries
    command = [
        sys.executable, "-m", "bench.chaos", "--schedules", "200", "--time-scale", "0.05",
        "--recurring-share", "0.1", "--max-runs", "2", "--fire-window", "8,25", "--deadline", "150",
        "--retry-mode", "legacy", "--max-attempts", "2", "--log", str(tmp_path / "chaos.log"),
    ]  # fmt: skip
    # When the run ends
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    # Then every check passed
    assert result.returncode == 0, f"{result.stdout[-8000:]}\n{result.stderr[-3000:]}"
    assert "all checks passed" in result.stdout
