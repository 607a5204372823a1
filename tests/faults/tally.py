"""The total-queue checker: every event a gateway accepted is in the hub's store, once.

After Jepsen's "total queue" checker: compare what went in with what came out and
name every difference. Here "in" is what the gateway *accepted*: an event is accepted
when the outbox transaction that numbered it committed (``Outbox.append`` returned).
Sequence numbers are handed out inside that transaction and SQLite's AUTOINCREMENT
counter commits with it, so the accepted events of a gateway are exactly seq
1..N, where N is the counter in the outbox file once the daemon has stopped: a
transaction cut short by a kill takes its numbers with it, and the next one reuses
them. "Out" is the hub's ``events`` table (the hub's own events, seq 0, are not the
gateway's).

Events can also be *witnessed*: read from the outbox file while (or after) the
daemon ran, with their ids. A witnessed event must reach the hub under the same id:
an edge that re-created an event after a restart would show here.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import shutil
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Held:
    """One event as the outbox file holds it."""

    seq: int
    id: str
    kind: str
    search: bool = False  # a sighting reported for a search (never dropped)


@dataclass(frozen=True)
class Outboxed:
    """What an outbox file says: its counter, what it still holds, what its cap dropped."""

    last_seq: int
    held: tuple[Held, ...]
    dropped: Mapping[str, int]
    integrity: str


def read_outbox(path: Path) -> Outboxed:
    """Read an outbox no daemon is using, from a copy: the daemon's next start must
    find the files exactly as the kill left them (a hot WAL is its to recover)."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / path.name
        for suffix in ("", "-wal"):
            source = path.with_name(path.name + suffix)
            if source.exists():
                shutil.copyfile(source, copy.with_name(copy.name + suffix))
        return _read(copy)


def peek_outbox(path: Path) -> Outboxed:
    """Read an outbox while its daemon runs (WAL lets a reader in beside the writer)."""
    return _read(path)


def _read(path: Path) -> Outboxed:
    with contextlib.closing(sqlite3.connect(path, timeout=5)) as db:
        integrity = str(db.execute("PRAGMA integrity_check").fetchone()[0])
        tables = {str(n) for (n,) in db.execute("SELECT name FROM sqlite_master")}
        if not {"outbox", "dropped"} <= tables:  # killed before its schema was made
            return Outboxed(0, (), {}, integrity)
        row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
        held = tuple(
            Held(int(s), str(i), str(k), bool(json.loads(b)["data"].get("search")))
            for s, i, k, b in db.execute("SELECT seq, id, kind, body FROM outbox ORDER BY seq")
        )
        dropped = {str(k): int(n) for k, n in db.execute("SELECT kind, count FROM dropped")}
    return Outboxed(int(row[0]) if row else 0, held, dropped, integrity)


@dataclass
class Witness:
    """Events seen in an outbox over time: seq -> (id, kind)."""

    seen: dict[int, Held] = field(default_factory=dict)
    changed: list[int] = field(default_factory=list)  # a seq seen with two different ids

    def record(self, outbox: Outboxed) -> None:
        for held in outbox.held:
            before = self.seen.setdefault(held.seq, held)
            if before.id != held.id:
                self.changed.append(held.seq)


@dataclass(frozen=True)
class Stored:
    seq: int
    id: str
    kind: str
    received_ms: int  # when the hub stored it (ms since the epoch)


def hub_events(db: Path, gateway: str) -> list[Stored]:
    """The gateway's events in the hub's store, in the order they were stored."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
        rows = conn.execute(
            "SELECT seq, id, kind, received_at FROM events WHERE gateway_id = ? AND seq > 0"
            " ORDER BY rowid",
            (gateway,),
        ).fetchall()
    return [Stored(int(s), str(i), str(k), int(r)) for s, i, k, r in rows]


def hub_status(db: Path, gateway: str) -> dict[str, Any] | None:
    """The gateway's last status as the hub stored it."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
        row = conn.execute("SELECT status FROM gateways WHERE id = ?", (gateway,)).fetchone()
    return json.loads(row[0]) if row and row[0] else None


@dataclass(frozen=True)
class Tally:
    gateway: str
    accepted: int
    delivered: int  # accepted events in the hub's store
    pending: tuple[int, ...]  # still in the outbox at the end: not yet delivered
    missing: tuple[int, ...]  # accepted, neither in the hub's store nor in the outbox
    dropped: Mapping[str, int]  # what the outbox says its cap dropped, by kind
    duplicated: tuple[int, ...]  # seqs stored more than once
    unexpected: tuple[int, ...]  # seqs in the store that were never accepted
    out_of_order: int  # stored right after a higher seq of the same gateway
    changed: tuple[int, ...]  # witnessed under one id, stored under another
    integrity: str
    # The outbox as the gateway's last status reported it to the hub (None: not checked).
    reported: Mapping[str, Any] | None = None

    @property
    def lost(self) -> int:
        """Missing events the cap policy does not account for.

        The cap may drop an event the broker already has (published, not yet confirmed
        by the hub), which then reaches the hub anyway: a drop that is not missing. The
        counts cannot tell which; the cap test does, by witnessing the outbox.
        """
        return max(0, len(self.missing) - sum(self.dropped.values()))

    def line(self) -> str:
        dropped = sum(self.dropped.values())
        anyway = dropped - len(self.missing) if dropped > len(self.missing) else 0
        return (
            f"{self.gateway}: accepted {self.accepted}, delivered {self.delivered}, "
            f"lost {self.lost}, duplicated {len(self.duplicated)}, dropped by the cap "
            f"{dropped}{f' ({anyway} of them at the hub anyway)' if anyway else ''}, "
            f"still queued {len(self.pending)}, out of order {self.out_of_order}, "
            f"unexpected {len(self.unexpected)}, changed {len(self.changed)}, "
            f"outbox integrity {self.integrity}"
            + ("" if self.reported is None else f", its status said {dict(self.reported)}")
        )

    def assert_exactly_once(self, *, in_order: bool = True) -> None:
        """Every accepted event delivered once, with no loss beyond the cap, and in
        order unless ``in_order`` is off: events a crashed broker lost arrive when the
        gateway sends them again, after newer ones."""
        assert self.integrity == "ok", self.line()
        assert not self.pending, f"{self.line()}; still queued: {self.pending[:20]}"
        assert self.lost == 0, f"{self.line()}; missing: {self.missing[:20]}"
        assert not self.duplicated, f"{self.line()}; duplicated: {self.duplicated[:20]}"
        assert not self.unexpected, f"{self.line()}; unexpected: {self.unexpected[:20]}"
        assert not self.changed, f"{self.line()}; changed: {self.changed[:20]}"
        assert self.out_of_order == 0 or not in_order, self.line()
        if self.reported is not None:  # the status tells the truth about the outbox
            truth = {"depth": len(self.pending), "dropped": dict(self.dropped)}
            assert self.reported == truth, self.line()


def check(
    outbox: Outboxed,
    stored: list[Stored],
    gateway: str,
    witness: Witness | None = None,
    reported: Mapping[str, Any] | None = None,
) -> Tally:
    """Compare the accepted events (seq 1..N, from the outbox) with the stored ones."""
    counts = Counter(s.seq for s in stored)
    accepted = set(range(1, outbox.last_seq + 1))
    pending = {h.seq for h in outbox.held}
    stored_ids = {s.seq: s.id for s in stored}
    changed = sorted(
        {
            seq
            for seq, held in (witness.seen.items() if witness else ())
            if seq in stored_ids and stored_ids[seq] != held.id
        }
        | set(witness.changed if witness else ())
    )
    seqs = [s.seq for s in stored]
    return Tally(
        gateway=gateway,
        accepted=len(accepted),
        delivered=len(accepted & counts.keys()),
        pending=tuple(sorted(pending)),
        missing=tuple(sorted(accepted - counts.keys() - pending)),
        dropped=dict(outbox.dropped),
        duplicated=tuple(sorted(seq for seq, n in counts.items() if n > 1)),
        unexpected=tuple(sorted(counts.keys() - accepted)),
        out_of_order=sum(1 for a, b in itertools.pairwise(seqs) if b < a),
        changed=tuple(changed),
        integrity=outbox.integrity,
        reported=reported,
    )
