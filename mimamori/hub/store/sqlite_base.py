"""What every part of the SQLite store shares: the connection, taking turns on it,
queries and transactions with errors turned into StoreError."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite

from ...errors import StoreError
from ...serial import Serialized


class SqliteBase(Serialized):
    _db: aiosqlite.Connection

    async def _query(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        try:
            async with self._db.execute(sql, params) as cur:
                return [tuple(row) async for row in cur]
        except sqlite3.Error as exc:
            raise StoreError(f"query failed: {exc}") from exc

    @asynccontextmanager
    async def _transaction(self, what: str) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error; StoreError says what failed."""
        try:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                await self._db.execute("COMMIT")
            except BaseException:
                # A task cancelled while its COMMIT runs (the hub stopping) finds the
                # transaction already over: the ROLLBACK's own error must not replace
                # the CancelledError, or the task would take it for a store fault and
                # retry instead of stopping.
                with contextlib.suppress(sqlite3.Error):
                    await self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreError(f"{what} failed: {exc}") from exc
