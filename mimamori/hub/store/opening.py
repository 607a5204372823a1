"""Open the store the config names: SQLite at a path, or a PostgreSQL server."""

from __future__ import annotations

from mimamori.hub.config import DatabaseSettings
from mimamori.hub.store.sql_store import SqlStore
from mimamori.hub.store.sqlite import SqliteStore


async def open_store(settings: DatabaseSettings) -> SqlStore:
    """The store, migrated to this hub's schema; StoreError if it cannot be opened."""
    if settings.postgres is not None:
        from mimamori.hub.store.postgres import (
            PostgresStore,  # asyncpg only where PostgreSQL is used
        )

        return await PostgresStore.open(settings.postgres)
    assert settings.path is not None  # DatabaseSettings holds one of the two
    return await SqliteStore.open(settings.path)
