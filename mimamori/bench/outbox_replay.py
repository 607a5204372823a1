"""The outbox after an outage: how long ``events`` buffered at a gateway take to reach
the hub once the gateway is connected again.

The outage is staged with the real parts: the gateway's ``Outbox`` (SQLite, WAL,
``synchronous=FULL``) is filled with ``events`` tag events in the batches the rules
task commits (at most 1,000 at a time), shaped as the presence rules make them, for
``tags`` tags. Then the real ``MqttLink`` and ``Uplink`` connect to a private
Mosquitto, behind which the real hub (``mimamori hub``, its own process: ingest into
SQLite, the alert engine, the live view) is waiting. The clock runs from the
gateway's CONNACK until the hub has committed the last event (its ``/healthz``
ingest counters); the time until the gateway's outbox is empty (every event
confirmed by the hub's end-to-end ack) is reported too.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mimamori.bench import hub_files, mimamori_command
from mimamori.bench.site import town_people, town_tag
from mimamori.demo.mosquitto import PrivateBroker, free_port, wait_for_port
from mimamori.edge.outbox import Outbox
from mimamori.edge.uplink import Uplink, subscriptions
from mimamori.mqtt import LinkSettings, Message, MqttLink
from mimamori.protocol.events import EventDraft, EventKind
from mimamori.protocol.status import GatewayStatus

GW = "gw-outage"
RULES_BATCH = 1000  # the daemon's rules task commits at most this many drafts at once
POLL_S = 0.05
TIMEOUT_S = 300.0  # a replay slower than this is broken, not slow
# Ingest counters of events the hub is done with (sightings_dropped_*: refused, e.g.
# without consent; the figure counts them so a refusal cannot hang the benchmark).
HANDLED = ("events_stored", "events_duplicate", "sightings_dropped_")


def _drafts(count: int, tags: int) -> list[EventDraft]:
    """An outage's worth of presence events: mostly ``tag.seen``, each tag's visits
    opened and closed, a minute apart per tag as the report interval spaces them."""
    start = datetime.now(UTC) - timedelta(hours=6)
    drafts = []
    for n in range(count):
        tag, turn = n % tags, n // tags
        kind = EventKind.TAG_SEEN
        data: dict[str, Any] = {"tag": town_tag(tag), "receiver": "vm", "rssi": -71, "adverts": 54}
        if turn == 0:
            kind = EventKind.TAG_ARRIVED
            data["adverts"] = 2
        elif turn % 30 == 0:
            kind = EventKind.TAG_LEFT
            del data["rssi"]
        drafts.append(EventDraft(kind, start + timedelta(minutes=turn, seconds=tag % 60), data))
    return drafts


def _hub_files(root: Path, broker: int, http: int, tags: int) -> Path:
    path = root / "hub.yaml"
    doc = {
        "hub": {
            "http": {"port": http, "public_url": f"http://127.0.0.1:{http}"},
            "database": {"path": "hub.sqlite3"},
            "broker": {"host": "127.0.0.1", "port": broker, "keepalive_s": 30},
        },
        "gateways": [{"id": GW, "name": "ベンチ 自販機", "lat": 26.2822, "lon": 127.7788}],
        "people": town_people(tags),
    }
    return hub_files(path, doc)


def stop_process(proc: subprocess.Popen[bytes], grace_s: float = 20.0) -> None:
    """SIGTERM, and SIGKILL if it has not stopped after ``grace_s``."""
    proc.terminate()
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _ingest_counters(http: int) -> dict[str, int] | None:
    """The hub's ingest counters; None until its broker link is up, or while busy.

    ``/healthz`` waits for the store, which a long ingest transaction holds: a slow
    answer is "not yet", not a failure.
    """
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{http}/healthz", timeout=60) as reply:
            body = json.loads(reply.read())
    except TimeoutError:
        return None
    if body.get("broker") != "connected":
        return None
    return {str(k): int(v) for k, v in (body.get("ingest") or {}).items()}


def _handled(counters: dict[str, int]) -> int:
    """Events the hub is done with: stored, duplicates, and any it refused to keep."""
    return sum(n for k, n in counters.items() if k.startswith(HANDLED))


async def _hub_ready(http: int) -> None:
    async with asyncio.timeout(30):
        await asyncio.to_thread(wait_for_port, "127.0.0.1", http, 30)
        while await asyncio.to_thread(_ingest_counters, http) is None:
            await asyncio.sleep(0.1)


async def _replay(outbox: Outbox, port: int, http: int, events: int) -> dict[str, Any]:
    def hear(message: Message) -> None:  # the hub's acks and presence, as the daemon
        uplink.handle(message)

    link = MqttLink(
        LinkSettings("127.0.0.1", port, f"mimamori-gw-{GW}", subscriptions=subscriptions(GW)),
        on_message=hear,
        name=f"gw {GW}",
    )
    uplink = Uplink(GW, link, outbox, lambda: GatewayStatus(gw=GW, state="online"))
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(link.run()), tg.create_task(uplink.run())]
        await asyncio.wait_for(link.connected.wait(), 10)
        start = time.perf_counter()
        drained = None
        counters: dict[str, int] = {}
        async with asyncio.timeout(TIMEOUT_S):
            while _handled(counters) < events:
                if drained is None and outbox.depth == 0:
                    drained = time.perf_counter() - start
                await asyncio.sleep(POLL_S)
                latest = await asyncio.to_thread(_ingest_counters, http)
                counters = latest if latest is not None else counters
        at_hub = time.perf_counter() - start
        for task in tasks:
            task.cancel()
    return {
        "acked_s": round(drained or at_hub, 2),
        "at_hub_s": round(at_hub, 2),
        "stored": counters.get("events_stored", 0),
    }


async def run(events: int, tags: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="mimamori-bench-") as tmp:
        root = Path(tmp)
        drafts = _drafts(events, tags)
        outbox = await Outbox.open(root / "gw" / "outbox.sqlite3", max(events, 100))
        try:
            start = time.perf_counter()
            for i in range(0, events, RULES_BATCH):
                await outbox.append(drafts[i : i + RULES_BATCH])
            fill_s = time.perf_counter() - start
            with PrivateBroker(root / "broker") as broker:
                http = free_port()
                hub_yaml = _hub_files(root, broker.port, http, tags)
                with (root / "hub.log").open("wb") as log:
                    hub = subprocess.Popen(
                        mimamori_command("hub", "--config", str(hub_yaml)),
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                try:
                    await _hub_ready(http)
                    times = await _replay(outbox, broker.port, http, events)
                finally:
                    await asyncio.to_thread(stop_process, hub)
        finally:
            await outbox.close()
    return {
        "events": events,
        "fill_s": round(fill_s, 2),
        **times,
        "events_per_s": round(events / times["at_hub_s"]),
    }
