"""SQLite's page cache: a bunch's inserts find the index pages they touch in memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from mimamori.hub.config import DatabaseSettings
from mimamori.hub.store.opening import open_store

# Below this, `mimamori bench hub` measured SQLite's CPU per event rising again (28 us
# with SQLite's default 2 MiB, 21 with 16 MiB, 20 with 32 MiB: docs/performance.md).
ENOUGH_KIB = 16 * 1024


@pytest.mark.sqlite_only
async def test_the_store_keeps_a_bunchs_index_pages_in_memory(tmp_path: Path) -> None:
    settings = DatabaseSettings.model_validate({"path": str(tmp_path / "hub.sqlite3")})
    store = await open_store(settings)
    try:
        rows = await store._query("PRAGMA cache_size", [])  # the store's own connection
    finally:
        await store.close()
    cache_size = int(rows[0][0])  # negative: a size in KiB
    assert -cache_size >= ENOUGH_KIB
