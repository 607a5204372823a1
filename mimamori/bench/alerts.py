"""``mimamori bench alerts``: from a triggering event to a delivered notification.

A private Mosquitto, the hub's ingest, alert engine and delivery worker (the real app
lifespan, SQLite in a temporary directory), and a local webhook endpoint as every
recipient's channel. A test gateway publishes one ``checkin.sos`` per household, one
after another; each time is measured from the publish to the webhook POST arriving.
Target: under 5 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mimamori.bench import hub_files
from mimamori.bench.webhook import WebhookReceiver
from mimamori.demo.mosquitto import PrivateBroker, free_port
from mimamori.hub.config import HubConfig, load_hub_config
from mimamori.hub.server.app import create_app
from mimamori.mqtt import LinkSettings, MqttLink
from mimamori.protocol import EventDraft, EventKind, encode_batch, format_ts, new_event_id


def _config(root: Path, broker: int, hook: int, homes: int) -> HubConfig:
    channels = root / "channels"
    channels.write_text(f"json://127.0.0.1:{hook}/hook\n")
    doc = {
        "hub": {
            "database": {"path": str(root / "hub.sqlite3")},
            "broker": {"host": "127.0.0.1", "port": broker, "keepalive_s": 5},
        },
        "gateways": [
            {"id": f"gw-{n}", "name": f"自宅 {n}", "lat": 26.28, "lon": 127.77, "site": "home"}
            for n in range(homes)
        ],
        "recipients": [{"id": "r-1", "name": "家族", "channels_file": str(channels)}],
        "policies": [{"id": "default", "steps": [{"after_min": 0, "notify": ["r-1"]}]}],
        "households": [
            {"id": f"hh-{n}", "name": f"お宅 {n}", "gateways": [f"gw-{n}"]} for n in range(homes)
        ],
    }
    return load_hub_config(hub_files(root / "hub.yaml", doc))


async def run(homes: int, gap_s: float) -> dict[str, Any]:
    arrivals: dict[str, float] = {}
    got = asyncio.Event()

    def on_post(body: Any, at: float) -> None:
        match = re.search(r"お宅 (\d+)", str(body.get("title", "")))
        if match:
            arrivals.setdefault(f"hh-{match.group(1)}", at)
            got.set()

    with tempfile.TemporaryDirectory(prefix="mimamori-bench-") as tmp:
        root = Path(tmp)
        broker = PrivateBroker(root / "broker")
        broker.start()
        try:
            hook_port = free_port()
            app = create_app(_config(root, broker.port, hook_port, homes))
            async with (
                WebhookReceiver(hook_port, on_post),
                app.router.lifespan_context(app),
            ):
                ingest = app.state.hub.ingest
                await asyncio.wait_for(ingest.link.connected.wait(), 10)
                link = MqttLink(LinkSettings("127.0.0.1", broker.port, "bench-gw"), name="bench")
                task = asyncio.create_task(link.run())
                await asyncio.wait_for(link.connected.wait(), 10)
                sent: dict[str, float] = {}
                for n in range(homes):
                    now = datetime.now(UTC)
                    data = {"device": "door", "card": "sos", "next_due": format_ts(now)}
                    event = EventDraft(EventKind.CHECKIN_SOS, now, data).numbered(new_event_id(), 1)
                    sent[f"hh-{n}"] = time.perf_counter()
                    await link.publish(
                        f"mimamori/v1/gw/gw-{n}/events", encode_batch(f"gw-{n}", [event])
                    )
                    await asyncio.sleep(gap_s)
                deadline = time.perf_counter() + 30
                while len(arrivals) < homes and time.perf_counter() < deadline:
                    got.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(got.wait(), 1)
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        finally:
            broker.stop()
    latencies = sorted((arrivals[h] - sent[h]) * 1000 for h in arrivals)
    return {
        "events": homes,
        "delivered": len(latencies),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1) if latencies else None,
        "max_ms": round(latencies[-1], 1) if latencies else None,
        "target_ms": 5000,
    }


def main(homes: int, gap_s: float, as_json: bool) -> int:
    result = asyncio.run(run(homes, gap_s))
    if as_json:
        print(json.dumps(result))
    else:
        print("event -> notification delivered (webhook), on loopback")
        for key, value in result.items():
            print(f"  {key:>10}: {value}")
    return 0 if result["delivered"] == homes else 1
