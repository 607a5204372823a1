"""The store on SQLite (aiosqlite): ``SqlStore`` on one connection, in a file.

WAL, so readers (the CLI, a backup) never block the hub; ``synchronous=FULL``, so a
committed event survives a power cut, which a Pi in a cupboard will meet. The
schema is brought up to date on opening, one migration a transaction, the version
kept in ``PRAGMA user_version`` (``migrations.py``).
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import aiosqlite

from mimamori.errors import StoreError
from mimamori.hub.store.migrations import steps
from mimamori.hub.store.schema import MIGRATIONS
from mimamori.hub.store.sql import SQLITE
from mimamori.hub.store.sql_store import SqlStore
from mimamori.hub.store.sqlite_db import SqliteDb

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000  # the CLI may write meanwhile; its transactions are short
# The connection's page cache, at most (filled only as pages are read). Event ids are
# random, so a bunch's inserts touch pages all over the id index: with SQLite's default
# 2 MiB they were read back through the kernel at every bunch. Measured on 200,000
# events in bunches of 50,000 (`mimamori bench hub`'s load; docs/performance.md,
# 2026-12-03), SQLite's CPU per event, mean of two runs: 28 us with 2 MiB, 25 with 8,
# 21 with 16, 20 with 32, 22 with 64. It costs the hub up to 32 MiB of memory, once
# its database is that large (the town's hub: 123-281 MB, docs/scaling.md).
CACHE_KIB = 32 * 1024


class SqliteStore(SqlStore):
    """The store on SQLite: one writer at a time, the store's calls taking turns."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._connection = connection
        self._db = SqliteDb(connection)
        self.path = path

    @classmethod
    async def open(cls, path: Path) -> SqliteStore:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = await aiosqlite.connect(path, isolation_level=None)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open the database at {path}: {exc}") from exc
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA synchronous=FULL")
            await db.execute("PRAGMA foreign_keys=ON")
            await db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            await db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            store = cls(db, path)
            await store._migrate()
        except BaseException as exc:
            await db.close()  # never leave the connection's thread behind
            if isinstance(exc, sqlite3.Error | OSError):
                raise StoreError(f"cannot open the database at {path}: {exc}") from exc
            raise
        return store

    async def _migrate(self) -> None:
        db = self._connection
        async with db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        version = int(row[0]) if row else 0
        for step in steps(SQLITE, version, MIGRATIONS, str(self.path)):
            await db.execute("BEGIN IMMEDIATE")
            try:
                for statement in filter(str.strip, step.script.split(";")):
                    await db.execute(statement)
                await db.execute(f"PRAGMA user_version = {step.version}")
                await db.execute("COMMIT")
            except BaseException:
                await db.execute("ROLLBACK")
                raise
            log.info("database %s migrated to schema %d", self.path, step.schema)
