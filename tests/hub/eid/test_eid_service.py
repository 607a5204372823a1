"""Rotating ids at the hub: keys sealed at rest, resolution before storage, rotations merged.

A real SQLite store; the service's clock is virtual.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mimamori.errors import StoreError
from mimamori.hub.config import EidSettings
from mimamori.hub.eid.keys import EidKeyError, load_kek, require_kek, seal, unseal
from mimamori.hub.eid.service import EidService
from mimamori.hub.model.searches import Search
from mimamori.hub.searches.service import SearchService
from mimamori.hub.store.sql_store import SqlStore
from mimamori.protocol.events import Event, EventDraft, EventKind, new_event_id
from tests.hub.eid_helpers import (
    KEK,
    KEK_HEX,
    OFFSET,
    T0,
    TSURU,
    TSURU_KEY,
    P,
    eid_config,
    eid_registry,
    register,
    shown,
)
from tests.hub.helpers import TAG_KAMA, hub_config, registry

NO_ENV: dict[str, str] = {}


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(T0 + seconds, UTC)


def event(kind: EventKind, tag: str, ts: datetime, **data: object) -> Event:
    body: dict[str, object] = {"tag": tag, "receiver": "vm", **data}
    if kind != EventKind.TAG_LEFT:
        body.setdefault("rssi", -70)
    return EventDraft(kind, ts, body).numbered(new_event_id(), 1)


async def service(tmp_path: Path, store: SqlStore, now: list[float]) -> EidService:
    config = eid_config(tmp_path)
    await register(store)
    opened = await EidService.open(
        config,
        eid_registry(tmp_path),
        store,
        clock=lambda: datetime.fromtimestamp(now[0], UTC),
        environ=NO_ENV,
    )
    assert opened is not None
    return opened


# -- keys at rest ---------------------------------------------------------------------------


def test_a_sealed_key_opens_only_with_its_kek_and_only_for_its_own_tag() -> None:
    sealed = seal(KEK, TSURU, TSURU_KEY)
    assert TSURU_KEY not in sealed
    assert unseal(KEK, TSURU, sealed) == TSURU_KEY
    with pytest.raises(EidKeyError, match="does not open"):
        unseal(bytes(32), TSURU, sealed)
    with pytest.raises(EidKeyError, match="does not open"):
        unseal(KEK, "eid:someone-else", sealed)  # a row copied onto another tag


def test_the_kek_comes_from_the_environment_first_then_the_file(tmp_path: Path) -> None:
    file = tmp_path / "eid.kek"
    file.write_text(KEK_HEX + "\n")
    settings = EidSettings(kek_file=file)
    assert load_kek(settings, NO_ENV) == KEK
    assert load_kek(settings, {"MIMAMORI_EID_KEK": "ab" * 32}) == b"\xab" * 32
    assert load_kek(EidSettings(), NO_ENV) is None
    with pytest.raises(EidKeyError, match="64 hex digits"):
        load_kek(settings, {"MIMAMORI_EID_KEK": "abcd"})
    with pytest.raises(EidKeyError, match="hub tag kek"):
        load_kek(EidSettings(kek_file=tmp_path / "missing"), NO_ENV)
    with pytest.raises(EidKeyError, match="MIMAMORI_EID_KEK"):
        require_kek(EidSettings(), NO_ENV)


async def test_the_store_keeps_sealed_keys_and_learned_clocks(store: SqlStore) -> None:
    await register(store)
    with pytest.raises(StoreError, match="has a key already"):
        await register(store)
    [record] = await store.eid_tags()
    assert record.tag_id == TSURU and TSURU_KEY not in record.sealed_key
    await store.save_eid_clocks([(TSURU, OFFSET - 3, OFFSET + 4)], at(0))
    [record] = await store.eid_tags()
    assert (record.offset_lo, record.offset_hi) == (OFFSET - 3, OFFSET + 4)


async def test_eid_tags_without_a_kek_refuse_to_start(tmp_path: Path, store: SqlStore) -> None:
    config, registry = eid_config(tmp_path), eid_registry(tmp_path)
    (tmp_path / "eid.kek").unlink()
    with pytest.raises(EidKeyError, match="hub tag kek"):
        await EidService.open(config, registry, store, clock=lambda: at(0), environ=NO_ENV)
    # with the wrong key the sealed keys do not open: refused too
    (tmp_path / "eid.kek").write_text("00" * 32)
    await register(store)
    with pytest.raises(EidKeyError, match="does not open"):
        await EidService.open(config, registry, store, clock=lambda: at(0), environ=NO_ENV)


async def test_a_registry_without_eid_tags_needs_no_kek(tmp_path: Path, store: SqlStore) -> None:
    plain = hub_config(tmp_path, 1883, 0)  # no kek_file, no eid: tags
    assert (
        await EidService.open(plain, registry(tmp_path), store, clock=lambda: at(0), environ=NO_ENV)
        is None
    )


async def test_an_eid_tag_with_no_key_yet_is_named_in_the_log(
    tmp_path: Path, store: SqlStore, caplog: pytest.LogCaptureFixture
) -> None:
    config = eid_config(tmp_path)
    with caplog.at_level(logging.WARNING):
        eid = await EidService.open(
            config, eid_registry(tmp_path), store, clock=lambda: at(0), environ=NO_ENV
        )
    assert eid is not None and eid.resolver.tags == 0
    assert "eid:tsuru has no key" in caplog.text


# -- resolution at ingest -------------------------------------------------------------------


async def test_a_resolved_eid_is_stored_as_the_registry_tag_and_the_eid_is_gone(
    tmp_path: Path, store: SqlStore
) -> None:
    now = [T0 + 10]
    eid = await service(tmp_path, store, now)
    other = event(EventKind.TAG_SEEN, TAG_KAMA, at(9))
    found = await eid.resolve(
        [("gw-a", event(EventKind.TAG_ARRIVED, shown(T0 + 9), at(9))), ("gw-a", other)]
    )
    assert found.resolved == 1 and found.unknown == 0
    [(gw, stored), (_, untouched)] = found.events
    assert gw == "gw-a" and stored.kind == EventKind.TAG_ARRIVED
    assert stored.data["tag"] == TSURU and "eddystone-eid" not in str(stored.data)
    assert untouched is other


async def test_unknown_eids_are_dropped_and_replays_rejected_with_their_gateway(
    tmp_path: Path, store: SqlStore
) -> None:
    now = [T0 + 5 * P]
    eid = await service(tmp_path, store, now)
    stranger = shown(now[0], key=bytes(16))
    recorded = shown(T0)  # tsuru's id of five periods ago, played back now
    found = await eid.resolve(
        [
            ("gw-a", event(EventKind.TAG_ARRIVED, stranger, at(5 * P))),
            ("gw-b", event(EventKind.TAG_ARRIVED, recorded, at(5 * P))),
        ]
    )
    assert found.events == [] and found.unknown == 1
    [(gw, tag, why)] = found.replays
    assert (gw, tag) == ("gw-b", TSURU) and "heard in period" in why


async def test_a_late_leave_is_resolved_at_its_last_advert_not_when_it_was_decided(
    tmp_path: Path, store: SqlStore
) -> None:
    # the leave was decided three periods after the id's last advert (a long leave_after_s)
    now = [T0 + 4 * P]
    eid = await service(tmp_path, store, now)
    left = event(
        EventKind.TAG_LEFT,
        shown(T0 + 10),
        at(3 * P + 10),
        arrived_at=at(0).isoformat(),
        last_seen=at(10).isoformat(),
    )
    found = await eid.resolve([("gw-a", left)])
    assert found.resolved == 1 and found.replays == []


async def test_a_rotation_at_one_gateway_stays_one_visit(tmp_path: Path, store: SqlStore) -> None:
    # The gateway sees tsuru's new id arrive at the period boundary and her old id
    # leave a little later: one visit, continued. Her real leave still counts.
    boundary = 65_536 - 65_280  # counter 65,536 starts a period, 256 s after T0
    now = [T0 + boundary + 200]
    eid = await service(tmp_path, store, now)
    old, new = shown(T0 + 10), shown(T0 + boundary + 1)
    batch = [
        ("gw-a", event(EventKind.TAG_ARRIVED, old, at(10))),
        ("gw-a", event(EventKind.TAG_SEEN, old, at(70))),
        ("gw-a", event(EventKind.TAG_ARRIVED, new, at(boundary + 1))),
        ("gw-a", event(EventKind.TAG_SEEN, new, at(boundary + 60))),
        (
            "gw-a",
            event(
                EventKind.TAG_LEFT,
                old,
                at(boundary + 120),
                arrived_at=at(10).isoformat(),
                last_seen=at(boundary - 1).isoformat(),
            ),
        ),
        (
            "gw-a",
            event(
                EventKind.TAG_LEFT,
                new,
                at(boundary + 190),
                arrived_at=at(boundary + 1).isoformat(),
                last_seen=at(boundary + 70).isoformat(),
            ),
        ),
    ]
    found = await eid.resolve(batch)
    kinds = [e.kind for _, e in found.events]
    assert kinds == [
        EventKind.TAG_ARRIVED,
        EventKind.TAG_SEEN,
        EventKind.TAG_SEEN,  # the new id's arrival: she was here already
        EventKind.TAG_SEEN,
        EventKind.TAG_LEFT,  # only her real leave; the old id's went
    ]
    assert found.merged == 2 and found.resolved == 6


async def test_an_arrival_at_another_gateway_is_an_arrival(tmp_path: Path, store: SqlStore) -> None:
    now = [T0 + 300]
    eid = await service(tmp_path, store, now)
    found = await eid.resolve(
        [
            ("gw-a", event(EventKind.TAG_ARRIVED, shown(T0 + 10), at(10))),
            ("gw-b", event(EventKind.TAG_ARRIVED, shown(T0 + 290), at(290))),
        ]
    )
    assert [e.kind for _, e in found.events] == [EventKind.TAG_ARRIVED, EventKind.TAG_ARRIVED]


async def test_the_last_visit_is_read_from_the_store_after_a_restart(
    tmp_path: Path, store: SqlStore
) -> None:
    now = [T0 + 300]
    first = await service(tmp_path, store, now)
    [(gw, stored)] = (
        await first.resolve([("gw-a", event(EventKind.TAG_ARRIVED, shown(T0 + 10), at(10)))])
    ).events
    await store.ingest([(gw, stored)], [], at(11))
    config = eid_config(tmp_path)
    again = await EidService.open(
        config,
        eid_registry(tmp_path),
        store,
        clock=lambda: datetime.fromtimestamp(now[0], UTC),
        environ=NO_ENV,
    )
    assert again is not None
    found = await again.resolve([("gw-a", event(EventKind.TAG_ARRIVED, shown(T0 + 290), at(290)))])
    assert [e.kind for _, e in found.events] == [EventKind.TAG_SEEN]


async def test_what_was_learned_of_a_clock_is_saved_and_used_after_a_restart(
    tmp_path: Path, store: SqlStore
) -> None:
    # the tag runs two periods behind what was registered; a sighting teaches that
    behind = OFFSET - 2 * P
    now = [T0 + 600]
    eid = await service(tmp_path, store, now)
    found = await eid.resolve(
        [("gw-a", event(EventKind.TAG_SEEN, shown(T0 + 600, offset=behind), at(600)))]
    )
    assert found.resolved == 1
    await eid.save_learned()
    [record] = await store.eid_tags()
    assert record.offset_lo <= behind <= record.offset_hi
    config = eid_config(tmp_path)
    later = [T0 + 600 + 3 * P]  # two more periods behind would now be outside the window
    again = await EidService.open(
        config,
        eid_registry(tmp_path),
        store,
        clock=lambda: datetime.fromtimestamp(later[0], UTC),
        environ=NO_ENV,
    )
    assert again is not None
    seen = event(EventKind.TAG_SEEN, shown(later[0], offset=behind - 2 * P), at(600 + 3 * P))
    assert (await again.resolve([("gw-a", seen)])).resolved == 1


async def test_the_ids_a_search_needs_are_wire_tag_ids_with_the_drift_window(
    tmp_path: Path, store: SqlStore
) -> None:
    eid = await service(tmp_path, store, [T0])
    ids = eid.eids_between(TSURU, at(0), at(0) + timedelta(minutes=30))
    assert shown(T0) in ids and shown(T0 + 1800) in ids
    assert shown(T0 - 2 * P) in ids and shown(T0 + 1800 + 2 * P) in ids  # drift, both ways
    assert shown(T0 - 3 * P) not in ids
    assert all(i.startswith("eddystone-eid:") and len(i) == 30 for i in ids)


async def test_a_search_for_a_person_with_an_eid_tag_sends_gateways_her_coming_ids(
    tmp_path: Path, store: SqlStore
) -> None:
    eid = await service(tmp_path, store, [T0])
    config = eid_config(tmp_path)
    searches = SearchService(config.hub.search, eid_registry(tmp_path), store, clock=lambda: at(0))
    search = Search("s-1", "p-tsuru", "active", "family", at(0), at(0) + timedelta(hours=2))
    assert searches.tags(search) == []  # before the keys are open: nothing to send
    searches.eid = eid
    order = searches.order(search)
    assert order.tags == eid.eids_between(TSURU, at(0), at(0) + timedelta(hours=2))
    assert shown(T0 + 3600) in order.tags and TSURU not in order.tags
