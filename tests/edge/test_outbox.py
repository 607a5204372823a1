"""The durable outbox on a real SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path

from mimamori.edge.outbox import Outbox
from mimamori.protocol import EventDraft, EventKind

TAG = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:2"
T0 = datetime(2026, 11, 22, 1, 2, 3, 456000, tzinfo=UTC)


def seen(i: int = 0) -> EventDraft:
    return EventDraft(
        EventKind.TAG_SEEN, T0, {"tag": TAG, "receiver": "r1", "rssi": -60, "adverts": i}
    )


def tag(kind: EventKind) -> EventDraft:
    return EventDraft(kind, T0, {"tag": TAG, "receiver": "r1"})


def receiver_down() -> EventDraft:
    return EventDraft(EventKind.RECEIVER_DOWN, T0, {"receiver": "r1", "reason": "unplugged"})


async def test_appended_events_are_numbered_and_readable_in_order(tmp_path: Path) -> None:
    box = await Outbox.open(tmp_path / "o.sqlite3", max_events=1000)
    events = await box.append([seen(1), seen(2), seen(3)])
    assert [e.seq for e in events] == [1, 2, 3]
    assert len({e.id for e in events}) == 3
    pending = await box.peek(0, 10)
    assert [p.seq for p in pending] == [1, 2, 3]
    body = json.loads(pending[0].body)
    assert body["ts"] == "2026-11-22T01:02:03.456Z"
    assert body["kind"] == "tag.seen"
    assert box.depth == 3
    await box.close()


async def test_removed_events_are_gone_and_the_rest_remain(tmp_path: Path) -> None:
    box = await Outbox.open(tmp_path / "o.sqlite3", max_events=1000)
    await box.append([seen(i) for i in range(5)])
    await box.remove(1, 3)
    assert [p.seq for p in await box.peek(0, 10)] == [4, 5]
    assert box.depth == 2
    await box.close()


async def test_a_remove_cancelled_midway_still_forgets_the_batch_and_counts_it(
    tmp_path: Path,
) -> None:
    # The uplink is cancelled while it removes an acknowledged batch when another
    # batch loses the connection. The delete ran on in SQLite's thread while the
    # depth was not lowered: a depth that only grows makes the cap drop early
    # (the fault proxy saw a status saying 3 held while the outbox was empty).
    box = await Outbox.open(tmp_path / "o.sqlite3", max_events=1000)
    await box.append([seen(i) for i in range(5)])
    for busy in (True, False):  # cancelled waiting for the outbox, or while deleting
        reader = asyncio.create_task(box.peek(0, 10)) if busy else None
        remove = asyncio.create_task(box.remove(1, 2) if busy else box.remove(3, 4))
        await asyncio.sleep(0)
        remove.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await remove
        if reader:
            await reader
    assert [p.seq for p in await box.peek(0, 10)] == [5]
    assert box.depth == 1
    await box.close()


async def test_events_and_sequence_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    box = await Outbox.open(path, max_events=1000)
    await box.append([seen(i) for i in range(3)])
    await box.remove(1, 3)  # even with the table emptied, numbers are never reused
    await box.append([seen(9)])
    await box.close()
    box = await Outbox.open(path, max_events=1000)
    assert box.depth == 1
    [again] = await box.append([seen(10)])
    assert again.seq == 5
    assert [p.seq for p in await box.peek(0, 10)] == [4, 5]
    assert await box.integrity_check() == "ok"
    await box.close()


async def test_the_cap_drops_routine_sightings_oldest_first_and_counts_them(tmp_path: Path) -> None:
    box = await Outbox.open(tmp_path / "o.sqlite3", max_events=100)
    await box.append([receiver_down()])  # seq 1: protected
    await box.append([tag(EventKind.TAG_ARRIVED)])  # seq 2: dropped only after every seen
    await box.append([seen(i) for i in range(98)])  # seq 3..100: the cap is reached
    await box.append([seen(i) for i in range(10)])  # 10 over: the 10 oldest seen go
    kept = [p.seq for p in await box.peek(0, 1000)]
    assert box.depth == 100
    assert kept[:2] == [1, 2]
    assert 3 not in kept and 12 not in kept and 13 in kept
    assert box.dropped == {"tag.seen": 10}
    await box.close()


async def test_the_cap_spares_events_on_the_wire_until_their_connection_is_lost(
    tmp_path: Path,
) -> None:
    # A batch handed to the uplink may reach the broker at any moment: dropping it
    # would count as dropped events the hub then stores (seen in the cap fault test
    # when the outage ended: the status over-reported its drops).
    box = await Outbox.open(tmp_path / "o.sqlite3", max_events=100)
    await box.append([seen(i) for i in range(100)])  # seq 1..100: at the cap
    assert [p.seq for p in await box.peek(0, 10)] == list(range(1, 11))  # on the wire
    await box.append([seen(i) for i in range(15)])  # 105 waiting: the 5 oldest go
    assert box.dropped == {"tag.seen": 5}
    await box.remove(1, 10)  # the broker acknowledged them: all ten arrived
    assert box.depth == 100
    box.rewind()  # the connection is lost

    assert [p.seq for p in await box.peek(0, 10)] == list(range(16, 26))  # a new one...
    box.rewind()  # ...lost too: they wait again, and are the oldest
    await box.append([seen(0)])  # 1 over
    assert box.dropped == {"tag.seen": 6}
    assert [p.seq for p in await box.peek(0, 2)] == [17, 18]
    await box.close()


async def test_protected_events_stay_even_past_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    box = await Outbox.open(path, max_events=100)
    await box.append([tag(EventKind.TAG_LEFT)] + [receiver_down() for _ in range(99)])
    await box.append([receiver_down() for _ in range(5)])  # routine ones go first, then none left
    assert box.depth == 104
    assert box.dropped == {"tag.left": 1}
    await box.close()
    box = await Outbox.open(path, max_events=100)
    assert box.dropped == {"tag.left": 1}  # the count is on disk, reported after restarts
    await box.close()


async def test_the_outbox_uses_wal_with_full_sync(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    box = await Outbox.open(path, max_events=100)
    async with box._db.execute("PRAGMA journal_mode") as cur:
        assert (await cur.fetchone()) == ("wal",)
    async with box._db.execute("PRAGMA synchronous") as cur:
        assert (await cur.fetchone()) == (2,)  # FULL
    await box.close()
