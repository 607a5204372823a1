"""The town's figures: latencies as p50/p99, rates, and the table people read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mimamori.bench.report import Row, show

# Words of each alert's notification title (hub/alerts/messages.py, Japanese).
ALERT_WORDS = {"missed": "途絶え", "consult": "相談", "sos": "SOS"}


def spread(values: Iterable[float]) -> dict[str, Any]:
    """Count, p50, p99 and max of latencies in ms (nearest rank), rounded to 0.1 ms."""
    ordered = sorted(values)
    if not ordered:
        return {"n": 0, "p50_ms": None, "p99_ms": None, "max_ms": None}
    n = len(ordered)

    def rank(q: float) -> float:
        return round(ordered[min(n - 1, int(q * n))], 1)

    return {"n": n, "p50_ms": rank(0.5), "p99_ms": rank(0.99), "max_ms": round(ordered[-1], 1)}


def _ms(figure: dict[str, Any]) -> str:
    if not figure["n"]:
        return "none"
    return f"{figure['p50_ms']:,} / {figure['p99_ms']:,} ms ({figure['n']:,})"


def print_town(r: dict[str, Any], as_json: bool) -> None:
    town = r["town"]
    alerts = r["alerts"]
    sim = r["sim"]
    rows = [
        Row(
            "watch points / homes / tags",
            f"{town['watch_points']:,} / {town['homes']:,} / {town['tags']:,}",
        ),
        Row("MQTT connections, one per gateway", f"{town['mqtt_connections']:,}"),
        Row("  real `mimamori edge` processes among them", f"{town['real_edges']}"),
        Row("events stored at the hub", f"{r['events_per_s']:,} /s"),
        Row("messages at the hub (events + statuses)", f"{r['messages_per_s']:,} /s"),
        Row(
            "hub CPU, % of one core (peak over 5 s)",
            f"{r['hub_cpu_pct']} % ({r['hub_cpu_peak_pct']} %)",
        ),
        Row("hub memory, RSS (peak)", f"{r['hub_rss_mb']} MB ({r['hub_rss_peak_mb']} MB)"),
        Row(
            "broker CPU (peak over 5 s)", f"{r['broker_cpu_pct']} % ({r['broker_cpu_peak_pct']} %)"
        ),
        Row("ingest: gateway -> stored, p50 / p99 (events)", _ms(r["ingest"]["all"])),
        Row("  events of the real edge processes", _ms(r["ingest"]["real_edges"])),
        Row(
            "events sent in the window / stored / lost",
            "{sent:,} / {stored:,} / {lost:,}".format(**r["window_events"]),
        ),
        Row("alert: event -> webhook, p50 / p99 (alerts)", _ms(alerts["latency"])),
        Row("  notifications delivered", f"{alerts['delivered']} of {alerts['expected']}"),
        Row(
            "the town's own process: CPU, tick p99", f"{sim['cpu_pct']} %, {sim['tick_p99_ms']} ms"
        ),
    ]
    title = (
        f"mimamori sim town: {r['window_s']:g} s measured after {r['warmup_s']:g} s of "
        f"warm-up, hub store: {r['store']}"
    )
    show(title, rows, r, as_json)
