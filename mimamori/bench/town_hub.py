"""The hub of the simulated town: its config, its process, and what it stored.

The hub is the real command (``python -m mimamori hub``), its own process, so its CPU
and memory are its own (``/proc/PID``). Its registry names every gateway, the tag
carriers (each with the consent to locate them on record: without it the hub drops
their sightings), the households with their home gateways, and one recipient, the
care centre, whose channel is a JSON webhook on loopback.

``--hub-config FILE`` takes the ``hub:`` section of a hub YAML (its ``database``
above all, so that another store is measured the same way); the town writes the
rest: broker, HTTP port and the registry.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml

from mimamori.bench import hub_files, mimamori_command
from mimamori.bench.site import town_people
from mimamori.bench.town_layout import Town, to_lat_lon
from mimamori.demo.mosquitto import wait_for_port
from mimamori.hub.config import HubConfig, load_hub_config
from mimamori.hub.store.opening import open_store
from mimamori.hub.store.port import Store
from mimamori.protocol.events import EventKind

RECIPIENT = "r-care"
SHOP_EVERY = 5  # one watch point in five is a shop, the rest vending machines
READ_SPAN = timedelta(minutes=5)  # events read per query (the store caps a read)


def household_id(n: int) -> str:
    return f"hh-{n:05d}"


def household_name(n: int) -> str:
    return f"お宅 {n:05d}"


def _hub_section(base: Path | None, root: Path) -> dict[str, Any]:
    if base is None:
        return {"database": {"path": str(root / "hub.sqlite3")}}
    doc = yaml.safe_load(base.read_text(encoding="utf-8")) or {}
    section = dict(doc.get("hub") or {})
    database = dict(section.get("database") or {})
    path = database.get("path")
    if isinstance(path, str) and not Path(path).is_absolute():
        database["path"] = str((base.parent / path).resolve())  # as the file meant it
    section["database"] = database
    return section


def write_config(
    root: Path,
    town: Town,
    *,
    broker_port: int,
    http_port: int,
    hook_port: int,
    base: Path | None = None,
) -> Path:
    """The hub's YAML for this town, its register imported (``mimamori hub import``);
    returns its path."""
    channels = root / "care-centre.channels"
    channels.write_text(f"json://127.0.0.1:{hook_port}/hook\n", encoding="utf-8")
    hub = _hub_section(base, root)
    hub["http"] = {
        "host": "127.0.0.1",
        "port": http_port,
        "public_url": f"http://127.0.0.1:{http_port}",
    }
    hub["broker"] = {"host": "127.0.0.1", "port": broker_port, "keepalive_s": 30}
    gateways = []
    for n, place in enumerate(town.watch_points):
        lat, lon = to_lat_lon(place.xy)
        site = "shop" if n % SHOP_EVERY == 0 else "vending"
        gateways.append(
            {"id": place.id, "name": f"見守り点 {n:05d}", "lat": lat, "lon": lon, "site": site}
        )
    for n, place in enumerate(town.homes):
        lat, lon = to_lat_lon(place.xy)
        gateways.append(
            {"id": place.id, "name": f"自宅 {n:05d}", "lat": lat, "lon": lon, "site": "home"}
        )
    residents = [{"id": f"p-h{n:05d}", "name": f"住人 {n:05d}"} for n in range(len(town.homes))]
    doc = {
        "hub": hub,
        "gateways": gateways,
        "recipients": [
            {"id": RECIPIENT, "name": "地域包括支援センター", "channels_file": str(channels)}
        ],
        "policies": [{"id": "default", "steps": [{"after_min": 0, "notify": [RECIPIENT]}]}],
        "people": town_people(len(town.carrier_homes)) + residents,
        "households": [
            {
                "id": household_id(n),
                "name": household_name(n),
                "gateways": [place.id],
                "people": [f"p-h{n:05d}"],
            }
            for n, place in enumerate(town.homes)
        ],
    }
    # Written as an operator does, the register moved into the database by the import
    # (a mistake shows here, not as a hub that never listens).
    return hub_files(root / "hub.yaml", doc)


class HubProcess:
    """``mimamori hub`` as a child process, and what its /healthz says."""

    def __init__(self, config: Path, http_port: int, log: Path) -> None:
        self.config = config
        self.url = f"http://127.0.0.1:{http_port}"
        self.http_port = http_port
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                mimamori_command("hub", "--config", str(config)),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def ready(self, timeout_s: float = 60.0) -> None:
        await asyncio.to_thread(wait_for_port, "127.0.0.1", self.http_port, timeout_s)

    async def ingest_counters(self, client: httpx.AsyncClient) -> dict[str, int]:
        answer = await client.get(f"{self.url}/healthz", timeout=30)
        answer.raise_for_status()
        counters: dict[str, int] = answer.json().get("ingest", {})
        return counters

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


async def _open_store(config: HubConfig) -> Store:
    """The store the hub wrote, opened as the hub opens it (hub/server/app.py)."""
    return await open_store(config.hub.database)


async def ingest_delays(
    config_path: Path, gateway_ids: Sequence[str], since: datetime, until: datetime
) -> dict[str, list[float]]:
    """Per gateway, milliseconds from each event's time at the gateway (``ts``) to the
    hub's ``received_at`` (stamped as its bunch went to the store), for the events
    with ``ts`` in [since, until]. Read after the hub stopped."""
    store = await _open_store(load_hub_config(config_path))
    kinds = [kind.value for kind in EventKind]
    delays: dict[str, list[float]] = {}
    try:
        start = since
        while start < until:
            end = min(until, start + READ_SPAN)
            for event in await store.events_of(gateway_ids, kinds, start, end):
                if event.ts == end and end != until:
                    continue  # the next span reads it (both ends are inclusive)
                ms = (event.received_at - event.ts).total_seconds() * 1000
                delays.setdefault(event.gateway_id, []).append(ms)
            start = end
    finally:
        await store.close()
    return delays
