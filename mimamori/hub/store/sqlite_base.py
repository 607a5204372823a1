"""What every part of the SQLite store shares: the connection, taking turns on it,
queries and transactions with errors turned into StoreError."""

from __future__ import annotations

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
                await self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreError(f"{what} failed: {exc}") from exc
