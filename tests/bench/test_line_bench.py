"""``mimamori bench line`` at a size too small for its figures to mean anything: 100
notices through the real hub's durable queue to a local LINE allowing 20 pushes a
second, the hub SIGKILLed half-way and started again. What it proves is that the
figures it prints hold together: every notice accepted once, none lost, LINE's limit
never crossed (the hub waits its turn instead of being refused), the queue drained
(docs/performance.md has the figures of the full run)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

NOTICES, LIMIT = 100, 20  # 18 a second: slower than a loaded hub can push, so it waits


@pytest.mark.timeout(60)
def test_bench_line_loses_nothing_across_a_hub_kill_and_keeps_to_lines_rate() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mimamori", "--log-level", "warning", "bench", "line",
         "--notices", str(NOTICES), "--limit", str(LIMIT), "--json"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    found = json.loads(done.stdout)
    assert found["notices"] == found["accepted"] == NOTICES
    assert (found["lost"], found["duplicates"], found["refused_429"]) == (0, 0, 0)
    assert found["queue_states"] == {"sent": NOTICES}  # the durable queue agrees
    assert 0 < found["accepted_before_kill"] < NOTICES  # killed with notices still queued
    assert found["peak_per_s"] <= LIMIT
    assert found["hub_pace_per_s"] == 0.9 * LIMIT
    for rate in (found["rate_before_kill_per_s"], found["rate_after_restart_per_s"]):
        assert 0 < rate <= LIMIT
    assert found["pushes_paced"] > 0  # the hub outran the pace, and waited
    assert 0 < found["queue_to_accepted_p50_ms"] <= found["queue_to_accepted_p99_ms"]
    assert found["queue_to_accepted_max_ms"] <= found["drain_s"] * 1000 + 10  # both rounded
    # A lease left by the kill is ended as the hub starts: no wait of LEASE_S (120 s).
    assert found["restart_to_drained_s"] < 60
