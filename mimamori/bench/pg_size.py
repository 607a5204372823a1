"""``mimamori bench pgsize``: what a town's sightings cost in PostgreSQL, and how fast
the hub's questions stay once the table is big.

A private PostgreSQL cluster (durable settings) gets ``days`` days of a town: each day
``per_day`` tag events (arrived, seen, left, with the fields gateways send) of
``tags`` tags at ``gateways`` gateways, written by the store's own insert in bunches
of ``BUNCH`` (one transaction each, as ingest does). Then, after VACUUM ANALYZE:
the table's and each index's size on disk and the bytes per event; and the median
time of the hub's questions, each asked ``ASKS`` times: a person's last sighting,
their trail of one day, one gateway's events of one day (docs/postgres.md).
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from mimamori.bench.report import Row, machine, show
from mimamori.demo.postgres import PrivatePostgres
from mimamori.hub.config import DatabaseSettings
from mimamori.hub.store.opening import open_store
from mimamori.hub.store.sql import EventRow
from mimamori.hub.store.sql_store import SqlStore
from mimamori.protocol import new_event_id
from mimamori.protocol.timefmt import format_ts, to_epoch_ms

BUNCH = 5_000
ASKS = 50
TOWN = "fda50693-a4e2-4fb1-afcf-c6eb07647825"
KINDS = ("tag.arrived", "tag.seen", "tag.seen", "tag.left")  # a visit, as the edge reports it


def _tag(n: int) -> str:
    return f"ibeacon:{TOWN}:1:{n}"


def _rows(
    rng: random.Random, day: datetime, per_day: int, tags: int, gateways: int
) -> list[EventRow]:
    start = to_epoch_ms(day)
    rows: list[EventRow] = []
    for i in range(per_day):
        ts = start + rng.randrange(86_400_000)
        tag = _tag(rng.randrange(tags))
        kind = KINDS[i % len(KINDS)]
        data: dict[str, Any] = {"tag": tag, "receiver": "vm", "rssi": rng.randrange(-95, -50),
                                "adverts": rng.randrange(1, 60)}  # fmt: skip
        if kind == "tag.left":
            data["last_seen"] = format_ts(datetime.fromtimestamp((ts - 120_000) / 1000, UTC))
        rows.append(
            (new_event_id(), f"gw-{rng.randrange(gateways)}", i + 1, ts, kind, tag,
             json.dumps(data), ts + 200, None)
        )  # fmt: skip
    return rows


async def _fill(store: SqlStore, days: int, per_day: int, tags: int, gateways: int) -> float:
    rng = random.Random(8)
    first = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    first -= timedelta(days=days)
    took = 0.0
    for d in range(days):
        rows = _rows(rng, first + timedelta(days=d), per_day, tags, gateways)
        started = time.perf_counter()
        for n in range(0, len(rows), BUNCH):
            async with store._transaction("filling") as db:
                await db.insert_events(rows[n : n + BUNCH])
        took += time.perf_counter() - started
    return took


async def _median_ms(ask: Any) -> float:
    times = []
    for _ in range(ASKS):
        started = time.perf_counter()
        await ask()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2)


async def run(days: int, per_day: int, tags: int, gateways: int) -> dict[str, Any]:
    where = machine()
    with PrivatePostgres(durable=True) as cluster:
        store = await open_store(DatabaseSettings.model_validate(cluster.database("postgres")))
        try:
            fill_s = await _fill(store, days, per_day, tags, gateways)
            await store._db.execute("VACUUM ANALYZE events")
            sizes = dict(
                await store._query(
                    "SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c "
                    "WHERE c.relname = 'events' OR c.oid IN "
                    "(SELECT indexrelid FROM pg_index WHERE indrelid = 'events'::regclass)",
                    [],
                )
            )
            [(total,)] = await store._query("SELECT pg_total_relation_size('events')", [])
            rng = random.Random(9)
            now = datetime.now(UTC)

            def a_tag() -> list[str]:
                return [_tag(rng.randrange(tags))]

            def a_day() -> tuple[datetime, datetime]:
                start = now - timedelta(days=rng.uniform(1, days - 1))
                return start, start + timedelta(days=1)

            last_ms = await _median_ms(lambda: store.last_sighting(a_tag()))
            trail_ms = await _median_ms(lambda: store.sightings(a_tag(), *a_day(), 10_000))
            gateway_ms = await _median_ms(
                lambda: store.events_of([f"gw-{rng.randrange(gateways)}"], list(KINDS), *a_day())
            )
        finally:
            await store.close()
    events = days * per_day
    return {
        "events": events,
        "days": days,
        "per_day": per_day,
        "tags": tags,
        "gateways": gateways,
        "insert_events_per_s": round(events / fill_s),
        "table_bytes": sizes.pop("events"),
        "index_bytes": dict(sorted(sizes.items())),
        "total_bytes": total,
        "bytes_per_event": round(total / events, 1),
        "last_sighting_ms": last_ms,
        "trail_of_a_day_ms": trail_ms,
        "gateway_day_ms": gateway_ms,
        "machine": where,
    }


def _mb(n: int) -> str:
    return f"{n / 1_000_000:,.1f} MB"


def main(days: int, per_day: int, tags: int, gateways: int, as_json: bool) -> int:
    r = asyncio.run(run(days, per_day, tags, gateways))
    rows = [
        Row("rows written by the store's insert", f"{r['insert_events_per_s']:,} events/s"),
        Row("events table (heap)", _mb(r["table_bytes"])),
        *(Row(f"  index {name}", _mb(size)) for name, size in r["index_bytes"].items()),
        Row("table, indexes and TOAST", _mb(r["total_bytes"])),
        Row("bytes per event, all included", f"{r['bytes_per_event']:,}"),
        Row("a person's last sighting (median)", f"{r['last_sighting_ms']} ms"),
        Row("a person's trail of one day (median)", f"{r['trail_of_a_day_ms']} ms"),
        Row("a gateway's events of one day (median)", f"{r['gateway_day_ms']} ms"),
    ]
    title = (
        f"mimamori PostgreSQL sizing: {r['events']:,} events ({days} days x {per_day:,}), "
        f"{tags} tags, {gateways} gateways"
    )
    show(title, rows, r, as_json)
    return 0
