"""``mimamori bench purge``: how long the retention purge and migration 9 take.

A temporary SQLite store is filled with ``rows`` sightings older than the retention
(spread over 200 tags, one in ten protected by an open-alert-like window) and a day
of recent ones. Measured: the dry run (counting), the purge itself, and the worst
wait of an ingest that a concurrent task makes every 10 ms while the purge runs (the
purge works in batches so that this stays short). Then a schema-8 database with the
same number of events is opened, which runs migration 9 (the events table rebuilt).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mimamori.hub.model.privacy import ProtectedWindow
from mimamori.hub.store.schema import MIGRATIONS
from mimamori.hub.store.sql import SQLITE
from mimamori.hub.store.sqlite import SqliteStore
from mimamori.protocol import EventDraft, EventKind, new_event_id
from mimamori.protocol.timefmt import to_epoch_ms

TAGS = 200
DAY_MS = 86_400_000


def _rows(n: int, start_ms: int, span_ms: int) -> list[tuple[Any, ...]]:
    step = max(1, span_ms // max(n, 1))
    return [
        (
            new_event_id(),
            f"gw-{i % 50}",
            i + 1,
            start_ms + i * step,
            "tag.seen",
            f"ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:{i % TAGS}",
            '{"tag": "t", "receiver": "vm", "rssi": -60}',
            start_ms + i * step,
        )
        for i in range(n)
    ]


def _fill(path: Path, rows: list[tuple[Any, ...]]) -> None:
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO events (id, gateway_id, seq, ts, kind, tag, data, received_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


async def _purge(root: Path, rows: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    path = root / "hub.sqlite3"
    await (await SqliteStore.open(path)).close()  # today's schema
    old_start = to_epoch_ms(now - timedelta(days=90))
    _fill(path, _rows(rows, old_start, 55 * DAY_MS))
    _fill(path, _rows(10_000, to_epoch_ms(now - timedelta(days=1)), DAY_MS))
    protected = [
        ProtectedWindow(
            (f"ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:{t}",),
            now - timedelta(days=90),
            now,
            f"alert:{t}",
        )
        for t in range(0, TAGS, 10)
    ]
    store = await SqliteStore.open(path)
    waits: list[float] = []
    done = asyncio.Event()

    async def ingest() -> None:
        seq = 1
        while not done.is_set():
            draft = EventDraft(EventKind.CHECKIN_DONE, datetime.now(UTC), _CHECKIN)
            started = time.perf_counter()
            await store.ingest([("gw-home", draft.numbered(new_event_id(), seq))], [], now)
            waits.append(time.perf_counter() - started)
            seq += 1
            await asyncio.sleep(0.01)

    try:
        cutoff = now - timedelta(days=30)
        started = time.perf_counter()
        dry = await store.purge_sightings(cutoff, protected, dry_run=True)
        dry_s = time.perf_counter() - started
        writer = asyncio.create_task(ingest())
        started = time.perf_counter()
        report = await store.purge_sightings(cutoff, protected)
        purge_s = time.perf_counter() - started
        done.set()
        await writer
    finally:
        await store.close()
    return {
        "rows_old": rows,
        "removed": report.total,
        "protected": report.protected,
        "dry_run_s": round(dry_s, 3),
        "dry_run_counted": dry.total,
        "purge_s": round(purge_s, 3),
        "removed_per_s": round(report.total / purge_s) if purge_s else None,
        "concurrent_ingests": len(waits),
        "ingest_wait_max_ms": round(max(waits) * 1000, 1) if waits else None,
    }


_CHECKIN = {"device": "b", "card": "genki", "next_due": "2030-01-01T00:00:00.000Z"}


async def _migration(root: Path, rows: int) -> dict[str, Any]:
    path = root / "v8.sqlite3"
    with sqlite3.connect(path) as db:
        for migration in MIGRATIONS[:8]:
            db.executescript(migration.script(SQLITE))
        db.execute("PRAGMA user_version = 8")
    _fill(path, _rows(rows, to_epoch_ms(datetime.now(UTC)) - 30 * DAY_MS, 30 * DAY_MS))
    started = time.perf_counter()
    store = await SqliteStore.open(path)
    took = time.perf_counter() - started
    await store.close()
    return {"events": rows, "migration_s": round(took, 3)}


def main(rows: int, as_json: bool) -> int:
    with tempfile.TemporaryDirectory(prefix="mimamori-bench-") as tmp:
        root = Path(tmp)
        purge = asyncio.run(_purge(root, rows))
        migration = asyncio.run(_migration(root, rows))
    if as_json:
        print(json.dumps({"purge": purge, "migration": migration}))
        return 0
    print(
        f"purge of {purge['removed']:,} sightings older than 30 days "
        f"({purge['protected']:,} kept in protected windows):"
    )
    print(f"  dry run (count)      {purge['dry_run_s']:.3f} s")
    print(f"  purge                {purge['purge_s']:.3f} s  ({purge['removed_per_s']:,} rows/s)")
    print(
        f"  concurrent ingest    {purge['concurrent_ingests']} commits, "
        f"worst wait {purge['ingest_wait_max_ms']} ms"
    )
    print(f"migration 9 of {migration['events']:,} events: {migration['migration_s']:.3f} s")
    return 0
