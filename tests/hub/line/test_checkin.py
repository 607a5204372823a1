"""Check-in by LINE on a real hub, its database and the local LINE, on virtual time:
「元気ですか？」 at the due time with 元気だよ / 相談したい bound to that person and day;
元気だよ is a check-in on the household's calendar; silence runs the button's ladder
(level 0 asks the person again, level 1 opens the missed check-in alert); 相談したい
opens the consult alert; the state survives a restart; two workers decide once."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.checkins import prompt
from mimamori.hub.checkins.line import LineCheckins
from mimamori.hub.checkins.sources import line_source
from mimamori.hub.line.linking import issue_code, redeem
from mimamori.hub.live.after_commit import AfterCommit
from mimamori.hub.live.fanout import LiveHub
from mimamori.hub.model.alerts import Alert
from mimamori.hub.register.loading import load_registry
from mimamori.hub.store.port import Store
from tests.hub.helpers import (
    HubClock,
    RunningHub,
    hub_document,
    import_register_of,
    open_test_store,
    query,
    running_hub,
    until,
)
from tests.hub.line.conftest import with_line
from tests.line_server import LocalLine, Sent, user_id

WEBHOOK = "/api/v1/line/webhook"
# 20:30 in Japan; the check-in is due by 21:00 (12:00 UTC), grace 60 min.
T0 = datetime(2031, 5, 12, 11, 30, tzinfo=UTC)
DUE = datetime(2031, 5, 12, 12, 0, tzinfo=UTC)


def with_line_checkin(tmp_path: Path, line: LocalLine) -> Any:
    add_line = with_line(tmp_path, line)

    def edit(doc: dict[str, Any]) -> None:
        add_line(doc)
        checkin_by_line(doc, tmp_path)

    return edit


def checkin_by_line(doc: dict[str, Any], tmp_path: Path) -> None:
    """宮城 カマ (hh-1) has no button: her own LINE asks her daily by 21:00."""
    own = tmp_path / "kama.channels"
    own.write_text("")
    doc["recipients"].append(
        {"id": "r-kama", "name": "宮城 カマ", "relation": "本人", "channels_file": str(own)}
    )
    kama = next(p for p in doc["people"] if p["id"] == "p-kama")
    kama["contacts"] = ["r-kama"]
    kama["line_checkin"] = {"schedule": {"by": "21:00", "grace_min": 60}}


async def bind(store: Store, now: datetime, recipient: str = "r-kama") -> str:
    user = user_id()
    code = await issue_code(store, recipient, now, timedelta(hours=1))
    assert (await redeem(store, code.code, user, now)).outcome == "bound"
    return user


async def pushed(line: LocalLine, count: int) -> list[Sent]:
    async def enough() -> list[Sent]:
        return line.pushes if len(line.pushes) >= count else []

    return list(await until(enough))


async def tap(hub: RunningHub, line: LocalLine, user: str, data: str) -> str:
    before = len(line.replies_to(user))
    assert (await line.webhook(hub.url + WEBHOOK, line.postback(user, data))).status_code == 200

    async def replied() -> list[str]:
        found = line.replies_to(user)
        return found if len(found) > before else []

    return str((await until(replied))[-1])


async def household(hub: RunningHub) -> dict[str, Any]:
    async with hub.client(await hub.token("family", "f-miyagi")) as client:
        answer = await client.get("/api/v1/households/hh-1")
    assert answer.status_code == 200
    found: dict[str, Any] = answer.json()
    return found


async def open_alerts(store: Store) -> list[Alert]:
    return await store.alerts(None, include_resolved=False)


async def line_events(tmp_path: Path) -> list[tuple[Any, ...]]:
    return await query(
        tmp_path,
        f"SELECT kind, data FROM events WHERE gateway_id = '{line_source('hh-1')}' ORDER BY seqno",
    )


async def test_line_asks_at_the_due_time_and_genki_is_a_checkin_on_the_calendar(
    own_broker: PrivateBroker, tmp_path: Path, line: LocalLine
) -> None:
    edit = with_line_checkin(tmp_path, line)
    async with running_hub(own_broker, tmp_path, edit, clock=lambda: T0) as hub:
        user = await bind(hub.state.store, hub.clock())
        await until(lambda: query(tmp_path, "SELECT 1 FROM line_checkins"))  # started
        assert line.pushes == []  # not before the due time
        hub.clock.advance(DUE + timedelta(minutes=1) - hub.clock())
        [ask] = await pushed(line, 1)
        assert ask.to == user and ask.text.startswith("元気ですか？")
        genki, soudan = ask.buttons()
        assert (genki["label"], soudan["label"]) == ("元気だよ", "相談したい")

        # A forwarded button does nothing for someone else.
        stranger = user_id()
        assert "ご本人だけ" in await tap(hub, line, stranger, genki["data"])
        assert await line_events(tmp_path) == []

        assert (await tap(hub, line, user, genki["data"])).startswith("ありがとうございます")
        [(kind, _)] = await line_events(tmp_path)
        assert kind == "checkin.done"
        # The same tap again (or a replay) closes nothing more.
        assert "もう受け付けています" in await tap(hub, line, user, genki["data"])
        home = await household(hub)
    assert home["state"] == "ok" and home["last_checkin"]["card"] == "genki"
    assert home["next_due"] == "2031-05-13T12:00:00.000Z"
    today = next(d for d in home["history"] if d["date"] == "2031-05-12")
    assert [c["card"] for c in today["checkins"]] == ["genki"]


async def test_a_missed_line_checkin_runs_the_buttons_ladder_and_consult_opens_its_alert(
    own_broker: PrivateBroker, tmp_path: Path, line: LocalLine
) -> None:
    edit = with_line_checkin(tmp_path, line)
    async with running_hub(own_broker, tmp_path, edit, clock=lambda: T0) as hub:
        store = hub.state.store
        user = await bind(store, hub.clock())
        await until(lambda: query(tmp_path, "SELECT 1 FROM line_checkins"))
        hub.clock.advance(DUE + timedelta(minutes=61) - hub.clock())  # past the grace
        # Level 0 is for the person: asked again, with the buttons, and nobody else.
        _ask, again = await pushed(line, 2)
        assert again.to == user and again.text.startswith("元気ですか？（もう一度")
        assert [b["label"] for b in again.buttons()] == ["元気だよ", "相談したい"]
        assert await open_alerts(store) == []
        home = await household(hub)
        today = next(d for d in home["history"] if d["date"] == "2031-05-12")
        assert today["reminded"] and today["reminded"][0].startswith("line")

        hub.clock.advance(timedelta(hours=23))  # level 1: the family, as for a button
        [missed] = await until(lambda: open_alerts(store))
        assert (missed.kind, missed.subject) == ("checkin_missed", "household:hh-1")
        assert (await household(hub))["state"] == "missed"

        # 相談したい, late: the missed period closes, the consult alert opens.
        reply = await tap(hub, line, user, again.buttons()[1]["data"])
        assert reply.startswith("「相談したい」を受け付けました")

        async def consult_only() -> list[str]:
            kinds = [a.kind for a in await open_alerts(store)]
            return kinds if kinds == ["consult"] else []

        await until(consult_only)
    kinds = [kind for kind, _ in await line_events(tmp_path)]
    assert kinds == ["checkin.missed", "checkin.missed", "checkin.consult"]


async def test_line_checkins_survive_a_restart_and_ask_once(
    own_broker: PrivateBroker, tmp_path: Path, line: LocalLine
) -> None:
    edit = with_line_checkin(tmp_path, line)
    async with running_hub(own_broker, tmp_path, edit, clock=lambda: T0) as hub:
        await bind(hub.state.store, hub.clock())
        await until(lambda: query(tmp_path, "SELECT 1 FROM line_checkins"))
        hub.clock.advance(DUE + timedelta(minutes=5) - hub.clock())
        await pushed(line, 1)
    later = DUE + timedelta(minutes=30)  # still within the grace: nothing more is due
    async with running_hub(own_broker, tmp_path, edit, clock=lambda: later) as hub:
        hub.clock.advance(timedelta(minutes=31))  # past the grace: level 0, once
        await pushed(line, 2)
        await until(lambda: query(tmp_path, "SELECT 1 FROM reminders"))
    assert len(line.pushes) == 2  # the restarted hub did not ask for the same day again
    assert await query(tmp_path, "SELECT count(*) FROM notifications") == [(2,)]
    assert [kind for kind, _ in await line_events(tmp_path)] == ["checkin.missed"]


async def test_two_hub_workers_decide_each_line_checkin_step_once(tmp_path: Path) -> None:
    doc = hub_document(tmp_path, 1883, 8080)
    checkin_by_line(doc, tmp_path)
    clock = HubClock(T0)
    first, second = await open_test_store(tmp_path), await open_test_store(tmp_path)
    try:
        await import_register_of(first, doc, clock)
        await bind(first, T0)
        workers = [
            LineCheckins(
                await load_registry(store), store, clock=clock, after_commit=AfterCommit(live)
            )
            for store in (first, second)
            for live in [LiveHub(await load_registry(store))]
        ]
        steps = (
            T0,
            DUE,
            DUE + timedelta(minutes=61),
            DUE + timedelta(hours=24),
            DUE + timedelta(hours=73),
        )
        for at in steps:
            clock.now = at
            await asyncio.gather(*(w.step() for w in workers))
    finally:
        await first.close()
        await second.close()
    keys = await query(tmp_path, "SELECT dedupe_key FROM notifications ORDER BY id")
    assert [k.rsplit(":", 1)[-1] for (k,) in keys] == ["r-kama", "again"]
    levels = [json.loads(data)["level"] for _, data in await line_events(tmp_path)]
    assert levels == [0, 1, 2]  # each step once, whichever worker took it


async def test_a_worker_deciding_on_a_stale_state_cannot_undo_a_checkin(tmp_path: Path) -> None:
    """Worker B read the state before worker A recorded 元気だよ; B's late step must not
    write the old open period back (the ladder would then call the family)."""
    doc = hub_document(tmp_path, 1883, 8080)
    checkin_by_line(doc, tmp_path)
    clock = HubClock(T0)
    first, second = await open_test_store(tmp_path), await open_test_store(tmp_path)
    try:
        await import_register_of(first, doc, clock)
        user = await bind(first, T0)
        registry = await load_registry(first)
        a, b = (
            LineCheckins(registry, store, clock=clock, after_commit=AfterCommit(LiveHub(registry)))
            for store in (first, second)
        )
        await a.step()  # started at T0
        clock.now = DUE
        await a.step()  # asked
        stale = (await second.line_checkin_states())["p-kama"]
        asked = prompt.Asked("p-kama", DUE, "r-kama")
        genki = prompt.buttons(await first.secret(prompt.SECRET), asked, "ja")[0]
        assert (await a.tap(genki.data, user) or "").startswith("ありがとうございます")
        clock.now = DUE + timedelta(minutes=61)  # past the grace of the period B still sees
        await b._step_one(registry.people["p-kama"], stale)
        await b.step()
    finally:
        await first.close()
        await second.close()
    assert [kind for kind, _ in await line_events(tmp_path)] == ["checkin.done"]
