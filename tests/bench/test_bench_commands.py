"""The benchmark commands run end to end, at sizes too small for their figures to mean
anything: this proves the commands work, not how fast anything is (docs/performance.md
has the figures, taken with the default sizes)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

BENCH = [sys.executable, "-m", "mimamori", "--log-level", "warning", "bench"]
TINY = {
    "edge": ["--adverts", "3000", "--tags", "40", "--rate", "200", "--cpu-s", "1",
             "--hours", "0.2", "--outbox-events", "800"],
    "hub": ["--events", "3000", "--gateways", "7", "--batch", "10"],
    "e2e": ["--samples", "2"],
    "cases": ["--reports", "3"],
    "rollcall": ["--households", "4", "--answers", "2"],
}  # fmt: skip
# Run after the others, alone: its import and requests are CPU-bound, and beside them
# they slowed the others' hubs past their start-up timeouts on a loaded machine.
DESK = ["--people", "200", "--households", "80", "--rounds", "2"]


def test_each_bench_command_prints_its_figures_as_json() -> None:
    # They run side by side: each is mostly processes starting and waiting.
    procs = {
        name: subprocess.Popen(
            [*BENCH, name, *args, "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, args in TINY.items()
    }
    results = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=90)
        assert proc.returncode == 0, f"bench {name}: {err}"
        results[name] = json.loads(out)

    edge = results["edge"]
    assert edge["pipeline"]["adverts"] == 3000  # every line parsed and decided
    assert edge["pipeline"]["adverts_shed"] == 0
    assert edge["adverts_per_s"] > 0
    assert edge["site"]["tags_tracked"] == 40
    assert 0 < edge["rss_mb"] < 500
    assert "cpu_pct_of_one_core" in edge  # a tiny run may take under one clock tick
    assert edge["peer_messages_per_tag_hour"] > edge["messages_per_tag_hour"] > 0
    assert edge["outbox"]["stored"] == 800 and edge["outbox_to_hub_s"] > 0

    hub = results["hub"]
    assert hub["events_per_s"] > 0 and hub["broker_events_per_s"] > 0
    assert hub["share_of_broker"] > 0

    e2e = results["e2e"]
    assert e2e["search"]["sightings"] == 2 and e2e["p99_ms"] > 0

    cases = results["cases"]
    assert cases["reports"] == 3 and cases["p99_ms"] > 0
    rollcall = results["rollcall"]
    assert rollcall["households"] == 4 and rollcall["buttons_not_told"] == 0
    assert rollcall["answers"] == 2 and rollcall["first_page_p99_ms"] > 0
    assert rollcall["lookup_p99_ms"] > 0

    done = subprocess.run(
        [*BENCH, "desk", *DESK, "--json"], capture_output=True, text=True, timeout=90, check=False
    )
    assert done.returncode == 0, f"bench desk: {done.stderr}"
    desk = json.loads(done.stdout)
    assert desk["people"] == 200 and desk["import_s"] >= 0
    asked = desk["requests"]
    assert asked["admin: person page"]["n"] == 40 and asked["admin: person page"]["bytes"] > 0
    assert all(f["p99_ms"] > 0 for f in asked.values())
    # Alone too: a hub with its loops and a broker of its own, beside the others it
    # pushed the edge bench past its timeout on a loaded machine.
    done = subprocess.run(
        [*BENCH, "found", "--samples", "3", "--json"],
        capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"bench found: {done.stderr}"
    found = json.loads(done.stdout)
    assert found["notices"] == 3 and found["p99_ms"] > 0


def test_the_outage_bench_reports_how_late_every_step_was_taken() -> None:
    run = subprocess.run(
        [*BENCH, "alerts", "--outage", "20", "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["steps"] == result["expected_steps"] == 20 * 3
    assert [r["taken"] for r in result["rounds"]] == [20, 20, 20]
    assert result["late_max_s"] >= result["late_p99_s"] >= result["late_p50_s"] >= 0
