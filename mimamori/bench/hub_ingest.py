"""The hub's ingest rate, and the broker's own rate in the same run for comparison.

A private Mosquitto; a publisher process (publisher.py) plays ``gateways`` gateways
sending ``events`` presence events, ``batch`` to a message, as fast as the broker
acknowledges. The same load is sent twice:

1. to a plain subscriber that only counts messages, acknowledging each at once (the
   hub's own MQTT link, with the same QoS 1, manual acknowledgement and
   subscription): what the broker can deliver to one subscriber;
2. to the hub's ``Ingest`` (decode, validate, the consent check, one transaction
   per bunch of messages, acknowledge after commit) in front of the store chosen by
   ``store``. The events name ``TAGS`` tags, each a registered person's with the
   consent to locate them on record, so the hub keeps every one.

Each rate runs from the publisher's start to the last message counted (1) or the
last event committed (2). The hub's rate is reported also as a share of (1).

``--store postgres`` starts a private PostgreSQL cluster (durable: fsync and
synchronous commits on, as in production) for (2). With ``--workers N`` the hub is N
worker processes (``hub_worker.py``), each with its own MQTT session sharing the
events (``hub.worker_id``), as several ``mimamori hub`` processes would; (2) then runs
until the database holds every event.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from mimamori.bench.publisher import TAGS
from mimamori.bench.report import Row, machine, show
from mimamori.bench.site import town_people
from mimamori.demo.mosquitto import PrivateBroker
from mimamori.demo.postgres import PrivatePostgres
from mimamori.hub.config import DatabaseSettings, HubBrokerSettings
from mimamori.hub.ingest.loop import Ingest, link_settings
from mimamori.hub.model.clock import system_clock
from mimamori.hub.privacy.admission import Admission
from mimamori.hub.register.loading import registry_of_file
from mimamori.hub.register.yaml_format import RegisterFile
from mimamori.hub.server.gc_tuning import tune_gc
from mimamori.hub.store.opening import open_store
from mimamori.hub.store.port import Store
from mimamori.hub.store.postgres import PostgresStore
from mimamori.hub.store.sql_store import SqlStore
from mimamori.hub.store.sqlite import SqliteStore
from mimamori.mqtt import Message, MqttLink

POLL_S = 0.02
COUNT_EVERY_S = 0.2  # how often the events in PostgreSQL are counted (--workers)
TARGET_EVENTS_PER_S = {"sqlite": 20_000, "postgres": 10_000}


@asynccontextmanager
async def _sqlite(root: Path) -> AsyncIterator[SqlStore]:
    store = await SqliteStore.open(root / "hub.sqlite3")
    try:
        yield store
    finally:
        await store.close()


@asynccontextmanager
async def _postgres(root: Path) -> AsyncIterator[SqlStore]:
    with PrivatePostgres(durable=True) as cluster:
        store = await open_store(DatabaseSettings.model_validate(cluster.database("postgres")))
        try:
            yield store
        finally:
            await store.close()


# ``--store`` choices: an empty store of each kind, for as long as the bench needs it.
STORES: dict[str, Callable[[Path], AbstractAsyncContextManager[SqlStore]]] = {
    "sqlite": _sqlite,
    "postgres": _postgres,
}


class _Publisher:
    """The publisher process: prepared and connected, then started on ``go()``."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mimamori.bench.publisher", json.dumps(spec)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    async def ready(self) -> None:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(self.proc.stdout.readline), 120)
        if line.strip() != "ready":
            raise RuntimeError("the publisher did not start")

    def go(self) -> float:
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        return time.perf_counter()

    async def result(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await asyncio.to_thread(self.proc.stdout.readline)
        await asyncio.to_thread(self.proc.wait, 30)
        figures: dict[str, Any] = json.loads(line)
        return figures

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@asynccontextmanager
async def _publishing(spec: dict[str, Any]) -> AsyncIterator[_Publisher]:
    publisher = _Publisher(spec)
    try:
        await publisher.ready()
        yield publisher
    finally:
        publisher.stop()


async def _until(done: Callable[[], bool], within: float) -> None:
    async with asyncio.timeout(within):
        while not done():
            await asyncio.sleep(POLL_S)


class _Counter:
    """The plain subscriber: the hub's MQTT link, counting and acknowledging at once."""

    def __init__(self, settings: HubBrokerSettings) -> None:
        own = replace(
            link_settings(settings), client_id="bench-plain", clean_start=True, session_expiry_s=0
        )
        self.link = MqttLink(own, on_message=self._got, name="plain subscriber")
        self.messages = 0

    def _got(self, message: Message) -> None:
        self.messages += 1
        self.link.ack(message)


@asynccontextmanager
async def _running(run: Coroutine[Any, Any, None], link: MqttLink) -> AsyncIterator[None]:
    """``run`` (a subscriber's loop) as a task, once its ``link`` is connected."""
    task = asyncio.create_task(run)
    try:
        await asyncio.wait_for(link.connected.wait(), 10)
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _timed_load(spec: dict[str, Any], seed: int, done: Callable[[], bool]) -> float:
    """Seconds from the publisher's go to ``done()``."""
    async with _publishing({**spec, "seed": seed}) as publisher:
        start = publisher.go()
        await _until(done, spec["timeout_s"])
        seconds = time.perf_counter() - start
        await publisher.result()
    return seconds


async def _broker_rate(settings: HubBrokerSettings, spec: dict[str, Any]) -> float:
    """Seconds for the broker to hand the whole load to a subscriber that only counts."""
    expected = -(-spec["events"] // spec["batch"])
    counter = _Counter(settings)
    async with _running(counter.link.run(), counter.link):
        return await _timed_load(spec, 1, lambda: counter.messages >= expected)


def _admission() -> Admission:
    """What the hub checks before it stores a sighting: a registry whose people hold the
    publisher's tags, each with the consent to locate them (``privacy.require_consent``)."""
    register = RegisterFile.model_validate({"people": town_people(TAGS)})
    return Admission(registry_of_file(register), require_consent=True)


async def _hub_rate(settings: HubBrokerSettings, spec: dict[str, Any], store: Store) -> float:
    """Seconds for the hub's ingest to commit the whole load to ``store``."""
    ingest = Ingest(settings, store, admission=_admission(), clock=system_clock)
    async with _running(ingest.run(), ingest.link):
        return await _timed_load(
            spec, 2, lambda: ingest.counters["events_stored"] >= spec["events"]
        )


class _Workers:
    """``count`` hub worker processes (hub_worker.py) on the store's database."""

    def __init__(self, count: int, port: int, database: dict[str, Any]) -> None:
        self.procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "mimamori.bench.hub_worker",
                    json.dumps({"port": port, "database": database, "worker_id": f"w{n}"}),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for n in range(1, count + 1)
        ]

    async def ready(self) -> None:
        for proc in self.procs:
            assert proc.stdout is not None
            line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 60)
            if line.strip() != "ready":
                raise RuntimeError("a hub worker did not start")

    async def counters(self) -> list[dict[str, int]]:
        """Stop them; what each stored."""
        found = []
        for proc in self.procs:
            out, _ = await asyncio.to_thread(proc.communicate, "stop\n", 60)
            found.append(json.loads(out.strip().splitlines()[-1]))
        return found

    def kill(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


async def _workers_rate(
    settings: HubBrokerSettings, spec: dict[str, Any], store: SqlStore, database: dict[str, Any]
) -> tuple[float, list[dict[str, int]]]:
    """Seconds for ``spec["workers"]`` worker processes to commit the whole load."""
    workers = _Workers(spec["workers"], settings.port, database)
    try:
        await workers.ready()
        async with _publishing({**spec, "seed": 2}) as publisher:
            start = publisher.go()
            async with asyncio.timeout(spec["timeout_s"]):
                while (await store._query("SELECT count(*) FROM events", []))[0][0] < spec[
                    "events"
                ]:
                    await asyncio.sleep(COUNT_EVERY_S)
            seconds = time.perf_counter() - start
            await publisher.result()
        return seconds, await workers.counters()
    finally:
        workers.kill()


def _database_of(store: SqlStore) -> dict[str, Any]:
    """The ``hub.database`` section that reaches ``store`` (PostgreSQL)."""
    assert isinstance(store, PostgresStore)
    return {"postgres": store.settings.model_dump(mode="json")}


async def run(
    events: int, gateways: int, batch: int, store: str, workers: int = 0
) -> dict[str, Any]:
    where = machine()
    tune_gc()  # as ``mimamori hub`` does at start: this process plays the hub
    spec = {
        "events": events, "gateways": gateways, "batch": batch, "timeout_s": 300,
        "workers": workers,
    }  # fmt: skip
    per_worker: list[dict[str, int]] = []
    with tempfile.TemporaryDirectory(prefix="mimamori-bench-") as tmp:
        root = Path(tmp)
        with PrivateBroker(root / "broker") as broker:
            settings = HubBrokerSettings(host="127.0.0.1", port=broker.port)
            spec["port"] = broker.port
            broker_s = await _broker_rate(settings, spec)
            async with STORES[store](root) as opened:
                if workers:
                    hub_s, per_worker = await _workers_rate(
                        settings, spec, opened, _database_of(opened)
                    )
                else:
                    hub_s = await _hub_rate(settings, spec, opened)
    broker_rate, hub_rate = events / broker_s, events / hub_s
    return {
        "store": store,
        "workers": workers or 1,
        "in_process": not workers,
        "events_per_worker": [w["events_stored"] for w in per_worker],
        "events": events,
        "gateways": gateways,
        "batch": batch,
        "broker_events_per_s": round(broker_rate),
        "events_per_s": round(hub_rate),
        "share_of_broker": round(hub_rate / broker_rate, 2),
        "target_events_per_s": TARGET_EVENTS_PER_S.get(store),
        "machine": where,
    }


def main(
    events: int, gateways: int, batch: int, store: str, as_json: bool, *, workers: int = 0
) -> int:
    if store not in STORES:
        print(f"unknown store {store!r}: one of {', '.join(sorted(STORES))}", file=sys.stderr)
        return 2
    if workers and store != "postgres":
        print("--workers needs --store postgres (SQLite has one writer)", file=sys.stderr)
        return 2
    r = asyncio.run(run(events, gateways, batch, store, workers))
    target = r["target_events_per_s"]
    rows = [
        Row(
            "broker alone, to a subscriber that only counts",
            f"{r['broker_events_per_s']:,} events/s",
        ),
        Row(
            f"hub ingest into {store}" + (f", {workers} worker process(es)" if workers else ""),
            f"{r['events_per_s']:,} events/s",
            f">= {target:,}" if target else "",
            None if target is None else r["events_per_s"] >= target,
        ),
        Row("  share of what the broker delivers", f"{100 * r['share_of_broker']:.0f} %"),
    ]
    title = (
        f"mimamori hub ingest: {events:,} events from {gateways:,} gateways, {batch} per message"
    )
    show(title, rows, r, as_json)
    return 0
