"""The durable outbox: every event is on disk before it is published, and leaves
the disk only when the broker has acknowledged it.

SQLite in WAL mode with ``synchronous=FULL``: a commit has reached the SD card
when ``append`` returns, so a power cut after that loses nothing. Sequence numbers
come from an AUTOINCREMENT key, which SQLite never reuses even after rows are
deleted, so ``seq`` keeps rising across restarts.

Cap policy (when an outage outlasts the space we allow ourselves): drop the oldest
routine sightings first (``tag.seen``, then ``tag.arrived``/``tag.left``); never
drop check-in, SOS, device or receiver events, even past the cap. What was dropped
is counted by kind, persisted, and reported in the gateway status. The cap counts
the events waiting to be sent: those on the wire (handed to the uplink by ``peek``
on the current connection) may reach the broker at any moment, so they are never
dropped; the uplink ``rewind``s when its connection is lost, and they wait again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from ..errors import StoreError
from ..protocol.events import Event, EventDraft, EventKind, new_event_id
from ..serial import Serialized, serialized
from .tasks import run_to_end

log = logging.getLogger(__name__)

# Higher ranks are dropped first; rank 0 is never dropped.
_DROP_RANK: dict[EventKind, int] = {
    EventKind.TAG_SEEN: 2,
    EventKind.TAG_ARRIVED: 1,
    EventKind.TAG_LEFT: 1,
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    id   TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    rank INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_rank ON outbox (rank, seq) WHERE rank > 0;
CREATE TABLE IF NOT EXISTS dropped (
    kind  TEXT PRIMARY KEY,
    count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rule_state (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


def drop_rank(draft: EventDraft) -> int:
    if draft.data.get("search"):
        return 0  # a sighting during a search is what the search waits for
    return _DROP_RANK.get(draft.kind, 0)


@dataclass(frozen=True, slots=True)
class Pending:
    seq: int
    body: str


class Outbox(Serialized):
    def __init__(self, db: aiosqlite.Connection, max_events: int) -> None:
        self._db = db
        self.max_events = max_events
        self._next_seq = 1
        self._depth = 0
        self._dropped: dict[str, int] = {}
        self._sending_through = 0  # the newest seq on the wire (0: nothing is)
        self._warned_over_cap = False
        self.changed = asyncio.Event()  # set whenever events are appended

    @classmethod
    async def open(cls, path: Path, max_events: int) -> Outbox:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the outbox at {path}: {exc}") from exc
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA synchronous=FULL")
            await db.executescript(SCHEMA)
            outbox = cls(db, max_events)
            await outbox._load()
        except BaseException as exc:
            await db.close()  # never leave the connection's thread behind
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"cannot open the outbox at {path}: {exc}") from exc
            raise
        return outbox

    async def _load(self) -> None:
        async with self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'") as cur:
            row = await cur.fetchone()
        self._next_seq = (int(row[0]) if row else 0) + 1
        async with self._db.execute("SELECT count(*) FROM outbox") as cur:
            row = await cur.fetchone()
        self._depth = int(row[0]) if row else 0
        async with self._db.execute("SELECT kind, count FROM dropped") as cur:
            self._dropped = {str(k): int(c) async for k, c in cur}
        if self._depth:
            self.changed.set()

    @serialized
    async def close(self) -> None:
        await self._db.close()

    @property
    def depth(self) -> int:
        return self._depth

    @property
    def dropped(self) -> dict[str, int]:
        return dict(self._dropped)

    @serialized
    async def load_state(self, name: str) -> Any:
        """A rule's state as last committed with ``append``, or None."""
        async with self._db.execute("SELECT value FROM rule_state WHERE name = ?", (name,)) as cur:
            row = await cur.fetchone()
        return json.loads(row[0]) if row else None

    @serialized
    async def append(
        self, drafts: Sequence[EventDraft], state: Mapping[str, Any] | None = None
    ) -> list[Event]:
        """Number the drafts and commit them in one transaction; return the events.

        ``state`` (rule name -> JSON value) is committed in the same transaction: a
        rule's memory of what it decided never disagrees with the events on disk.
        """
        if not drafts and not state:
            return []
        seq = self._next_seq
        events = [draft.numbered(new_event_id(), seq + i) for i, draft in enumerate(drafts)]
        rows = [
            (e.seq, e.id, e.kind.value, drop_rank(d), e.model_dump_json())
            for e, d in zip(events, drafts, strict=True)
        ]
        try:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                await self._db.executemany(
                    "INSERT INTO outbox (seq, id, kind, rank, body) VALUES (?, ?, ?, ?, ?)", rows
                )
                if state:
                    await self._db.executemany(
                        "INSERT OR REPLACE INTO rule_state (name, value) VALUES (?, ?)",
                        [(name, json.dumps(value)) for name, value in state.items()],
                    )
                self._depth += len(rows)
                dropped = await self._enforce_cap() if self._depth > self.max_events else {}
                await self._db.execute("COMMIT")
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            await self._recount()
            raise StoreError(f"outbox write failed: {exc}") from exc
        self._next_seq = seq + len(events)
        for kind, n in dropped.items():
            self._dropped[kind] = self._dropped.get(kind, 0) + n
        if events:
            self.changed.set()
        return events

    async def _enforce_cap(self) -> dict[str, int]:
        async with self._db.execute(
            "SELECT count(*) FROM outbox WHERE seq <= ?", (self._sending_through,)
        ) as cur:
            row = await cur.fetchone()
        excess = self._depth - (int(row[0]) if row else 0) - self.max_events
        dropped: dict[str, int] = {}
        for rank in (2, 1):
            if excess <= 0:
                break
            async with self._db.execute(
                "SELECT seq, kind FROM outbox WHERE rank = ? AND seq > ? ORDER BY seq LIMIT ?",
                (rank, self._sending_through, excess),
            ) as cur:
                victims = [(int(s), str(k)) async for s, k in cur]
            if not victims:
                continue
            await self._db.executemany(
                "DELETE FROM outbox WHERE seq = ?", [(s,) for s, _ in victims]
            )
            for _, kind in victims:
                dropped[kind] = dropped.get(kind, 0) + 1
            excess -= len(victims)
            self._depth -= len(victims)
        await self._db.executemany(
            "INSERT INTO dropped (kind, count) VALUES (?, ?) "
            "ON CONFLICT (kind) DO UPDATE SET count = count + excluded.count",
            list(dropped.items()),
        )
        if dropped:
            log.warning("outbox full (%d events): dropped %s", self.max_events, dropped)
        if excess > 0 and not self._warned_over_cap:
            self._warned_over_cap = True
            log.warning(
                "outbox holds %d events over its cap of %d, all protected: keeping them",
                excess,
                self.max_events,
            )
        return dropped

    async def _recount(self) -> None:
        async with self._db.execute("SELECT count(*) FROM outbox") as cur:
            row = await cur.fetchone()
        self._depth = int(row[0]) if row else 0

    @serialized
    async def peek(self, after_seq: int, limit: int) -> list[Pending]:
        """The oldest events after ``after_seq``, in order, as their JSON bodies.

        The caller sends them: from now on the cap spares them (see ``rewind``).
        """
        try:
            async with self._db.execute(
                "SELECT seq, body FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
                (after_seq, limit),
            ) as cur:
                pending = [Pending(int(s), str(b)) async for s, b in cur]
        except sqlite3.Error as exc:
            raise StoreError(f"outbox read failed: {exc}") from exc
        if pending:
            self._sending_through = max(self._sending_through, pending[-1].seq)
        return pending

    def rewind(self) -> None:
        """The connection is lost: nothing is on the wire, every event waits again."""
        self._sending_through = 0

    async def remove(self, first_seq: int, last_seq: int) -> None:
        """Forget events the broker acknowledged (a contiguous range of one batch).

        Runs to its end even if the caller is cancelled meanwhile, as the uplink is
        when another batch loses the connection: cut short, the delete would go on
        in SQLite's thread while ``depth`` kept counting the rows, and a depth that
        only grows makes the cap drop events the outbox has room for.
        """
        await run_to_end(self._remove(first_seq, last_seq))

    @serialized
    async def _remove(self, first_seq: int, last_seq: int) -> None:
        try:
            cur = await self._db.execute(
                "DELETE FROM outbox WHERE seq BETWEEN ? AND ?", (first_seq, last_seq)
            )
            self._depth -= max(cur.rowcount, 0)
            await cur.close()
        except sqlite3.Error as exc:
            raise StoreError(f"outbox delete failed: {exc}") from exc

    async def integrity_check(self) -> str:
        async with self._db.execute("PRAGMA integrity_check") as cur:
            row = await cur.fetchone()
        return str(row[0]) if row else "no answer"
