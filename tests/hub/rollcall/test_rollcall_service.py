"""The safety roll-call on virtual time, on both engines: who is asked and how, the
answers (the home button, the one-time link, a tag at a watch point, a visit), the
live list's order and scope, and the report at the end."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import pytest

from mimamori.hub.model.alerts import AlertKind
from mimamori.hub.register.loading import load_registry
from mimamori.hub.rollcall.asking import ANSWER_PATH
from mimamori.hub.rollcall.service import Refused, RollCalls
from mimamori.hub.store.sql_store import SqlStore
from mimamori.protocol.commands import RemindCommand
from mimamori.protocol.events import EventKind
from tests.hub.helpers import MIN, T0, TAG_KAMA, HubClock, query, sighting
from tests.hub.rollcall.town import (
    ADMIN,
    FAMILY,
    NORTH_STAFF,
    SOUTH_STAFF,
    VOLUNTEER,
    Sent,
    home_gateway,
    press,
    rollcalls,
)

MESSAGE = "震度6弱の地震がありました。安否を確認しています。"


async def links(tmp_path: Path) -> dict[str, str]:
    """The one-time link each contact was sent, by recipient."""
    rows = await query(
        tmp_path, "SELECT recipient_id, body FROM notifications WHERE dedupe_key LIKE 'rollcall-%'"
    )
    return {r: body.rsplit(ANSWER_PATH, 1)[1] for r, body in rows}


async def test_staff_start_a_roll_call_of_their_area_and_every_home_is_asked_what_it_can(
    tmp_path: Path, store: SqlStore
) -> None:
    sent, clock = Sent(), HubClock(T0)
    await home_gateway(store, door="serial_button")
    service = await rollcalls(tmp_path, store, clock, sent)
    started = await service.start(NORTH_STAFF, "north", MESSAGE)
    assert (started.households, started.notices, started.buttons) == (2, 3, 2)
    rows = {r.household_id: r for r in await store.rollcall_households(started.id)}
    assert {h: (r.button, r.notices, r.support) for h, r in rows.items()} == {
        "hh-1": ("pending", 2, True),
        "hh-2": ("pending", 1, False),
    }
    assert await service.process() == 1
    command = RemindCommand(ref=f"rollcall-{started.id}", for_s=3 * 3600)
    assert sent.commands == [("mimamori/v1/gw/gw-home/cmd", command, 3600)]
    assert await service.process() == 0  # told once, whatever runs again
    buttons = {r.household_id: r.button for r in await store.rollcall_households(started.id)}
    assert buttons == {"hh-1": "sent", "hh-2": "not_possible"}  # hh-2: no button it knows
    # Each household's own token, in the language of each contact, >= 128 bits.
    sent_links = await links(tmp_path)
    assert sent_links["r-self"] == sent_links["r-son"] != sent_links["r-family"]
    assert all(len(t) * 6 >= 128 for t in sent_links.values())
    bodies = dict(await query(tmp_path, "SELECT recipient_id, title FROM notifications"))
    assert (bodies["r-self"], bodies["r-son"]) == ("安否確認", "Safety roll-call")
    # Only the hash of a token is kept.
    hashes = {h for (h,) in await query(tmp_path, "SELECT token_hash FROM rollcall_households")}
    assert hashlib.sha256(sent_links["r-self"].encode()).hexdigest() in hashes
    assert not hashes & set(sent_links.values())


async def test_who_may_start_a_roll_call_and_for_where(tmp_path: Path, store: SqlStore) -> None:
    service = await rollcalls(tmp_path, store, HubClock(T0))
    for who, area in [(SOUTH_STAFF, "north"), (NORTH_STAFF, None), (VOLUNTEER, "north"),
                      (FAMILY, "north")]:  # fmt: skip
        with pytest.raises(Refused, match="forbidden"):
            await service.start(who, area, MESSAGE)
    with pytest.raises(Refused, match="missing"):
        await service.start(ADMIN, "nowhere", MESSAGE)
    with pytest.raises(ValueError, match="message"):
        await service.start(ADMIN, "north", "  ")
    whole = await service.start(ADMIN, None, MESSAGE)
    assert whole.households == 3
    assert await store.rollcalls() == [(await store.rollcall(whole.id) or (None,))[0]]


async def test_a_press_after_the_start_answers_safe_even_delivered_late_but_not_one_before(
    tmp_path: Path, store: SqlStore
) -> None:
    clock = HubClock(T0)
    service = await rollcalls(tmp_path, store, clock)
    started = await service.start(ADMIN, None, MESSAGE)
    before = press(T0 - MIN)  # pressed before the quake, kept in the outbox
    during = press(T0 + 5 * MIN)  # pressed while the broker was away
    clock.advance(30 * MIN)
    await store.ingest([("gw-home", before), ("gw-home", during)], [], clock())
    await service.process()
    [hh1] = await store.rollcall_households(started.id, ["hh-1"])
    assert (hh1.answer, hh1.how, hh1.answered_at) == ("safe", "button", T0 + 5 * MIN)
    # A second worker (or a restart) reads nothing twice: the cursor is in the database.
    again = RollCalls(await load_registry(store), store, clock=clock, public_url="https://x")
    assert await again.follower.follow(started.id) == 0


async def test_a_tag_at_a_watch_point_is_seen_alive_but_not_an_answer(
    tmp_path: Path, store: SqlStore
) -> None:
    clock = HubClock(T0)
    service = await rollcalls(tmp_path, store, clock)
    started = await service.start(ADMIN, None, MESSAGE)
    await store.ingest([("gw-a", sighting(EventKind.TAG_ARRIVED, TAG_KAMA, T0 + MIN))], [], T0)
    await service.process()
    [hh1] = await store.rollcall_households(started.id, ["hh-1"])
    assert (hh1.status, hh1.answer, hh1.seen_where) == ("seen", None, "公民館前")
    _, page = await service.page(ADMIN, started.id)
    assert [(r.household_id, r.status) for r in page.rows] == [
        ("hh-1", "seen"), ("hh-2", "unanswered"), ("hh-3", "unanswered"),
    ]  # fmt: skip


async def test_the_link_answers_and_help_opens_an_sos_alert_at_once(
    tmp_path: Path, store: SqlStore
) -> None:
    clock = HubClock(T0)
    service = await rollcalls(tmp_path, store, clock)
    started = await service.start(ADMIN, None, MESSAGE)
    sent_links = await links(tmp_path)
    clock.advance(2 * MIN)
    row = await service.answer(sent_links["r-family"], "safe")
    assert row is not None and (row.household_id, row.answer, row.how) == ("hh-2", "safe", "link")
    clock.advance(MIN)
    row = await service.answer(sent_links["r-self"], "help")
    assert row is not None and (row.answer, row.answered_at) == ("help", T0 + 3 * MIN)
    [alert] = await store.alerts(None, include_resolved=False)
    assert (alert.kind, alert.subject, alert.detail["rollcall"]) == (
        AlertKind.SOS, "household:hh-1", started.id,
    )  # fmt: skip
    # "Help" stays: a later "safe" by the link says less and is not written.
    row = await service.answer(sent_links["r-son"], "safe")
    assert row is not None and row.answer == "help"
    assert await service.answer("not-a-token", "safe") is None
    await service.end(ADMIN, started.id)
    assert await service.answer(sent_links["r-family"], "help") is None  # over: expired


async def test_the_live_list_puts_the_unanswered_and_the_support_list_first_in_each_scope(
    tmp_path: Path, store: SqlStore
) -> None:
    clock = HubClock(T0)
    service = await rollcalls(tmp_path, store, clock)
    started = await service.start(ADMIN, None, MESSAGE)
    await service.answer((await links(tmp_path))["r-family"], "safe")
    _, page = await service.page(ADMIN, started.id)
    assert [r.household_id for r in page.rows] == ["hh-1", "hh-3", "hh-2"]
    assert page.counts == {"unanswered": 2, "seen": 0, "help": 0, "safe": 1}
    _, page = await service.page(NORTH_STAFF, started.id)
    assert [r.household_id for r in page.rows] == ["hh-1", "hh-2"]
    assert page.counts == {"unanswered": 1, "seen": 0, "help": 0, "safe": 1}
    _, page = await service.page(VOLUNTEER, started.id)
    assert [r.household_id for r in page.rows] == ["hh-2"] and page.matching == 1
    _, page = await service.page(NORTH_STAFF, started.id, find="金城")  # the south's: not shown
    assert (page.rows, page.matching) == ([], 0)
    _, page = await service.page(ADMIN, started.id, find="比嘉 ツル")
    assert [r.household_id for r in page.rows] == ["hh-2"]
    _, page = await service.page(SOUTH_STAFF, started.id, status="unanswered")
    assert [r.household_id for r in page.rows] == ["hh-3"]
    with pytest.raises(Refused, match="missing"):
        await service.page(FAMILY, started.id)
    with pytest.raises(Refused, match="missing"):
        await service.visit(VOLUNTEER, started.id, "hh-1", "safe")  # not theirs


async def test_a_visit_is_recorded_and_audited_and_the_report_counts_every_home(
    tmp_path: Path, store: SqlStore
) -> None:
    clock = HubClock(T0)
    service = await rollcalls(tmp_path, store, clock)
    started = await service.start(ADMIN, None, MESSAGE)
    clock.advance(10 * MIN)
    await store.ingest([("gw-home", press(clock()))], [], clock())
    clock.advance(20 * MIN)
    row = await service.visit(VOLUNTEER, started.id, "hh-2", "not_home")
    assert (row.visit, row.visit_by, row.answer) == ("not_home", "民生委員 山田", None)
    [(who, action, subject, detail)] = await query(
        tmp_path, "SELECT who, action, subject, detail FROM audit WHERE action LIKE 'rollcall%'"
    )
    assert (who, action, subject, detail) == (
        "民生委員 山田", "rollcall.visit", f"rollcall:{started.id}/household:hh-2", "not_home",
    )  # fmt: skip
    clock.advance(30 * MIN)
    row = await service.visit(SOUTH_STAFF, started.id, "hh-3", "safe")
    assert (row.answer, row.how, row.answered_at) == ("safe", "visit", T0 + 60 * MIN)
    with pytest.raises(Refused, match="forbidden"):
        await service.end(NORTH_STAFF, started.id)  # the whole town's: an admin's to end
    report = await service.end(ADMIN, started.id)  # the press is read before the end
    assert report.asked == 3
    assert {k: v for k, v in report.counts.items() if v} == {
        "safe_button": 1, "safe_visit": 1, "not_home": 1,
    }  # fmt: skip
    assert (report.median_s, report.p90_s) == (math.fsum([600, 3600]) / 2, 3600)
    assert report.never_reached == ["hh-2"]
    kept = await service.report(ADMIN, started.id)
    assert kept == report
    hidden = await service.report(VOLUNTEER, started.id)
    assert hidden is not None and hidden.never_reached == [] and hidden.counts == report.counts
    with pytest.raises(Refused, match="over"):
        await service.end(ADMIN, started.id)
    with pytest.raises(Refused, match="over"):
        await service.visit(ADMIN, started.id, "hh-2", "safe")
