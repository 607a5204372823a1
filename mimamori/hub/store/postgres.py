"""The store on PostgreSQL (asyncpg): the same ``SqlStore``, on a pool of connections.

Every method of ``SqlStore`` runs here as on SQLite (``sql.py``); what differs is
below the ``Db`` port (``postgres_db.py``): calls run side by side instead of taking
turns, transactions are PostgreSQL's own (READ COMMITTED), and work that several hub
workers could claim at once is locked row by row (docs/postgres.md: "Several hub
workers"). The schema is brought up to date on opening under an advisory lock, so
workers starting together migrate once; the version is kept in the table
``schema_version`` (``migrations.py``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import asyncpg

from mimamori.errors import StoreError
from mimamori.hub.store.migrations import steps
from mimamori.hub.store.postgres_db import DRIVER_ERRORS, PostgresDb
from mimamori.hub.store.schema import MIGRATIONS
from mimamori.hub.store.sql import POSTGRES
from mimamori.hub.store.sql_store import SqlStore

if TYPE_CHECKING:
    from mimamori.hub.config import PostgresSettings

log = logging.getLogger(__name__)

MIGRATION_LOCK = 0x6D696D62  # pg_advisory_lock key: one worker migrates, the others wait
CONNECT_TIMEOUT_S = 10.0


class PostgresStore(SqlStore):
    def __init__(self, db: PostgresDb, settings: PostgresSettings) -> None:
        self._db = db
        self.settings = settings
        self.where = settings.describe()

    @asynccontextmanager
    async def _serial(self) -> AsyncIterator[None]:
        yield  # a pool: calls run side by side, each transaction on its own connection

    @classmethod
    async def open(cls, settings: PostgresSettings) -> PostgresStore:
        where = settings.describe()
        try:
            pool = await asyncpg.create_pool(
                host=settings.host,
                port=settings.port,
                user=settings.user,
                database=settings.dbname,
                password=settings.read_password(),
                min_size=1,
                max_size=settings.pool_size,
                timeout=CONNECT_TIMEOUT_S,
                # Statements are prepared once per connection and cached (the default
                # cache of 100 holds every statement of the store).
                statement_cache_size=256,
            )
        except (*DRIVER_ERRORS, ValueError) as exc:
            raise StoreError(f"cannot open the database {where}: {exc}") from exc
        store = cls(PostgresDb(pool), settings)
        try:
            await store._migrate()
        except BaseException:
            await store.close()
            raise
        return store

    async def _migrate(self) -> None:
        db = self._db
        assert isinstance(db, PostgresDb)
        async with db.pinned():
            await db.fetch("SELECT pg_advisory_lock(?)", [MIGRATION_LOCK])
            try:
                await db.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"
                )
                rows = await db.fetch("SELECT version FROM schema_version")
                version = int(rows[0][0]) if rows else 0
                for step in steps(POSTGRES, version, MIGRATIONS, self.where):
                    async with db.transaction(f"migrating to schema {step.schema}"):
                        await db.execute_script(step.script)
                        await db.execute("DELETE FROM schema_version")
                        await db.execute("INSERT INTO schema_version VALUES (?)", [step.version])
                    log.info("database %s migrated to schema %d", self.where, step.schema)
            finally:
                await db.fetch("SELECT pg_advisory_unlock(?)", [MIGRATION_LOCK])
