"""The one seam between the store's SQL and an engine: a small connection port.

Every store method is written once, in SQL both engines speak (ON CONFLICT,
RETURNING, partial indexes, ``IS DISTINCT FROM``), with ``?`` placeholders. What
they do not share is asked of the ``Dialect`` (a scalar maximum, a JSON array as
rows, row locks) or of the ``Db`` itself (inserting a bunch of events). SQLite
(``sqlite_db.py``) and PostgreSQL (``postgres_db.py``) each implement ``Db``; what
their DDL says differently is in ``migrations.py``.

Inside ``transaction()`` every call of the same task runs in that transaction, so a
method may call helpers that query without handing a connection around.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

# An event row as ingest inserts it:
# (id, gateway_id, seq, ts, kind, tag, data, received_at, device_ts).
EventRow = tuple[str, str, int, int, str, str | None, str, int, int | None]


@dataclass(frozen=True)
class Dialect:
    name: str  # "sqlite" | "postgres"
    # Locks the rows a SELECT returns until the transaction ends (PostgreSQL); SQLite
    # has one writer at a time and no such clause.
    for_update: str = ""
    # ... and leaves rows another transaction holds to it: work is claimed, not shared.
    skip_locked: str = ""

    def greatest(self, a: str, b: str) -> str:
        """The larger of two values (SQLite's two-argument max(), PostgreSQL's GREATEST)."""
        return f"max({a}, {b})" if self.name == "sqlite" else f"GREATEST({a}, {b})"

    def json_values(self, param: str = "?") -> str:
        """A subquery: the strings of a JSON array given as one parameter. One parameter
        whatever the bunch holds (engines cap how many a statement may have)."""
        if self.name == "sqlite":
            return f"SELECT value FROM json_each({param})"
        return f"SELECT json_array_elements_text({param}::json)"


SQLITE = Dialect("sqlite")
POSTGRES = Dialect("postgres", for_update=" FOR UPDATE", skip_locked=" FOR UPDATE SKIP LOCKED")


class Db(Protocol):
    dialect: Dialect

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of a query (or of a statement's RETURNING)."""
        ...

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; how many rows it changed."""
        ...

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    def transaction(self, what: str) -> AbstractAsyncContextManager[Db]:
        """Commit at the end, roll back on any error; StoreError says ``what`` failed."""
        ...

    def pinned(self) -> AbstractAsyncContextManager[None]:
        """Every call of this task on one connection (its temporary tables stay)."""
        ...

    async def insert_events(self, rows: Sequence[EventRow]) -> set[str]:
        """Insert events not stored yet (inside a transaction); the ids that went in."""
        ...

    async def lock_events(self) -> None:
        """Inside a transaction: hold every other writer of events until it ends, so
        events become visible in ``seqno`` order (the cursors that follow the table
        never pass an event still being committed)."""
        ...

    async def close(self) -> None: ...


def marks(values: Sequence[Any]) -> str:
    """Placeholders for ``IN (...)``: ``NULL`` for none (``IN ()`` is SQLite's alone),
    which matches nothing."""
    return ",".join("?" * len(values)) or "NULL"


_TOKEN = re.compile(r"'(?:[^']|'')*'|\?")


@lru_cache(maxsize=1024)
def numbered(sql: str) -> str:
    """``?`` placeholders -> PostgreSQL's ``$1, $2, ...`` (string literals left alone)."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if match.group(0) != "?":
            return match.group(0)
        count += 1
        return f"${count}"

    return _TOKEN.sub(number, sql)
