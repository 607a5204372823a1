"""The durable outbox on a real SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
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


async def held(box: Outbox, after: int = 0, limit: int = 1000) -> list[int]:
    """The seqs ``peek`` hands out after ``after`` (and puts on the wire)."""
    batch = await box.peek(after, limit)
    return [p.seq for p in batch.events] if batch else []


async def test_appended_events_are_numbered_and_readable_in_order(tmp_path: Path) -> None:
    box = await Outbox.open(tmp_path / "o.sqlite3", max_events=1000)
    events = await box.append([seen(1), seen(2), seen(3)])
    assert [e.seq for e in events] == [1, 2, 3]
    assert len({e.id for e in events}) == 3
    batch = await box.peek(0, 10)
    assert batch is not None and batch.after == 0
    assert [p.seq for p in batch.events] == [1, 2, 3]
    body = json.loads(batch.events[0].body)
    assert body["ts"] == "2026-11-22T01:02:03.456Z"
    assert body["kind"] == "tag.seen"
    assert box.depth == 3
    assert await box.peek(3, 10) is None
    await box.close()


async def test_published_events_stay_until_the_hub_confirms_them(tmp_path: Path) -> None:
    # The broker's PUBACK is no proof the hub will ever see a batch: a broker that
    # crashes before it saved it loses it. Only the hub's ack lets an event go.
    box = await Outbox.open(tmp_path / "o.sqlite3", max_events=1000)
    await box.append([seen(i) for i in range(5)])
    batch = await box.peek(0, 10)
    assert batch is not None
    box.published(batch)
    assert box.depth == 5 and box.published_through == 5 and not box.unsent
    assert await held(box) == [1, 2, 3, 4, 5]  # still there to be sent again
    assert await box.confirm(3) == 3
    assert await held(box) == [4, 5]
    assert box.depth == 2
    assert await box.confirm(2) == 0  # an older ack changes nothing
    assert box.depth == 2
    await box.close()


async def test_a_confirm_cancelled_midway_still_forgets_what_it_covers_and_counts_it(
    tmp_path: Path,
) -> None:
    # The uplink may be cancelled while it forgets what the hub confirmed. The
    # delete ran on in SQLite's thread while the depth was not lowered: a depth
    # that only grows makes the cap drop early (the fault proxy saw a status
    # saying 3 held while the outbox was empty).
    box = await Outbox.open(tmp_path / "o.sqlite3", max_events=1000)
    await box.append([seen(i) for i in range(5)])
    for busy, upto in ((True, 2), (False, 4)):  # cancelled waiting for the outbox, or deleting
        reader = asyncio.create_task(box.peek(0, 10)) if busy else None
        confirm = asyncio.create_task(box.confirm(upto))
        await asyncio.sleep(0)
        confirm.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await confirm
        if reader:
            await reader
    assert await held(box) == [5]
    assert box.depth == 1
    await box.close()


async def test_events_sequence_and_epoch_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    box = await Outbox.open(path, max_events=1000)
    epoch = box.epoch
    await box.append([seen(i) for i in range(3)])
    await box.confirm(3)  # even with the table emptied, numbers are never reused
    await box.append([seen(9)])
    await box.close()
    box = await Outbox.open(path, max_events=1000)
    assert box.epoch == epoch
    assert box.depth == 1 and box.unsent  # nothing is published in a new process
    [again] = await box.append([seen(10)])
    assert again.seq == 5
    assert await held(box) == [4, 5]
    assert await box.integrity_check() == "ok"
    await box.close()


async def test_a_new_outbox_file_is_a_new_epoch(tmp_path: Path) -> None:
    # A new SD card starts again at seq 1: its epoch keeps the hub from taking it
    # for the old card's seq 1.
    first = await Outbox.open(tmp_path / "a.sqlite3", max_events=100)
    second = await Outbox.open(tmp_path / "b.sqlite3", max_events=100)
    assert first.epoch != second.epoch
    assert re.fullmatch(r"[0-9a-f]{32}", first.epoch)
    await first.close()
    await second.close()


async def test_a_batch_vouches_from_the_highest_seq_held_below_it(tmp_path: Path) -> None:
    box = await Outbox.open(tmp_path / "o.sqlite3", max_events=1000)
    await box.append([seen(i) for i in range(10)])
    first = await box.peek(0, 4)
    assert first is not None and first.after == 0 and (first.first, first.last) == (1, 4)
    second = await box.peek(4, 4)
    assert second is not None and second.after == 4  # the previous batch's events wait
    await box.confirm(4)  # the hub has 1..4: nothing is held below 5 any more
    again = await box.peek(4, 4)
    assert again is not None and again.after == 0 and again.first == 5
    await box.close()


async def test_the_cap_drops_routine_sightings_oldest_first_and_counts_them(tmp_path: Path) -> None:
    box = await Outbox.open(tmp_path / "o.sqlite3", max_events=100)
    await box.append([receiver_down()])  # seq 1: protected
    await box.append([tag(EventKind.TAG_ARRIVED)])  # seq 2: dropped only after every seen
    await box.append([seen(i) for i in range(98)])  # seq 3..100: the cap is reached
    await box.append([seen(i) for i in range(10)])  # 10 over: the 10 oldest seen go
    kept = await held(box)
    assert box.depth == 100
    assert kept[:2] == [1, 2]
    assert 3 not in kept and 12 not in kept and 13 in kept
    assert box.dropped == {"tag.seen": 10}
    batch = await box.peek(2, 1)
    assert batch is not None and (batch.after, batch.first) == (2, 13)  # 3..12 never come
    await box.close()


async def test_the_cap_spares_events_on_the_wire_but_not_those_only_published(
    tmp_path: Path,
) -> None:
    # A batch handed to the uplink may reach the broker at any moment: dropping it
    # would count as dropped events the hub then stores (seen in the cap fault test
    # when the outage ended: the status over-reported its drops). Once the broker
    # has it, it waits for the hub like the rest and the cap may drop it: the
    # oldest, and the one with a chance of reaching the hub anyway.
    box = await Outbox.open(tmp_path / "o.sqlite3", max_events=100)
    await box.append([seen(i) for i in range(100)])  # seq 1..100: at the cap
    wire = await box.peek(0, 10)
    assert wire is not None and (wire.first, wire.last) == (1, 10)
    await box.append([seen(i) for i in range(15)])  # 105 waiting: 11..15 go, not 1..10
    assert box.dropped == {"tag.seen": 5}
    assert (await held(box, 0, 11))[9:] == [10, 16]
    box.rewind()  # peeked again just above: nothing on the wire now

    wire = await box.peek(0, 10)
    assert wire is not None
    box.published(wire)  # the broker has 1..10; the hub has not confirmed them
    await box.append([seen(0)])  # 11 over: the oldest go, published or not
    assert box.dropped == {"tag.seen": 16}
    assert (await held(box, 0, 2)) == [17, 18]
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
