"""The store on real databases (SQLite, PostgreSQL): idempotent ingest, queries,
credentials, migrations."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mimamori.errors import StoreError
from mimamori.hub.model.accounts import Credential, CredentialKind, Redeemed
from mimamori.hub.store.sql_store import SqlStore
from mimamori.protocol import (
    Event,
    EventDraft,
    EventKind,
    GatewayStatus,
    format_ts,
    new_event_id,
    to_epoch_ms,
)
from tests.hub.helpers import behind_the_store, open_test_store
from tests.hub.store.schemas import an_older_store

TAG = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:1"


SPARE = "eddystone-uid:00112233445566778899:a1b2c3d4e5f6"


T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def event(kind: EventKind, tag: str, minutes: float, seq: int = 1, **data: object) -> Event:
    draft = EventDraft(
        kind, T0 + timedelta(minutes=minutes), {"tag": tag, "receiver": "vm", **data}
    )
    return draft.numbered(new_event_id(), seq)


async def test_the_same_event_twice_is_stored_once_and_counted(store: SqlStore) -> None:
    e = event(EventKind.TAG_SEEN, TAG, 0)
    first = await store.ingest([("gw-a", e)], [], T0)
    again = await store.ingest([("gw-a", e), ("gw-a", e)], [], T0)
    assert [s.id for s in first.new_events] == [e.id] and first.duplicates == 0
    assert again.new_events == [] and again.duplicates == 2


async def test_a_bunch_of_new_stored_and_repeated_events_keeps_each_new_one_once_in_order(
    store: SqlStore,
) -> None:
    old = event(EventKind.TAG_ARRIVED, TAG, 0)
    await store.ingest([("gw-a", old)], [], T0)
    fresh = [event(EventKind.TAG_SEEN, TAG, n, seq=n + 1) for n in range(1, 4)]
    bunch = [fresh[0], old, fresh[1], fresh[0], fresh[2]]  # a redelivery inside one commit
    result = await store.ingest([("gw-a", e) for e in bunch], [], T0)
    assert [s.id for s in result.new_events] == [e.id for e in fresh]
    assert result.duplicates == 2
    history = await store.sightings([TAG], T0 - timedelta(hours=1), T0 + timedelta(hours=1), 10)
    assert [s.event_id for s in history] == [old.id] + [e.id for e in fresh]
    [gateway] = await store.gateway_states()
    assert gateway.last_event_at == fresh[2].ts


async def test_the_last_sighting_is_the_newest_of_all_the_persons_tags(store: SqlStore) -> None:
    await store.ingest(
        [
            ("gw-a", event(EventKind.TAG_ARRIVED, TAG, 0)),
            ("gw-b", event(EventKind.TAG_SEEN, SPARE, 5, rssi=-61)),
            ("gw-a", event(EventKind.TAG_SEEN, TAG, 3)),
        ],
        [],
        T0,
    )
    last = await store.last_sighting([TAG, SPARE])
    assert last is not None
    assert (last.gateway_id, last.tag, last.rssi) == ("gw-b", SPARE, -61)
    assert await store.last_sighting([]) is None
    assert await store.last_sighting(["ibeacon:00000000-0000-0000-0000-000000000000:0:0"]) is None


async def test_a_leave_remembers_when_the_tag_was_last_heard(store: SqlStore) -> None:
    heard = T0 + timedelta(minutes=1)
    await store.ingest(
        [("gw-a", event(EventKind.TAG_LEFT, TAG, 3, last_seen=format_ts(heard)))], [], T0
    )
    last = await store.last_sighting([TAG])
    assert last is not None and last.seen_at == heard and last.ts == T0 + timedelta(minutes=3)


async def test_sightings_in_a_range_come_oldest_first_keeping_the_newest(
    store: SqlStore,
) -> None:
    await store.ingest(
        [("gw-a", event(EventKind.TAG_SEEN, TAG, m, seq=m + 1)) for m in range(10)], [], T0
    )
    found = await store.sightings([TAG], T0 + timedelta(minutes=2), T0 + timedelta(minutes=7), 3)
    assert [s.ts.minute for s in found] == [5, 6, 7]


async def test_statuses_and_events_make_the_gateway_list(store: SqlStore) -> None:
    await store.ingest(
        [("gw-a", event(EventKind.TAG_SEEN, TAG, 0))],
        [
            GatewayStatus(gw="gw-b", state="online", ts=T0),
            GatewayStatus(gw="gw-c", state="offline"),
        ],
        T0 + timedelta(minutes=1),
    )
    states = {s.gateway_id: s for s in await store.gateway_states()}
    assert states["gw-a"].online is None and states["gw-a"].last_event_at == T0
    # Statuses are stamped with the hub's receive time, never the gateway's clock (a
    # status dated 2100 would otherwise keep a dead gateway "online" for ever).
    assert states["gw-b"].online is True and states["gw-b"].status_at == T0 + timedelta(minutes=1)
    assert states["gw-c"].online is False and states["gw-c"].status_at == T0 + timedelta(minutes=1)


async def test_a_signin_link_is_redeemed_once(store: SqlStore) -> None:
    link = Credential(CredentialKind.SIGNIN, "family", "f-1", "link", T0, T0 + timedelta(hours=1))
    await store.add_credential("h1", link)
    outcome, credential = await store.redeem_signin("h1", T0 + timedelta(minutes=1))
    assert outcome is Redeemed.OK and credential is not None and credential.family_id == "f-1"
    assert (await store.redeem_signin("h1", T0 + timedelta(minutes=2)))[0] is Redeemed.USED
    assert (await store.redeem_signin("nope", T0))[0] is Redeemed.UNKNOWN
    await store.add_credential("h2", link)
    assert (await store.redeem_signin("h2", T0 + timedelta(hours=2)))[0] is Redeemed.EXPIRED


async def test_concurrent_redemptions_of_one_link_let_exactly_one_through(
    store: SqlStore,
) -> None:
    link = Credential(CredentialKind.SIGNIN, "family", "f-1", "link", T0, T0 + timedelta(hours=1))
    await store.add_credential("h", link)
    outcomes = await asyncio.gather(*[store.redeem_signin("h", T0) for _ in range(10)])
    assert sorted(o for o, _ in outcomes).count(Redeemed.OK) == 1


async def test_credentials_expire_and_can_be_deleted(store: SqlStore) -> None:
    session = Credential(CredentialKind.SESSION, "family", "f-1", "s", T0, T0 + timedelta(days=1))
    await store.add_credential("s", session)
    assert await store.find_credential(CredentialKind.SESSION, "s", T0) == session
    assert await store.find_credential(CredentialKind.TOKEN, "s", T0) is None  # kinds never mix
    assert await store.find_credential(CredentialKind.SESSION, "s", T0 + timedelta(days=2)) is None
    await store.delete_credential(CredentialKind.SESSION, "s")
    assert await store.find_credential(CredentialKind.SESSION, "s", T0) is None


async def test_reopening_keeps_data_and_a_newer_schema_is_refused(tmp_path: Path) -> None:
    store = await open_test_store(tmp_path)
    await store.ingest([("gw-a", event(EventKind.TAG_SEEN, TAG, 0))], [], T0)
    await store.close()
    store = await open_test_store(tmp_path)
    assert await store.last_sighting([TAG]) is not None
    await store.close()
    await behind_the_store(
        tmp_path,
        sqlite=["PRAGMA user_version = 99"],
        postgres=["UPDATE schema_version SET version = 99"],
    )
    with pytest.raises(StoreError, match="newer than this hub"):
        await open_test_store(tmp_path)


async def test_many_tasks_sharing_the_store_never_mix_their_transactions(
    store: SqlStore,
) -> None:
    # Ingest, the alert engine, the delivery worker and requests all use one connection;
    # a statement of one must never land inside another's transaction.
    async def ingest(n: int) -> None:
        await store.ingest([("gw-a", event(EventKind.TAG_SEEN, TAG, n, seq=n + 1))], [], T0)

    async def audit(n: int) -> None:
        await store.audit(T0, who=f"u{n}", role="staff", action="view.location", subject="p")

    await asyncio.gather(*(f(n) for n in range(40) for f in (ingest, audit)))
    assert len(await store.sightings([TAG], T0, T0 + timedelta(hours=1), 1000)) == 40
    assert len(await store.audit_log(T0 - timedelta(days=1), 1000)) == 40


async def test_statuses_stored_before_the_interval_column_still_say_when_a_gateway_is_silent(
    tmp_path: Path,
) -> None:
    # Silent gateways are found by SQL on each gateway's interval (a column since
    # schema 10); the migration fills it from the statuses.
    at = to_epoch_ms(T0)
    fast = GatewayStatus.model_validate({"gw": "gw-fast", "interval_s": 1, "state": "online"})
    plain = GatewayStatus.model_validate({"gw": "gw-plain", "state": "online"})
    rows = [(s.gw, s.model_dump_json(exclude_none=True), at) for s in (fast, plain)]
    insert = "INSERT INTO gateways (id, online, status, status_at) VALUES ({}, 1, {}, {})"
    await an_older_store(
        tmp_path,
        9,
        sqlite=[insert.format("?", "?", "?")],
        postgres=[insert.format("$1", "$2", "$3")],
        rows=rows,
    )
    store = await open_test_store(tmp_path)
    try:
        assert await store.mark_silent_gateways(T0 + timedelta(seconds=3), missed=3) == []
        [late] = await store.mark_silent_gateways(T0 + timedelta(seconds=4), missed=3)
        assert late.gateway_id == "gw-fast"
        assert await store.mark_silent_gateways(T0 + timedelta(seconds=180), missed=3) == []
        [late] = await store.mark_silent_gateways(T0 + timedelta(seconds=181), missed=3)
        assert late.gateway_id == "gw-plain"  # no interval said: a minute
    finally:
        await store.close()
