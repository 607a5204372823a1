"""SQLite's page cache: a bunch's inserts find the index pages they touch in memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from mimamori.hub.store.sql_store import SqliteStore

# Below this, `mimamori bench hub` measured SQLite's CPU per event rising again (28 us
# with SQLite's default 2 MiB, 21 with 16 MiB, 20 with 32 MiB: docs/performance.md).
ENOUGH_KIB = 16 * 1024


@pytest.mark.sqlite_only
async def test_the_store_keeps_a_bunchs_index_pages_in_memory(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "hub.sqlite3")
    try:
        async with store._connection.execute("PRAGMA cache_size") as cur:
            row = await cur.fetchone()
    finally:
        await store.close()
    assert row is not None
    cache_size = int(row[0])  # negative: a size in KiB
    assert -cache_size >= ENOUGH_KIB
