"""The ``Db`` port on PostgreSQL (asyncpg): a pool of connections, real transactions.

Unlike SQLite's single connection, calls run side by side, each on a connection of
the pool; a transaction keeps its connection in a context variable, so every call
the same task makes inside it joins it (a nested one becomes a savepoint).
Placeholders are written ``?`` and numbered here (``sql.numbered``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

import asyncpg

from mimamori.errors import StoreConflict, StoreError
from mimamori.hub.store.sql import POSTGRES, Db, EventRow, numbered

log = logging.getLogger(__name__)

# pg_advisory_xact_lock key of the events table's writers: "mima" in ASCII.
EVENTS_LOCK = 0x6D696D61
CLOSE_TIMEOUT_S = 10.0

DRIVER_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)

_INSERT_EVENTS = (
    "INSERT INTO events (id, gateway_id, seq, ts, kind, tag, data, received_at, device_ts) "
    "SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], "
    "$6::text[], $7::text[], $8::bigint[], $9::bigint[]) ON CONFLICT (id) DO NOTHING RETURNING id"
)


def _error(exc: BaseException, what: str) -> StoreError:
    kind = StoreConflict if isinstance(exc, asyncpg.UniqueViolationError) else StoreError
    return kind(f"{what}: {exc}")


def _rowcount(status: str) -> int:
    """asyncpg's command tag ("UPDATE 3", "INSERT 0 5") -> the count of rows."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PostgresDb:
    dialect = POSTGRES

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._current: ContextVar[asyncpg.Connection | None] = ContextVar(
            f"mimamori-pg-{id(self)}", default=None
        )

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        current = self._current.get()
        if current is not None:
            yield current
            return
        async with self.pool.acquire() as connection:
            yield connection

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            async with self._connection() as connection:
                rows = await connection.fetch(numbered(sql), *params)
        except DRIVER_ERRORS as exc:
            raise _error(exc, "query failed") from exc
        return [tuple(row) for row in rows]

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            async with self._connection() as connection:
                status = await connection.execute(numbered(sql), *params)
        except DRIVER_ERRORS as exc:
            raise _error(exc, "statement failed") from exc
        return _rowcount(status)

    async def execute_script(self, script: str) -> None:
        """Several statements at once (migrations)."""
        try:
            async with self._connection() as connection:
                await connection.execute(script)
        except DRIVER_ERRORS as exc:
            raise _error(exc, "script failed") from exc

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        try:
            async with self._connection() as connection:
                await connection.executemany(numbered(sql), rows)
        except DRIVER_ERRORS as exc:
            raise _error(exc, "statement failed") from exc

    @asynccontextmanager
    async def transaction(self, what: str) -> AsyncIterator[Db]:
        try:
            async with self._connection() as connection, connection.transaction():
                token = self._current.set(connection)
                try:
                    yield self
                finally:
                    self._current.reset(token)
        except DRIVER_ERRORS as exc:
            raise _error(exc, f"{what} failed") from exc

    @asynccontextmanager
    async def pinned(self) -> AsyncIterator[None]:
        if self._current.get() is not None:
            yield
            return
        try:
            async with self.pool.acquire() as connection:
                token = self._current.set(connection)
                try:
                    yield
                finally:
                    self._current.reset(token)
        except DRIVER_ERRORS as exc:
            raise _error(exc, "cannot reach the database") from exc

    async def insert_events(self, rows: Sequence[EventRow]) -> set[str]:
        # One statement for the bunch (arrays, one per column), whatever its size; a
        # duplicate (an event another worker stored meanwhile) is skipped by the key.
        if not rows:
            return set()
        columns = [list(column) for column in zip(*rows, strict=True)]
        return {row[0] for row in await self.fetch(_INSERT_EVENTS, columns)}

    async def lock_events(self) -> None:
        await self.fetch("SELECT pg_advisory_xact_lock(?)", [EVENTS_LOCK])

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.pool.close(), CLOSE_TIMEOUT_S)
        except TimeoutError:
            log.warning("database connections still busy after %g s: closed", CLOSE_TIMEOUT_S)
            self.pool.terminate()
