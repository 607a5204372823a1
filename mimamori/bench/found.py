"""``mimamori bench found``: from a finder's 「保護しています」 to the family's notice.

The hub's app with its loops as ``mimamori hub`` runs them (a private Mosquitto for
its ingest), SQLite in a temporary directory, one person with a sheet of stickers
and one contact whose channel is a webhook on 127.0.0.1: the notice goes through
the real queue, the delivery worker (``alerts/delivery.py``) and apprise. Each sample
posts 保護しています through the finder's page (httpx's ASGI transport: middleware,
templates, store) and waits for the webhook to receive the notice; then the thread is
marked safe so the next tap opens a new one. Target (issue 18): p99 at most 5 s.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from mimamori.bench import hub_files
from mimamori.bench.report import latencies_ms
from mimamori.bench.webhook import WebhookReceiver
from mimamori.demo.mosquitto import PrivateBroker, free_port
from mimamori.hub.access.policy import Principal
from mimamori.hub.config import HubConfig, load_hub_config
from mimamori.hub.found import stickers
from mimamori.hub.found.limits import FinderLimits
from mimamori.hub.server.app import create_app
from mimamori.hub.server.state import HubState

ORIGIN = "http://127.0.0.1:8080"
WAIT_S = 30.0  # a notice later than this is a failure, not a figure


def _config(root: Path, hook_port: int, broker_port: int) -> HubConfig:
    channels = root / "family.channels"
    channels.write_text(f"json://127.0.0.1:{hook_port}/notice\n", encoding="utf-8")
    doc = {
        "hub": {
            "database": {"path": str(root / "hub.sqlite3")},
            "http": {"public_url": ORIGIN},
            "broker": {"host": "127.0.0.1", "port": broker_port},
        },
        "areas": [{"id": "south", "name": "南地域包括支援センター"}],
        "recipients": [{"id": "r-1", "name": "家族", "channels_file": str(channels)}],
        "policies": [{"id": "default", "steps": [{"after_min": 0, "notify": ["r-1"]}]}],
        "people": [{"id": "p-1", "name": "見守り 太郎", "area": "south", "contacts": ["r-1"]}],
    }
    return load_hub_config(hub_files(root / "hub.yaml", doc))


async def run(samples: int) -> dict[str, Any]:
    latencies: list[float] = []
    arrived: asyncio.Queue[float] = asyncio.Queue()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="mimamori-bench-") as tmp:
        root = Path(tmp)
        with PrivateBroker(root / "broker") as broker:
            app = create_app(_config(root, port, broker.port))
            # One finder tapping again and again is what the page's bounds refuse.
            app.state.found_limits = FinderLimits(per_minute=samples * 2, polls=samples * 2)
            hook = WebhookReceiver(port, lambda _body, at: arrived.put_nowait(at))
            async with app.router.lifespan_context(app), hook:
                hub: HubState = app.state.hub
                sheet = await stickers.issue(hub, Principal("admin", None, "bench"), "p-1")
                token = sheet.url.rsplit("/f/", 1)[1]
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
                    for _ in range(samples):
                        started = time.perf_counter()
                        sent = await client.post(
                            f"/f/{token}/protect", data={"lat": "26.28", "lon": "127.77"}
                        )
                        if sent.status_code != 303:
                            raise RuntimeError(f"保護しています refused: {sent.status_code}")
                        at = await asyncio.wait_for(arrived.get(), WAIT_S)
                        latencies.append((at - started) * 1000)
                        [report] = await hub.store.found_reports_of("p-1", 1)
                        await hub.store.mark_found_safe(report.id, hub.clock())
    first = latencies[0]
    latencies.sort()
    return {
        "notices": samples,
        "first_ms": round(first, 1),  # the first notice after the start: cold (see docs)
        **latencies_ms(latencies),
        "target_p99_ms": 5000,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def main(samples: int, as_json: bool) -> int:
    result = asyncio.run(run(samples))
    if as_json:
        print(json.dumps(result))
    else:
        print("finder's 保護しています -> the family's notice delivered (ASGI, SQLite, apprise)")
        for key, value in result.items():
            print(f"  {key:>13}: {value}")
    return 0
