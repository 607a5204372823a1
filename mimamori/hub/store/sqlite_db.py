"""The ``Db`` port on SQLite: one aiosqlite connection, one writer at a time
(``sqlite.py`` opens it and runs the store on it).

The store's methods take turns on the connection (``mimamori/locking.py``), so a transaction
is simply the connection's: ``BEGIN IMMEDIATE`` takes the write lock at once (the
CLI may write from another process meanwhile, and waits up to ``busy_timeout``).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite

from mimamori.errors import StoreConflict, StoreError
from mimamori.hub.store.sql import SQLITE, Db, EventRow


def _error(exc: sqlite3.Error, what: str) -> StoreError:
    kind = StoreConflict if isinstance(exc, sqlite3.IntegrityError) else StoreError
    return kind(f"{what}: {exc}")


class SqliteDb:
    dialect = SQLITE

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.connection = connection

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            async with self.connection.execute(sql, params) as cur:
                return [tuple(row) async for row in cur]
        except sqlite3.Error as exc:
            raise _error(exc, "query failed") from exc

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            async with self.connection.execute(sql, params) as cur:
                return int(cur.rowcount)
        except sqlite3.Error as exc:
            raise _error(exc, "statement failed") from exc

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            await self.connection.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise _error(exc, "statement failed") from exc

    @asynccontextmanager
    async def transaction(self, what: str) -> AsyncIterator[Db]:
        db = self.connection
        try:
            await db.execute("BEGIN IMMEDIATE")
            try:
                yield self
                await db.execute("COMMIT")
            except BaseException:
                # A task cancelled while its COMMIT runs (the hub stopping) finds the
                # transaction already over: the ROLLBACK's own error must not replace
                # the CancelledError, or the task would take it for a store fault and
                # retry instead of stopping.
                with contextlib.suppress(sqlite3.Error):
                    await db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise _error(exc, f"{what} failed") from exc

    @asynccontextmanager
    async def pinned(self) -> AsyncIterator[None]:
        yield  # one connection already

    async def insert_events(self, rows: Sequence[EventRow]) -> set[str]:
        # Two statements for the whole bunch, not two round trips to the database
        # thread per event: those hops were the hub's ceiling (`mimamori bench hub`:
        # 5,784 -> 25,378 events/s, docs/performance.md). Inside the write
        # transaction nobody else inserts, so "not stored yet" stays true.
        ids = json.dumps([row[0] for row in rows])
        known = {
            row[0]
            for row in await self.fetch(
                f"SELECT id FROM events WHERE id IN ({SQLITE.json_values()})", [ids]
            )
        }
        new = [row for row in rows if row[0] not in known]
        await self.executemany(
            "INSERT INTO events (id, gateway_id, seq, ts, kind, tag, data, received_at, device_ts)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            new,
        )
        return {row[0] for row in new}

    async def lock_events(self) -> None:
        pass  # BEGIN IMMEDIATE holds the only write lock there is

    async def close(self) -> None:
        await self.connection.close()
