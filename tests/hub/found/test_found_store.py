"""The found-person store on both engines: one valid sheet per person (a new one
revokes the others), scans counted on revoked sheets too, one open thread per sheet
(two taps at once open one), no message in a closed thread, and the sweep that
deletes a safe thread's messages and position after N days, and nothing sooner."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from mimamori.hub.config import PrivacySettings
from mimamori.hub.found.sweep import sweep
from mimamori.hub.model.alerts import NotificationDraft
from mimamori.hub.model.federation import PeerGateway
from mimamori.hub.model.privacy import PersonScope
from mimamori.hub.store.sql_store import SqlStore

NOW = datetime(2031, 5, 12, 3, 0, tzinfo=UTC)


async def test_a_new_sheet_revokes_the_persons_earlier_one(store: SqlStore) -> None:
    first = await store.issue_sticker("p-kama", "hash-1", "staff-a", NOW)
    other = await store.issue_sticker("p-tsuru", "hash-x", "staff-a", NOW)
    second = await store.issue_sticker("p-kama", "hash-2", "staff-a", NOW + timedelta(hours=1))
    sheets = await store.stickers_of("p-kama")
    assert [s.id for s in sheets] == [second.id, first.id]
    assert sheets[0].revoked_at is None and sheets[1].revoked_at == NOW + timedelta(hours=1)
    assert (await store.sticker_of("hash-x")) == other  # another person's: untouched
    assert await store.revoke_stickers("p-kama", NOW + timedelta(hours=2)) == 1
    assert all(s.revoked for s in await store.stickers_of("p-kama"))


async def test_each_scan_is_counted_revoked_sheets_too(store: SqlStore) -> None:
    sheet = await store.issue_sticker("p-kama", "hash-1", "staff-a", NOW)
    assert await store.scan_sticker("no-such-hash", NOW) is None
    await store.scan_sticker("hash-1", NOW)
    await store.revoke_stickers("p-kama", NOW)
    counted = await store.scan_sticker("hash-1", NOW + timedelta(minutes=1))
    assert counted is not None and counted.id == sheet.id
    assert counted.scans == 2 and counted.revoked


async def test_two_taps_at_once_open_one_thread_with_both_messages(store: SqlStore) -> None:
    sheet = await store.issue_sticker("p-kama", "hash-1", "staff-a", NOW)
    (a, opened_a), (b, opened_b) = await asyncio.gather(
        store.open_found(sheet, 26.28, 127.77, "駅にいます", NOW),
        store.open_found(sheet, None, None, "ベンチにいます", NOW),
    )
    assert a.id == b.id and sorted([opened_a, opened_b]) == [False, True]
    messages = await store.found_messages(a.id, 0, 10)
    assert sorted(m.body for m in messages) == ["ベンチにいます", "駅にいます"]
    assert {m.side for m in messages} == {"finder"}
    report = await store.found_report(a.id)
    assert report is not None and (report.lat, report.lon) == (26.28, 127.77)


async def test_a_closed_thread_takes_no_message_and_hides_the_number(store: SqlStore) -> None:
    sheet = await store.issue_sticker("p-kama", "hash-1", "staff-a", NOW)
    report, _ = await store.open_found(sheet, None, None, "", NOW)
    assert await store.found_messages(report.id, 0, 10) == []
    answer = await store.add_found_message(report.id, "family", "すぐ向かいます", NOW)
    assert answer is not None and answer.side == "family"
    assert await store.reveal_found_phone(report.id, "090-1234-5678")
    safe = await store.mark_found_safe(report.id, NOW + timedelta(minutes=30))
    assert safe is not None and safe.state == "safe" and safe.phone is None
    assert await store.add_found_message(report.id, "finder", "まだいます", NOW) is None
    assert not await store.reveal_found_phone(report.id, "090-1234-5678")
    assert await store.open_found_of(sheet.id) is None
    again, opened = await store.open_found(sheet, None, None, "", NOW + timedelta(days=2))
    assert opened and again.id != report.id  # a later finder opens a thread of their own


async def test_the_sweep_forgets_a_safe_threads_messages_after_n_days(store: SqlStore) -> None:
    sheet = await store.issue_sticker("p-kama", "hash-1", "staff-a", NOW)
    report, _ = await store.open_found(sheet, 26.28, 127.77, "駅にいます", NOW)
    still_open, _ = await store.open_found(
        await store.issue_sticker("p-tsuru", "hash-2", "staff-a", NOW), 26.1, 127.1, "公園", NOW
    )
    await store.mark_found_safe(report.id, NOW)
    settings = PrivacySettings(found_messages_days=30)
    day29 = NOW + timedelta(days=29, hours=23)
    assert await sweep(store, settings, lambda: day29) == 0
    assert len(await store.found_messages(report.id, 0, 10)) == 1
    assert await sweep(store, settings, lambda: NOW + timedelta(days=30, minutes=1)) == 1
    assert await store.found_messages(report.id, 0, 10) == []
    kept = await store.found_report(report.id)
    assert kept is not None and (kept.lat, kept.lon) == (None, None) and kept.state == "safe"
    # An open thread is never swept, however old.
    assert len(await store.found_messages(still_open.id, 0, 10)) == 1


async def test_forgetting_a_person_takes_their_stickers_threads_and_notices(
    store: SqlStore,
) -> None:
    sheet = await store.issue_sticker("p-kama", "hash-1", "staff-a", NOW)
    other = await store.issue_sticker("p-tsuru", "hash-2", "staff-a", NOW)
    await store.scan_sticker("hash-1", NOW)
    report, _ = await store.open_found(sheet, 26.28, 127.77, "駅にいます", NOW)
    kept, _ = await store.open_found(other, None, None, "公園", NOW)
    drafts = [
        NotificationDraft(None, "r-miyagi", 0, f"found-{report.id}-r-miyagi-0", "t", "b"),
        NotificationDraft(None, "r-higa", 0, f"found-{kept.id}-r-higa-0", "t", "b"),
    ]
    await store.queue_notifications(drafts, NOW)
    await store.add_peer_gateways([PeerGateway(f"found-{report.id}", "finder", "x", 26.28, 127.77)])
    forgotten = await store.forget_person(PersonScope("p-kama", ()), NOW, by="test")
    for what in ("found_stickers", "found_scans", "found_reports", "found_messages",
                 "found_places", "notifications"):  # fmt: skip
        assert forgotten.removed.get(what) == 1, (what, forgotten.removed)
    assert await store.stickers_of("p-kama") == []
    assert await store.found_report(report.id) is None
    assert await store.found_report(kept.id) is not None  # someone else's stays
    assert [p.id for p in await store.peer_gateways()] == []
    claimed = await store.claim_notifications(NOW, 60)
    assert [n.dedupe_key for n in claimed] == [f"found-{kept.id}-r-higa-0"]
