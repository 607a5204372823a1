"""What every part of the store shares: the connection port (``sql.Db``), taking
turns on it where the engine needs that, queries and transactions."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from mimamori.hub.store.sql import Db, Dialect
from mimamori.locking import Serialized


class SqlBase(Serialized):
    """The base of the store's parts (``sql_*.py``): SQL that SQLite and PostgreSQL
    both run, on the ``sql.Db`` port."""

    _db: Db

    @property
    def _dialect(self) -> Dialect:
        return self._db.dialect

    async def _query(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return await self._db.fetch(sql, params)

    def _transaction(self, what: str) -> AbstractAsyncContextManager[Db]:
        """BEGIN ... COMMIT, or ROLLBACK on any error; StoreError says what failed."""
        return self._db.transaction(what)
