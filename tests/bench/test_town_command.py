"""``mimamori sim town`` runs end to end at a tiny size: the broker, the real hub, a real
edge process, gateways on their own MQTT connections, a webhook. This proves the command
works and loses nothing; it checks no figure (docs/scaling.md has them, taken at the
default sizes)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_sim_town_runs_a_small_town_and_prints_its_figures_as_json() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mimamori", "--log-level", "warning", "sim", "town",
         "--gateways", "20", "--tags", "10", "--households", "10", "--minutes", "0.17",
         "--real-edges", "1", "--miss-share", "0.5", "--status-interval-s", "2", "--json"],
        capture_output=True, text=True, timeout=100, check=False,
    )  # fmt: skip
    # Exit 0 also says every alert the homes raised reached the webhook and every event
    # the gateways sent in the window was stored.
    assert out.returncode == 0, out.stderr
    town = json.loads(out.stdout)
    assert town["town"]["mqtt_connections"] == 30
    assert town["published"]["statuses"] > 0 and town["messages_per_s"] > 0
    assert town["alerts"]["expected"] > 0
    assert town["window_events"]["sent"] > 0
    for key in ("hub_cpu_pct", "hub_rss_mb", "broker_cpu_pct", "events_per_s",
                "ingest_p50_ms", "ingest_p99_ms", "alert_p50_ms", "alert_p99_ms"):  # fmt: skip
        assert key in town
