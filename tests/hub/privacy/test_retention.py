"""Keeping only what is needed, on real SQLite files: the purge and its protected
windows, forgetting a person, exporting their records, the migration under them."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from mimamori.hub.model.alerts import NotificationDraft, PlanStep, Raise, Severity
from mimamori.hub.model.privacy import PersonScope, ProtectedWindow
from mimamori.hub.privacy.admission import person_scope
from mimamori.hub.privacy.retention import describe, purge, run_retention
from mimamori.hub.store.schema import MIGRATIONS
from mimamori.hub.store.sql import SQLITE
from mimamori.hub.store.sql_store import SqlStore
from mimamori.hub.store.sqlite import SqliteStore
from mimamori.protocol import Event, EventDraft, EventKind, format_ts, new_event_id
from tests.hub.helpers import (
    DAY,
    NOW,
    TAG_KAMA,
    TAG_KAMA_SPARE,
    TAG_TSURU,
    HubClock,
    all_tags,
    hub_config,
    registry,
    sight,
    sighting,
    until,
)


def checkin(at: datetime, seq: int = 1, kind: EventKind = EventKind.CHECKIN_DONE) -> Event:
    data = {"device": "b", "card": "sos" if kind == EventKind.CHECKIN_SOS else "genki"}
    return EventDraft(kind, at, {**data, "next_due": format_ts(at + DAY)}).numbered(
        new_event_id(), seq
    )


async def open_household_alert(store: SqlStore, opened: datetime) -> int:
    change = Raise("checkin_missed", "household:hh-1", "hh-1", Severity.WARNING, opened)
    counts = await store.apply_alert_changes(
        [change], 0, {"hh-1": [PlanStep(0, 0.0, ("r-miyagi",))]}
    )
    return counts.opened[0].id


# -- purge --------------------------------------------------------------------------------


async def test_sightings_older_than_the_retention_are_purged_and_reported_by_kind(
    store: SqlStore, tmp_path: Path
) -> None:
    await sight(store, TAG_TSURU, 45 * DAY, 31 * DAY, 29 * DAY, 2 * DAY)
    await store.ingest([("gw-home", checkin(NOW - 60 * DAY))], [], NOW)
    config = hub_config(tmp_path, 1883, 8080)
    report = await purge(store, registry(tmp_path), config.hub.privacy, NOW)
    assert report.removed == {"tag.arrived": 2, "tag.left": 2, "tag.seen": 2}
    assert report.total == 6 and report.protected == 0
    assert min(await all_tags(store, TAG_TSURU)) >= NOW - 30 * DAY
    assert len(await all_tags(store, TAG_TSURU)) == 6
    # check-ins are not sightings: the purge never touches them
    home = await store.events_of(["gw-home"], ["checkin.done"], NOW - 100 * DAY, NOW)
    assert len(home) == 1
    assert describe(report).startswith("removed 6 sighting(s) from before 2026-10-23 09:00 UTC")


async def test_the_scheduled_purge_removes_what_is_older_than_the_window_by_the_hubs_clock(
    store: SqlStore, tmp_path: Path
) -> None:
    clock = HubClock()  # 2031: by the wall clock nothing here would be old yet
    settings = hub_config(tmp_path, 1883, 8080).hub.privacy
    cutoff = clock() - timedelta(days=settings.sightings_days)
    ms = timedelta(milliseconds=1)
    old = sighting(EventKind.TAG_SEEN, TAG_TSURU, cutoff - ms, seq=1)
    kept = sighting(EventKind.TAG_SEEN, TAG_TSURU, cutoff, seq=2)
    await store.ingest([("gw-a", old), ("gw-a", kept)], [], clock())
    purging = asyncio.create_task(run_retention(store, registry(tmp_path), settings, clock))
    try:

        async def purged() -> bool:
            found = await store.sightings([TAG_TSURU], cutoff - DAY, clock(), 10)
            return [s.ts for s in found] == [cutoff]

        await until(purged)
    finally:
        purging.cancel()
        await asyncio.gather(purging, return_exceptions=True)


async def test_a_dry_run_counts_what_would_go_and_removes_nothing(
    store: SqlStore, tmp_path: Path
) -> None:
    await sight(store, TAG_TSURU, 40 * DAY, 1 * DAY)
    config = hub_config(tmp_path, 1883, 8080)
    report = await purge(store, registry(tmp_path), config.hub.privacy, NOW, dry_run=True)
    assert report.total == 3 and report.dry_run
    assert len(await all_tags(store, TAG_TSURU)) == 6
    assert describe(report).startswith("would remove 3 sighting(s)")


async def test_an_open_alert_keeps_its_peoples_sightings_until_it_is_resolved(
    store: SqlStore, tmp_path: Path
) -> None:
    await sight(store, TAG_KAMA, 50 * DAY, 40 * DAY)  # p-kama lives in hh-1
    await sight(store, TAG_KAMA_SPARE, 35 * DAY)
    await sight(store, TAG_TSURU, 40 * DAY)  # p-tsuru has nothing to do with it
    alert = await open_household_alert(store, NOW - 5 * DAY)
    settings = hub_config(tmp_path, 1883, 8080).hub.privacy
    first = await purge(store, registry(tmp_path), settings, NOW)
    # the window runs from 30 days before the alert opened (35 days ago) until now
    assert first.total == 3 + 3 + 3 and first.protected == 3
    assert await all_tags(store, TAG_TSURU) == []
    assert len(await all_tags(store, TAG_KAMA, TAG_KAMA_SPARE)) == 3
    # someone handling it: still open
    await store.handle_alert(alert, by="miyagi", role="family", note="", now=NOW, until=NOW + DAY)
    assert (await purge(store, registry(tmp_path), settings, NOW)).protected == 3
    await store.resolve_alert(alert, "miyagi", "found", NOW)
    last = await purge(store, registry(tmp_path), settings, NOW)
    assert last.total == 3 and await all_tags(store, TAG_KAMA, TAG_KAMA_SPARE) == []


async def test_a_protected_window_keeps_exactly_its_tags_and_time_range(
    store: SqlStore,
) -> None:
    await sight(store, TAG_TSURU, 60 * DAY, 50 * DAY, 40 * DAY)
    await sight(store, TAG_KAMA, 50 * DAY)
    window = ProtectedWindow((TAG_TSURU,), NOW - 51 * DAY, NOW - 49 * DAY, "search:s-1")
    report = await store.purge_sightings(NOW - 30 * DAY, [window])
    assert report.protected == 3 and report.total == 9
    assert [ts.date() for ts in await all_tags(store, TAG_TSURU, TAG_KAMA)] == [
        (NOW - 50 * DAY).date()
    ] * 3


async def test_a_large_purge_goes_in_batches_and_leaves_the_rest_alone(
    store: SqlStore,
) -> None:
    events = [
        sighting(EventKind.TAG_SEEN, TAG_TSURU, NOW - 40 * DAY + timedelta(seconds=n), n + 1)
        for n in range(2500)
    ]
    await store.ingest([("gw-a", e) for e in events], [], NOW)
    await sight(store, TAG_TSURU, 1 * DAY)
    report = await store.purge_sightings(NOW - 30 * DAY, [], batch=300)
    assert report.removed == {"tag.seen": 2500}
    assert len(await all_tags(store, TAG_TSURU)) == 3


# -- forget -------------------------------------------------------------------------------


async def alert_with_a_sent_notification(store: SqlStore) -> int:
    alert = await open_household_alert(store, NOW - DAY)
    [step] = await store.due_escalations(NOW)
    note = NotificationDraft(alert, "r-miyagi", 0, f"a{alert}", "みまもり", "宮城さん宅")
    assert await store.complete_escalation(step.id, [note], None, NOW)
    [queued] = await store.claim_notifications(NOW, 60)
    await store.record_delivery(queued.id, True, "", NOW, None)
    return alert


async def kama_everywhere(store: SqlStore) -> None:
    await sight(store, TAG_KAMA, 3 * DAY, 2 * DAY)
    await sight(store, TAG_KAMA_SPARE, 1 * DAY)
    await sight(store, TAG_TSURU, 1 * DAY, gw="gw-home")  # a visitor at her home
    await store.ingest([("gw-home", checkin(NOW - 2 * DAY)), ("gw-home", checkin(NOW))], [], NOW)
    await store.audit(
        NOW, who="staff-1", role="staff", action="view.location", subject="person:p-kama"
    )
    await alert_with_a_sent_notification(store)


async def test_forgetting_a_person_removes_their_sightings_home_alerts_and_notices(
    store: SqlStore, tmp_path: Path
) -> None:
    await kama_everywhere(store)
    scope = person_scope(registry(tmp_path), "p-kama", alone_only=True)
    assert scope == PersonScope("p-kama", (TAG_KAMA, TAG_KAMA_SPARE), ("hh-1",), ("gw-home",))
    report = await store.forget_person(scope, NOW, by="cli:root")
    assert report.removed == {
        "alerts": 1,
        "deliveries": 1,
        "escalations": 1,
        "home_events.checkin.done": 2,
        "notifications": 1,
        "sightings.tag.arrived": 3,
        "sightings.tag.left": 3,
        "sightings.tag.seen": 3,
    }
    assert await all_tags(store, TAG_KAMA, TAG_KAMA_SPARE) == []
    assert len(await all_tags(store, TAG_TSURU)) == 3  # the visitor's sightings are hers
    assert await store.alerts(None, include_resolved=True) == []
    assert await store.notification_log() == []
    # the audit log stays: the view of her location, and the forget itself
    log = await store.audit_log(NOW - DAY, 10)
    assert [(e.action, e.subject) for e in log] == [
        ("person.forget", "person:p-kama"),
        ("view.location", "person:p-kama"),
    ]
    assert log[0].who == "cli:root" and "sightings.tag.seen 3" in (log[0].detail or "")


async def test_a_dry_run_forget_counts_the_same_and_changes_nothing(
    store: SqlStore, tmp_path: Path
) -> None:
    await kama_everywhere(store)
    scope = person_scope(registry(tmp_path), "p-kama", alone_only=True)
    dry = await store.forget_person(scope, NOW, by="cli:root", dry_run=True)
    assert dry.dry_run and len(await all_tags(store, TAG_KAMA, TAG_KAMA_SPARE)) == 9
    assert await store.forgotten_tags() == []
    assert len(await store.audit_log(NOW - DAY, 10)) == 1
    real = await store.forget_person(scope, NOW, by="cli:root")
    assert real.removed == dry.removed


async def test_a_forgotten_persons_tags_are_refused_until_the_tag_goes_to_someone_else(
    store: SqlStore,
) -> None:
    await store.forget_person(PersonScope("p-kama", (TAG_KAMA,)), NOW, by="cli:root")
    result = await store.ingest(
        [("gw-a", sighting(EventKind.TAG_SEEN, TAG_KAMA, NOW)), ("gw-a", checkin(NOW, 2))],
        [],
        NOW,
    )
    assert result.forgotten == 1 and [e.kind for e in result.new_events] == ["checkin.done"]
    assert [(f.tag, f.person_id) for f in await store.forgotten_tags()] == [(TAG_KAMA, "p-kama")]
    assert await store.release_forgotten_tags({TAG_KAMA: "p-kama"}) == []  # still hers
    assert await store.release_forgotten_tags({TAG_KAMA: "p-new"}) == [TAG_KAMA]
    again = await store.ingest([("gw-a", sighting(EventKind.TAG_SEEN, TAG_KAMA, NOW))], [], NOW)
    assert len(again.new_events) == 1 and again.forgotten == 0


async def test_events_after_forgetting_the_newest_ones_still_reach_the_alert_rules(
    store: SqlStore,
) -> None:
    # The alert engine reads events past a rowid cursor; a reused rowid would hide an SOS.
    await store.ingest([("gw-home", checkin(NOW - DAY))], [], NOW)
    await sight(store, TAG_KAMA, timedelta(hours=1))  # the newest rows
    since, cursor, seen = await store.events_for_alerts(100)
    assert len(seen) == 4
    await store.apply_alert_changes([], cursor, {}, since=since)
    await store.forget_person(PersonScope("p-kama", (TAG_KAMA,)), NOW, by="cli:root")
    await store.ingest([("gw-home", checkin(NOW, 9, EventKind.CHECKIN_SOS))], [], NOW)
    _, _, after = await store.events_for_alerts(100)
    assert [e.kind for e in after] == ["checkin.sos"]


# -- export -------------------------------------------------------------------------------


async def test_a_persons_records_hold_their_sightings_home_alerts_notices_and_views(
    store: SqlStore, tmp_path: Path
) -> None:
    await kama_everywhere(store)
    scope = person_scope(registry(tmp_path), "p-kama", alone_only=False)
    records = await store.person_records(scope)
    assert {k: len(v) for k, v in records.items()} == {
        "sightings": 9,
        "home_events": 2,
        "alerts": 1,
        "searches": 0,
        "notifications": 1,
        "photos": 0,  # none uploaded (tests/hub/desk/test_desk_photos.py has one)
        "audit": 1,
    }
    first = records["sightings"][0]
    assert first["kind"] == "tag.arrived" and first["data"]["tag"] == TAG_KAMA
    assert first["ts"].endswith("Z") and first["gateway"] == "gw-a"
    assert records["notifications"][0]["state"] == "sent"
    assert records["audit"][0]["action"] == "view.location"
    nobody = await store.person_records(PersonScope("p-none", ()))
    assert all(v == [] for v in nobody.values())


# -- the migration ------------------------------------------------------------------------


@pytest.mark.sqlite_only
async def test_a_schema_8_database_keeps_its_events_rowids_and_alert_cursor(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        for migration in MIGRATIONS[:8]:
            db.executescript(migration.script(SQLITE))
        db.execute("PRAGMA user_version = 8")
        for n in range(1, 6):
            db.execute(
                "INSERT INTO events (id, gateway_id, seq, ts, kind, tag, data, received_at) "
                "VALUES (?, 'gw-a', ?, ?, 'tag.seen', ?, '{}', 0)",
                (f"e{n}", n, n, TAG_TSURU),
            )
        db.execute("DELETE FROM events WHERE id = 'e2'")  # a gap, as a purge would leave
        db.execute("UPDATE alert_cursor SET last_rowid = 4")
    store = await SqliteStore.open(path)
    try:
        _, _, pending = await store.events_for_alerts(10)
        assert [e.id for e in pending] == ["e5"]  # the cursor still means the same events
        await store.forget_person(PersonScope("p-tsuru", (TAG_TSURU,)), NOW, by="test")
        await store.ingest([("gw-home", checkin(NOW))], [], NOW)
        _, _, pending = await store.events_for_alerts(10)
        assert [e.kind for e in pending] == ["checkin.done"]
    finally:
        await store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT max(seqno) FROM events").fetchone() == (6,)
