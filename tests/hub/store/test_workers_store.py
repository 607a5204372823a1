"""Two hub workers on one database, played by two stores (two connections, two pools)
running the same loops at once: each piece of work is done by exactly one of them.

On PostgreSQL this is what row locks, SKIP LOCKED and the alert cursor's compare-and-
set decide (docs/postgres.md); on SQLite, its one writer at a time."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mimamori.hub.alerts.engine import AlertEngine
from mimamori.hub.live.after_commit import AfterCommit
from mimamori.hub.live.fanout import LiveHub
from mimamori.hub.live.follow import LiveFollower
from mimamori.hub.model.clock import system_clock
from mimamori.hub.register.loading import load_registry
from mimamori.hub.store.sql_alerts import close_alert
from mimamori.hub.store.sql_store import SqlStore
from mimamori.protocol import Event, EventDraft, EventKind, format_ts, new_event_id
from mimamori.protocol.timefmt import to_epoch_ms
from tests.hub.helpers import (
    MIN,
    T0,
    TAG_TSURU,
    alerts_document,
    event,
    hub_document,
    import_register_of,
    missed,
    open_test_store,
    registry_of_doc,
    service_of,
)

ROUNDS = 30


@pytest.fixture
async def two(tmp_path: Path) -> AsyncIterator[tuple[SqlStore, SqlStore]]:
    first = await open_test_store(tmp_path)
    second = await open_test_store(tmp_path)  # the same database, its own connections
    yield first, second
    await first.close()
    await second.close()


async def test_two_workers_claim_each_notification_once(
    two: tuple[SqlStore, SqlStore],
) -> None:
    a, b = two
    async with a._transaction("queueing") as db:
        await db.executemany(
            "INSERT INTO notifications (alert_id, recipient_id, channel, dedupe_key, title, "
            "body, state, next_at, created_at) VALUES (NULL, 'r-1', 0, ?, 't', 'b', "
            "'pending', 0, 0)",
            [(f"k-{n}",) for n in range(200)],
        )

    async def worker(store: SqlStore) -> list[int]:
        got: list[int] = []
        while batch := await store.claim_notifications(T0, lease_s=600, limit=7):
            got += [n.id for n in batch]
        return got

    first, second = await asyncio.gather(worker(a), worker(b))
    claimed = Counter(first + second)
    assert len(claimed) == 200 and set(claimed.values()) == {1}


async def test_two_alert_engines_on_the_same_events_apply_each_event_and_step_once(
    tmp_path: Path, two: tuple[SqlStore, SqlStore]
) -> None:
    a, b = two
    doc = alerts_document(tmp_path)
    await import_register_of(a, doc)
    registry = await load_registry(b)
    engines = [AlertEngine(service_of(doc), registry, store, clock=system_clock) for store in two]
    for n in range(ROUNDS):
        # Each round a new event, and both engines at once.
        at = T0 + n * MIN
        kind, card = (
            (EventKind.CHECKIN_SOS, "sos") if n % 2 else (EventKind.CHECKIN_CONSULT, "soudan")
        )
        data = {"device": "b", "card": card, "next_due": format_ts(at + 60 * MIN)}
        await a.ingest([("gw-home", event(kind, at, **data))], [], T0)
        await asyncio.gather(*(e.process_events() for e in engines))
    alerts = await b.alerts(None, include_resolved=True)
    assert sum(alert.events for alert in alerts) == ROUNDS  # no event applied twice
    assert (await b.events_for_alerts(10))[2] == []

    # Both escalate the same due steps at once: each step is done by one of them.
    await a.ingest([("gw-home", missed(1, T0))], [], T0)
    await asyncio.gather(*(e.process_events() for e in engines))
    later = T0 + 7 * 60 * MIN
    due = len(await a.due_escalations(later, limit=1000))
    done = await asyncio.gather(*(e.escalate(later) for e in engines))
    assert due > 1 and sum(done) == due
    rows = await a._query("SELECT alert_id, step, round, state FROM escalations", [])
    steps = Counter((alert, step, rnd) for alert, step, rnd, state in rows if state != "cancelled")
    assert set(steps.values()) == {1}  # no step, and no repeat of one, twice
    keys = [n["id"] for n in await a.notification_log()]
    assert len(keys) == len(set(keys)) > 0


async def test_a_worker_passes_the_others_sightings_to_its_live_pages_once(
    tmp_path: Path, two: tuple[SqlStore, SqlStore]
) -> None:
    a, b = two
    registry = registry_of_doc(hub_document(tmp_path, 1883, 8080))
    live = LiveHub(registry)
    follower = LiveFollower(b, live)
    cursor = await b.last_seqno()

    def seen() -> Event:
        data = {"tag": TAG_TSURU, "receiver": "vm", "rssi": -60}
        return EventDraft(EventKind.TAG_SEEN, T0, data).numbered(new_event_id(), 1)

    with live.subscribe("p-tsuru") as subscription:
        elsewhere = await a.ingest([("gw-a", seen())], [], T0)  # the other worker
        here = await b.ingest([("gw-b", seen())], [], T0)  # this one ...
        AfterCommit(live)(here.new_events)  # ... whose ingest handed it on at once
        cursor = await follower.step(cursor)
        got = [subscription.queue.get_nowait() for _ in range(subscription.queue.qsize())]
    # Its own sighting once (from its ingest), the other worker's from the follower.
    assert [item.point.gateway_id for item in got if item] == ["gw-b", "gw-a"]
    assert len(here.new_events) == len(elsewhere.new_events) == 1
    assert cursor == await a.last_seqno() and await follower.step(cursor) == cursor



async def test_a_step_taken_while_an_answer_holds_its_alert_waits_for_the_answer(
    tmp_path: Path, two: tuple[SqlStore, SqlStore]
) -> None:
    """One worker answers an alert (the alert locked first, then its steps changed: here
    resolved, every step cancelled) while the other takes one of its steps: the step
    waits for the alert too, then finds itself cancelled. Neither waits on the other.
    (On PostgreSQL the step once locked itself first, then the alert: a deadlock, and a
    500 for the person answering.)"""
    a, b = two
    doc = alerts_document(tmp_path)
    await import_register_of(a, doc)
    engine = AlertEngine(service_of(doc), await load_registry(b), b, clock=system_clock)
    await a.ingest([("gw-home", missed(1, T0))], [], T0)
    await engine.process_events()
    [alert] = await a.alerts(None, include_resolved=False)
    # Someone said 対応します until T0: taking a step then also takes the alert back.
    await a.handle_alert(alert.id, by="higa", role="family", note="", now=T0, until=T0)
    [first, *_] = await b.due_escalations(T0)
    async with a._transaction("resolving, held open") as db:
        assert await a._open_alert(db, alert.id) is not None  # the alert is locked
        taking = asyncio.create_task(b.complete_escalation(first.id, [], None, T0))
        await asyncio.sleep(0.5)  # the step goes as far as it can meanwhile
        await close_alert(db, alert.id, to_epoch_ms(T0), by="yamashiro", note="", outcome=None)
    assert await asyncio.wait_for(taking, 30) is False  # cancelled before it was taken
    rows = await b._query("SELECT state FROM escalations WHERE id = ?", [first.id])
    assert rows == [("cancelled",)]
