"""Privacy meets searches, on real SQLite files: a running search keeps what it needs
from the purge; forgetting and exporting a person cover their searches and notices;
another town's search lets its tags in at ingest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mimamori.errors import StoreError
from mimamori.hub.model.alerts import Notice, NotificationDraft
from mimamori.hub.model.eid import EidTagRecord
from mimamori.hub.model.federation import ForeignSearch
from mimamori.hub.model.privacy import PersonScope
from mimamori.hub.model.searches import Participant, Search
from mimamori.hub.privacy.admission import Admission, search_visits
from mimamori.hub.privacy.retention import purge
from mimamori.hub.store.sql_store import SqlStore
from mimamori.protocol import EventDraft, EventKind, new_event_id
from tests.hub.helpers import (
    DAY,
    NOW,
    TAG_KAMA,
    TAG_TSURU,
    all_tags,
    hub_config,
    hub_document,
    registry,
    registry_of_doc,
    sight,
)

STRANGER = "ibeacon:00000000-0000-0000-0000-000000000009:9:9"


async def search_for(store: SqlStore, person: str, started: datetime, active: bool) -> str:
    sid = f"s-{person}-{int(started.timestamp())}"
    search = Search(sid, person, "active", "staff-1", started, started + DAY)
    await store.add_search(search, Participant("staff-1", "staff", None, None, started))
    if not active:
        await store.end_search(sid, "found", "staff-1", "", started + timedelta(hours=2))
    return sid


def notice(key: str, recipient: str = "r-miyagi") -> Notice:
    draft = NotificationDraft(None, recipient, 0, f"notice-{key}-1-{recipient}-0", "t", "b")
    return Notice(key, NOW, 60.0, (draft,), NOW)


async def test_a_running_search_keeps_its_persons_sightings_from_before_it_started(
    store: SqlStore, tmp_path: Path
) -> None:
    await sight(store, TAG_KAMA, 50 * DAY, 34 * DAY)
    await sight(store, TAG_TSURU, 34 * DAY)
    sid = await search_for(store, "p-kama", NOW - 5 * DAY, active=True)
    settings = hub_config(tmp_path, 1883, 8080).hub.privacy
    report = await purge(store, registry(tmp_path), settings, NOW)
    # p-kama's window opens 30 days before the search began (35 days ago)
    assert (report.total, report.protected) == (6, 3)
    assert len(await all_tags(store, TAG_KAMA)) == 3
    await store.end_search(sid, "found", "staff-1", "", NOW)
    assert (await purge(store, registry(tmp_path), settings, NOW)).total == 3


async def test_forgetting_a_person_removes_their_searches_and_notices_not_others(
    store: SqlStore,
) -> None:
    sid = await search_for(store, "p-kama", NOW - 3 * DAY, active=False)
    other = await search_for(store, "p-tsuru", NOW - 3 * DAY, active=False)
    await store.add_share(
        sid, "hash-1", label="宜野湾署", created_by="staff-1", now=NOW, expires_at=NOW + DAY
    )
    await store.mark_relayed(sid, "urasoe", "ended")
    await store.apply_alert_changes(
        [],
        0,
        {},
        [
            notice("outing:p-kama:out"),
            notice(f"search:{sid}:gw-a"),
            notice("outing:p-tsuru:out"),
            notice(f"search:{other}:gw-a"),
        ],
    )
    report = await store.forget_person(PersonScope("p-kama", (TAG_KAMA,)), NOW, by="test")
    assert report.removed == {
        "notice_throttle": 2,
        "notifications": 2,
        "search_participants": 1,
        "search_relays": 1,
        "search_shares": 1,
        "searches": 1,
    }
    assert [s.id for s in await store.searches(None, active_only=False)] == [other]
    left = await store.notification_log()
    assert len(left) == 2 and {n["recipient_id"] for n in left} == {"r-miyagi"}


async def test_a_person_being_searched_for_cannot_be_forgotten_until_the_search_ends(
    store: SqlStore,
) -> None:
    sid = await search_for(store, "p-kama", NOW - DAY, active=True)
    await sight(store, TAG_KAMA, DAY)
    with pytest.raises(StoreError, match=f"p-kama is being searched for \\({sid}\\)"):
        await store.forget_person(PersonScope("p-kama", (TAG_KAMA,)), NOW, by="test")
    assert len(await all_tags(store, TAG_KAMA)) == 3  # nothing happened


async def test_an_export_holds_the_persons_searches_and_notices(store: SqlStore) -> None:
    sid = await search_for(store, "p-kama", NOW - 3 * DAY, active=False)
    await store.apply_alert_changes(
        [], 0, {}, [notice(f"search:{sid}:gw-a"), notice("outing:p-tsuru:out")]
    )
    records = await store.person_records(PersonScope("p-kama", (TAG_KAMA,)))
    assert [(s["id"], s["state"], s["ended_by"]) for s in records["searches"]] == [
        (sid, "found", "staff-1")
    ]
    assert [n["title"] for n in records["notifications"]] == ["t"]


def tag_event(tag: str, at: datetime) -> object:
    return EventDraft(EventKind.TAG_SEEN, at, {"tag": tag, "receiver": "vm"}).numbered(
        new_event_id(), 1
    )


async def test_another_towns_search_lets_its_tags_in_for_its_window_only(
    store: SqlStore, tmp_path: Path
) -> None:
    started = datetime.now(UTC) - timedelta(hours=1)
    relayed = ForeignSearch(
        "urasoe.s-1", "urasoe", "s-1", (STRANGER,), started, started + DAY, "active"
    )
    admission = Admission(
        registry(tmp_path),
        require_consent=True,
        visits=lambda: search_visits(store, registry(tmp_path), datetime.now(UTC)),
    )
    during = ("gw-a", tag_event(STRANGER, started + timedelta(minutes=30)))
    before = ("gw-a", tag_event(STRANGER, started - timedelta(minutes=30)))
    kept, dropped = await admission.admit([during, before])
    assert kept == [] and dropped == {"unregistered": 2}
    await store.put_foreign_search(relayed, DAY)  # it arrives: the next batch sees it
    kept, dropped = await admission.admit([during, before])
    assert kept == [during] and dropped == {"unregistered": 1}


async def test_a_person_without_consent_is_seen_while_they_are_searched_for(
    store: SqlStore, tmp_path: Path
) -> None:
    base = hub_document(tmp_path, 1883, 8080)
    del base["people"][1]["consent"]  # p-kama: no consent on record
    town = registry_of_doc(base)
    admission = Admission(
        town, require_consent=True, visits=lambda: search_visits(store, town, datetime.now(UTC))
    )
    now = datetime.now(UTC)
    sighting = ("gw-a", tag_event(TAG_KAMA, now))
    assert (await admission.admit([sighting]))[1] == {"no_consent": 1}
    await search_for(store, "p-kama", now - timedelta(minutes=5), active=True)
    assert (await admission.admit([sighting]))[0] == [sighting]


async def test_forgetting_a_person_deletes_the_keys_of_their_rotating_id_tags(
    store: SqlStore,
) -> None:
    for name in ("eid:tsuru-1", "eid:kama-1"):
        record = EidTagRecord(name, b"sealed", 10, 0, 0, NOW, NOW)
        await store.put_eid_tag(record, replace=False)
    report = await store.forget_person(PersonScope("p-tsuru", ("eid:tsuru-1",)), NOW, by="test")
    assert report.removed == {"eid_tags": 1}
    assert [t.tag_id for t in await store.eid_tags()] == ["eid:kama-1"]
    assert [f.tag for f in await store.forgotten_tags()] == ["eid:tsuru-1"]
