"""The durable outbox: every event is on disk before it is published, and leaves
the disk only when the hub has confirmed it stored it (end-to-end acknowledgement).

SQLite in WAL mode with ``synchronous=FULL``: a commit has reached the SD card
when ``append`` returns, so a power cut after that loses nothing. Sequence numbers
come from an AUTOINCREMENT key, which SQLite never reuses even after rows are
deleted, so ``seq`` keeps rising across restarts. The outbox has an ``epoch``, a
random id made with the file and kept in it: the hub's acknowledgements name it, so
a new SD card (whose seq starts again at 1) is never confused with the old one.

A PUBACK from the broker only marks a batch *published* (in memory): a broker that
crashes before it saved the batch loses it. An event leaves the outbox when the
hub's ack covers it (``confirm``) or when the cap drops it.

Cap policy (when an outage outlasts the space we allow ourselves): drop the oldest
routine sightings first (``tag.seen``, then ``tag.arrived``/``tag.left``); never
drop check-in, SOS, device or receiver events, even past the cap. What was dropped
is counted by kind, persisted, and reported in the gateway status. Published but
unconfirmed events may be dropped too (the hub may have them already: dropping
those first is the better bet); those on the wire (handed to the uplink by ``peek``
and not yet acknowledged by the broker) may reach the broker at any moment, so they
are never dropped; the uplink ``rewind``s when its connection is lost.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from mimamori.edge.tasks import run_to_end
from mimamori.errors import StoreError
from mimamori.locking import Serialized, serialized
from mimamori.protocol.events import Event, EventDraft, EventKind, new_epoch, new_event_id

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
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
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


@dataclass(frozen=True, slots=True)
class Batch:
    """The next events to send, and ``after``: the highest seq still held below the
    first of them (0 if none). Every seq in (after, last] that is not in the batch
    has left the outbox for good (confirmed by the hub, or dropped by the cap)."""

    after: int
    events: list[Pending]

    @property
    def first(self) -> int:
        return self.events[0].seq

    @property
    def last(self) -> int:
        return self.events[-1].seq


class Outbox(Serialized):
    def __init__(self, db: aiosqlite.Connection, max_events: int, epoch: str) -> None:
        self._db = db
        self.max_events = max_events
        self.epoch = epoch
        self._next_seq = 1
        self._depth = 0
        self._newest = 0  # the highest seq held (0: none)
        self._dropped: dict[str, int] = {}
        # (first, last) of each batch awaiting its PUBACK (a re-sent batch may be there twice)
        self._on_wire: Counter[tuple[int, int]] = Counter()
        self._published_through = 0  # the highest seq the broker acknowledged (memory only)
        self._confirmed_through = 0  # the highest seq the hub confirmed
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
            # Made once, with the file: a new SD card is a new epoch.
            await db.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('epoch', ?)", (new_epoch(),)
            )
            async with db.execute("SELECT value FROM meta WHERE key = 'epoch'") as cur:
                row = await cur.fetchone()
            if row is None:
                raise StoreError(f"the outbox at {path} has no epoch")
            outbox = cls(db, max_events, str(row[0]))
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
        await self._recount()
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

    @property
    def published_through(self) -> int:
        """The highest seq the broker acknowledged since this process started."""
        return self._published_through

    @property
    def unsent(self) -> bool:
        """Some event held was never acknowledged by the broker (it waits for the
        uplink, not for the hub)."""
        return self._depth > 0 and self._newest > max(
            self._published_through, self._confirmed_through
        )

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
        if events:
            self._newest = events[-1].seq
        for kind, n in dropped.items():
            self._dropped[kind] = self._dropped.get(kind, 0) + n
        if events:
            self.changed.set()
        return events

    async def _enforce_cap(self) -> dict[str, int]:
        # Batches on the wire are contiguous in seq order: spare the span they cover.
        lo = min((first for first, _ in self._on_wire), default=0)
        hi = max((last for _, last in self._on_wire), default=-1)
        async with self._db.execute(
            "SELECT count(*) FROM outbox WHERE seq BETWEEN ? AND ?", (lo, hi)
        ) as cur:
            row = await cur.fetchone()
        excess = self._depth - (int(row[0]) if row else 0) - self.max_events
        dropped: dict[str, int] = {}
        for rank in (2, 1):
            if excess <= 0:
                break
            async with self._db.execute(
                "SELECT seq, kind FROM outbox WHERE rank = ? AND seq NOT BETWEEN ? AND ? "
                "ORDER BY seq LIMIT ?",
                (rank, lo, hi, excess),
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
            if any(s == self._newest for s, _ in victims):
                await self._find_newest()
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
        await self._find_newest()

    async def _find_newest(self) -> None:
        async with self._db.execute("SELECT coalesce(max(seq), 0) FROM outbox") as cur:
            row = await cur.fetchone()
        self._newest = int(row[0]) if row else 0

    @serialized
    async def peek(self, after_seq: int, limit: int) -> Batch | None:
        """The oldest events after ``after_seq``, in order, as their JSON bodies; None
        when there are none.

        The caller sends them: until ``published`` or ``rewind`` the cap spares them.
        """
        try:
            async with self._db.execute(
                "SELECT seq, body FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
                (after_seq, limit),
            ) as cur:
                pending = [Pending(int(s), str(b)) async for s, b in cur]
            if not pending:
                return None
            async with self._db.execute(
                "SELECT coalesce(max(seq), 0) FROM outbox WHERE seq < ?", (pending[0].seq,)
            ) as cur:
                row = await cur.fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"outbox read failed: {exc}") from exc
        batch = Batch(int(row[0]) if row else 0, pending)
        self._on_wire[batch.first, batch.last] += 1
        return batch

    def published(self, batch: Batch) -> None:
        """The broker acknowledged ``batch``: off the wire, kept until the hub confirms."""
        self._on_wire[batch.first, batch.last] -= 1
        if self._on_wire[batch.first, batch.last] <= 0:
            del self._on_wire[batch.first, batch.last]
        self._published_through = max(self._published_through, batch.last)

    def rewind(self) -> None:
        """The connection is lost: nothing is on the wire any more."""
        self._on_wire.clear()

    async def confirm(self, seq: int) -> int:
        """Forget every event up to ``seq``: the hub has stored them (its ack). Returns
        how many left.

        Runs to its end even if the caller is cancelled meanwhile: cut short, the
        delete would go on in SQLite's thread while ``depth`` kept counting the rows,
        and a depth that only grows makes the cap drop events the outbox has room for.
        """
        return await run_to_end(self._confirm(seq))

    @serialized
    async def _confirm(self, seq: int) -> int:
        if seq <= self._confirmed_through:
            return 0
        try:
            cur = await self._db.execute("DELETE FROM outbox WHERE seq <= ?", (seq,))
            removed = max(cur.rowcount, 0)
            await cur.close()
        except sqlite3.Error as exc:
            raise StoreError(f"outbox delete failed: {exc}") from exc
        self._depth -= removed
        self._confirmed_through = seq
        return removed

    async def integrity_check(self) -> str:
        async with self._db.execute("PRAGMA integrity_check") as cur:
            row = await cur.fetchone()
        return str(row[0]) if row else "no answer"
