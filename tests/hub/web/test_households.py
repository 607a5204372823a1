"""Households on a real hub: check-in state, history, devices, and the power-cut signal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from mimamori.protocol import EventKind, format_ts
from tests.hub.helpers import Gateway, RunningHub, until

TOKYO = ZoneInfo("Asia/Tokyo")


def local_day(ts: datetime) -> str:
    return ts.astimezone(TOKYO).date().isoformat()


async def test_only_the_households_family_and_admins_see_it(hub: RunningHub) -> None:
    miyagi, higa = await hub.token(family="f-miyagi"), await hub.token(family="f-higa")
    async with hub.client(miyagi) as client:
        assert [h["id"] for h in (await client.get("/api/v1/households")).json()] == ["hh-1"]
        assert (await client.get("/api/v1/households/hh-1")).status_code == 200
    async with hub.client(higa) as client:
        assert (await client.get("/api/v1/households")).json() == []
        for household in ("hh-1", "hh-nobody"):
            response = await client.get(f"/api/v1/households/{household}")
            assert response.status_code == 404
            assert response.json() == {"detail": "no such household"}
    async with hub.client(await hub.token(role="admin")) as client:
        assert [h["id"] for h in (await client.get("/api/v1/households")).json()] == ["hh-1"]


async def test_a_household_never_heard_from_is_unknown(hub: RunningHub) -> None:
    async with hub.client(await hub.token(role="admin")) as client:
        body = (await client.get("/api/v1/households/hh-1")).json()
    assert body["state"] == "unknown"
    assert body["last_checkin"] is None and body["next_due"] is None
    assert body["gateways"] == [{"id": "gw-home", "online": None, "status_at": None}]
    assert len(body["history"]) == 30
    assert body["history"][-1]["date"] == local_day(datetime.now(UTC))


async def test_check_ins_and_missed_days_make_the_state_and_the_history(
    hub: RunningHub, home_gateway: Gateway
) -> None:
    now = datetime.now(UTC)
    two_days_ago = now - timedelta(days=2)
    due = now - timedelta(days=1)
    # A press two days ago; yesterday's check-in never came: level 1 went out.
    await home_gateway.event(
        EventKind.CHECKIN_DONE,
        two_days_ago,
        device="door",
        card="genki",
        closed=format_ts(two_days_ago),
        next_due=format_ts(due),
    )
    await home_gateway.event(
        EventKind.CHECKIN_MISSED, due + timedelta(hours=1), level=0, due=format_ts(due)
    )
    await home_gateway.event(
        EventKind.CHECKIN_MISSED, now - timedelta(minutes=5), level=1, due=format_ts(due)
    )
    async with hub.client(await hub.token(family="f-miyagi")) as client:

        async def missed() -> Any:
            body = (await client.get("/api/v1/households/hh-1")).json()
            # Once all three are stored: a level-1 step alone already says "missed".
            return body if body["state"] == "missed" and body["last_checkin"] else None

        body = await until(missed)
        assert body["level"] == 1
        assert body["next_due"] == format_ts(due)
        assert body["last_checkin"]["card"] == "genki"
        days = {d["date"]: d for d in body["history"]}
        assert [c["card"] for c in days[local_day(two_days_ago)]["checkins"]] == ["genki"]
        assert days[local_day(now - timedelta(minutes=5))]["missed_level"] == 1

        # Now she presses 相談: the period closes, someone should call.
        next_due = now + timedelta(hours=20)
        await home_gateway.event(
            EventKind.CHECKIN_CONSULT,
            now,
            device="door",
            card="soudan",
            closed=format_ts(due),
            late=True,
            next_due=format_ts(next_due),
        )

        async def ok() -> Any:
            body = (await client.get("/api/v1/households")).json()[0]
            return body if body["state"] == "ok" else None

        body = await until(ok)
        assert body["level"] is None
        assert body["last_checkin"] == {
            "ts": format_ts(now),
            "card": "soudan",
            "kind": "checkin.consult",
            "late": True,
        }
        assert body["next_due"] == format_ts(next_due)


async def test_the_status_gives_next_due_and_device_health_before_any_press(
    hub: RunningHub, home_gateway: Gateway
) -> None:
    due = datetime.now(UTC) - timedelta(minutes=1)
    await home_gateway.status(
        household={
            "id": "hh-1",
            "state": "due",
            "next_due": due,
            "devices": {"door": {"silent": True, "battery_low": True, "battery_pct": 12}},
        },
        interval_s=60,
    )
    async with hub.client(await hub.token(role="admin")) as client:

        async def reported() -> Any:
            body = (await client.get("/api/v1/households/hh-1")).json()
            return body if body["devices"] else None

        body = await until(reported)
    assert body["state"] == "due"
    assert body["next_due"] == format_ts(due)
    assert body["devices"] == [
        {"id": "door", "silent": True, "battery_low": True, "mains_lost": False, "battery_pct": 12}
    ]
    assert body["gateways"][0]["online"] is True


async def test_a_home_gateway_that_vanishes_is_recorded_offline_for_its_household(
    hub: RunningHub, home_gateway: Gateway
) -> None:
    store = hub.state.store
    await home_gateway.status("online", interval_s=60)
    await until(lambda: _online(hub, True))
    # The broker publishes the gateway's last will: a status with no timestamp.
    await home_gateway.link.publish(
        "mimamori/v1/gw/gw-home/status", b'{"v":1,"gw":"gw-home","state":"offline"}', retain=True
    )
    await until(lambda: _online(hub, False))
    await home_gateway.status("online", interval_s=60)
    await until(lambda: _online(hub, True))
    kinds = ["gateway.offline", "gateway.online"]
    since = datetime.now(UTC) - timedelta(minutes=1)
    events = await store.events_of(["gw-home"], kinds, since, datetime.now(UTC))
    assert [(e.kind, e.data) for e in events] == [
        ("gateway.offline", {"reason": "last_will"}),
        ("gateway.online", {}),
    ]
    async with hub.client(await hub.token(role="admin")) as client:
        body = (await client.get("/api/v1/households/hh-1")).json()
    assert body["history"][-1]["problems"] == ["gateway.offline"]


async def test_a_gateway_whose_statuses_stop_is_marked_offline_once(
    hub: RunningHub, home_gateway: Gateway
) -> None:
    store = hub.state.store
    await home_gateway.status("online", interval_s=1)
    await until(lambda: _online(hub, True))
    later = datetime.now(UTC) + timedelta(seconds=2)
    assert await store.mark_silent_gateways(later, missed=3) == []  # 2 s: not yet
    later += timedelta(seconds=2)
    [event] = await store.mark_silent_gateways(later, missed=3)
    assert (event.gateway_id, event.kind, event.data["reason"]) == (
        "gw-home",
        "gateway.offline",
        "silent",
    )
    assert event.data["silent_s"] >= 3
    assert await store.mark_silent_gateways(later + timedelta(hours=1), missed=3) == []
    assert await _online(hub, False)


async def _online(hub: RunningHub, expected: bool) -> bool:
    states = {s.gateway_id: s.online for s in await hub.state.store.gateway_states()}
    return states.get("gw-home") is expected
