"""Two hub workers: two real ``mimamori hub`` processes on one Mosquitto and one
PostgreSQL database, sharing the gateways' events (MQTT v5 shared subscription) and
the background work (claimed through the database). A real webhook counts what the
recipients were sent: every alert's notification once, never twice; every published
event stored once, none lost, and each worker stored some."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from mimamori.demo.mosquitto import PrivateBroker, free_port
from mimamori.mqtt import LinkSettings, MqttLink
from mimamori.protocol import EventDraft, EventKind, encode_batch, format_ts, new_event_id
from mimamori.protocol.topics import events_topic
from tests.e2e.conftest import CONSENT, TAG, Processes, import_register, wait_for_hub, write_yaml
from tests.hub.receivers import Hook, webhook
from tests.pg import PgDatabases

pytestmark = pytest.mark.slow

HOMES = 12  # an SOS at each: twelve alerts, each notified once
SIGHTINGS = 1500  # tag events from the street, ten to a message
PER_MESSAGE = 10
STREET = ("gw-a", "gw-b", "gw-c")


def worker_file(
    root: Path, worker: str, broker: PrivateBroker, database: dict[str, Any], http_port: int
) -> Path:
    return write_yaml(
        root / f"hub-{worker}.yaml",
        {
            "hub": {
                "http": {"port": http_port, "public_url": f"http://127.0.0.1:{http_port}"},
                "database": database,
                "worker_id": worker,
                "broker": {"host": "127.0.0.1", "port": broker.port, "keepalive_s": 5},
            },
        },
    )


def register_file(root: Path) -> Path:
    """The town both workers serve, imported once into their one database."""
    channels = root / "family.channels"
    return write_yaml(
        root / "register.yaml",
        {
            "gateways": [
                *({"id": g, "name": g, "lat": 26.28, "lon": 127.77} for g in STREET),
                *(
                    {"id": f"gw-h{n}", "name": f"家 {n}", "lat": 26.28, "lon": 127.77,
                     "site": "home"}
                    for n in range(1, HOMES + 1)
                ),
            ],
            "recipients": [{"id": "r-1", "name": "家族", "channels_file": str(channels)}],
            "policies": [{"id": "default", "steps": [{"after_min": 0, "notify": ["r-1"]}]}],
            "households": [
                {"id": f"hh-{n}", "name": f"家 {n} さん宅", "gateways": [f"gw-h{n}"]}
                for n in range(1, HOMES + 1)
            ],
            "people": [{"id": "p-1", "name": "比嘉 ツル", "tags": [TAG], "consent": CONSENT}],
        },
    )  # fmt: skip


@asynccontextmanager
async def gateway_link(broker: PrivateBroker) -> AsyncIterator[MqttLink]:
    link = MqttLink(LinkSettings("127.0.0.1", broker.port, "workers-test"), name="gateways")
    task = asyncio.create_task(link.run())
    try:
        await asyncio.wait_for(link.connected.wait(), 10)
        yield link
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def publish_all(link: MqttLink) -> set[str]:
    """Every SOS and every sighting, QoS 1; the ids of what the broker accepted."""
    ids: set[str] = set()
    now = datetime.now(UTC)
    for n in range(1, HOMES + 1):
        data = {"device": "b", "card": "sos", "next_due": format_ts(now)}
        event = EventDraft(EventKind.CHECKIN_SOS, now, data).numbered(new_event_id(), 1)
        await link.publish(events_topic(f"gw-h{n}"), encode_batch(f"gw-h{n}", [event]))
        ids.add(event.id)
    seqs = {g: itertools.count(1) for g in STREET}
    sends = []
    for m in range(SIGHTINGS // PER_MESSAGE):
        gw = STREET[m % len(STREET)]
        batch = [
            EventDraft(
                EventKind.TAG_SEEN, now, {"tag": TAG, "receiver": "vm", "rssi": -60}
            ).numbered(new_event_id(), next(seqs[gw]))
            for _ in range(PER_MESSAGE)
        ]
        ids.update(e.id for e in batch)
        sends.append(link.publish(events_topic(gw), encode_batch(gw, batch)))
        if len(sends) == 20:  # a bounded window of unacknowledged publishes
            await asyncio.gather(*sends)
            sends = []
    await asyncio.gather(*sends)
    return ids


async def stored(database: dict[str, Any]) -> list[str]:
    pg = database["postgres"]
    db = await asyncpg.connect(
        host=pg["host"], port=pg["port"], user=pg["user"], database=pg["dbname"]
    )
    try:
        return [row[0] for row in await db.fetch("SELECT id FROM events")]
    finally:
        await db.close()


async def settled(hook: Hook, database: dict[str, Any], expected: int) -> None:
    """Every event stored, every notification sent, then quiet for a while: long
    enough for both workers' loops to have gone round several times."""
    async with asyncio.timeout(60):
        while len(await stored(database)) < expected or len(hook.requests) < HOMES:
            await asyncio.sleep(0.2)
    await asyncio.sleep(4)  # the delivery loop looks every 1 s, the alert engine every 2 s


async def test_two_hub_workers_store_every_event_once_and_send_every_notification_once(
    own_broker: PrivateBroker, pg_databases: PgDatabases, tmp_path: Path, procs: Processes
) -> None:
    database = pg_databases.fresh()
    ports = {"w1": free_port(), "w2": free_port()}
    async with webhook() as hook:
        (tmp_path / "family.channels").write_text(hook.url + "\n")
        configs = {w: worker_file(tmp_path, w, own_broker, database, p) for w, p in ports.items()}
        import_register(configs["w1"], register_file(tmp_path))
        for worker, config in configs.items():
            procs.start(f"hub-{worker}", "hub", "--config", str(config))
        for port in ports.values():
            await asyncio.to_thread(wait_for_hub, port)
        async with gateway_link(own_broker) as link:
            published = await publish_all(link)
        await settled(hook, database, len(published))
        counters = {}
        async with httpx.AsyncClient() as client:
            for worker, port in ports.items():
                health = (await client.get(f"http://127.0.0.1:{port}/healthz")).json()
                counters[worker] = health["ingest"]

    ids = await stored(database)
    assert sorted(ids) == sorted(published)  # none lost, none twice
    assert all(c["events_stored"] > 0 for c in counters.values()), counters  # shared
    assert sum(c["events_stored"] for c in counters.values()) == len(published)
    titles = [body["title"] for _headers, body in hook.requests]
    assert len(titles) == HOMES, titles  # each alert's notification once
    assert len({t for t in titles}) == HOMES  # ... one for each home
    assert all(" さん宅" in t for t in titles)
    assert {code for code in procs.stop_all().values()} == {0}
