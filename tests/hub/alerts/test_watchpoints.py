"""Watch points that go offline: one technician's alert after the grace, resolved when
back for the hold-down, one alert however much the gateway flaps. The hub runs with a
real broker; the gateways' statuses (and last wills) go through it; the hub's clock is
virtual and the watch is asked at chosen times."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.alerts.watchpoints import WatchPoints, judge
from mimamori.hub.config import WatchPointSettings
from mimamori.hub.model.alerts import AlertKind
from mimamori.hub.model.events import GATEWAY_OFFLINE, GATEWAY_ONLINE, StoredEvent
from mimamori.hub.register.loading import load_registry
from mimamori.hub.store.sql_store import SqlStore
from mimamori.protocol import GatewayStatus
from tests.hub.helpers import (
    Y2031,
    Gateway,
    HubClock,
    RunningHub,
    hub_document,
    import_register_of,
    publishing_gateway,
    query,
    until,
)

MIN = timedelta(minutes=1)
GRACE, HOLD = 15 * MIN, 10 * MIN


def transition(kind: str, minutes_ago: float) -> StoredEvent:
    at = Y2031 - minutes_ago * MIN
    return StoredEvent("e", "gw-a", 0, at, kind, {}, at)


def test_offline_raises_only_after_the_grace_and_once() -> None:
    assert judge(transition(GATEWAY_OFFLINE, 14.9), False, Y2031, GRACE, HOLD) is None
    assert judge(transition(GATEWAY_OFFLINE, 15), False, Y2031, GRACE, HOLD) == "raise"
    assert judge(transition(GATEWAY_OFFLINE, 60), True, Y2031, GRACE, HOLD) is None
    assert judge(None, False, Y2031, GRACE, HOLD) is None  # never connected


def test_online_resolves_only_after_the_hold_down() -> None:
    assert judge(transition(GATEWAY_ONLINE, 9.9), True, Y2031, GRACE, HOLD) is None
    assert judge(transition(GATEWAY_ONLINE, 10), True, Y2031, GRACE, HOLD) == "clear"
    assert judge(transition(GATEWAY_ONLINE, 60), False, Y2031, GRACE, HOLD) is None


async def say(hub: RunningHub, gateway: Gateway, state: str, kind: str) -> None:
    """The gateway's status through the broker, until the hub recorded the transition."""
    await gateway.status(state)
    store = hub.state.store

    async def recorded() -> bool:
        last = await store.last_event_of([gateway.gw], [GATEWAY_ONLINE, GATEWAY_OFFLINE])
        return last is not None and last.kind == kind and last.received_at == hub.clock()

    await until(recorded)


async def test_a_stopped_watch_point_raises_one_technician_alert_and_its_return_resolves_it(
    own_broker: PrivateBroker, hub: RunningHub
) -> None:
    hub.clock.now = Y2031
    watch = WatchPoints(
        hub.state.config.hub.watch_points, hub.state.registry, hub.state.store, clock=hub.clock
    )
    assert watch.registry.watch_points() == ["gw-a", "gw-b"]  # not the home's gateway

    async def alerts() -> list[Any]:
        found = await hub.state.store.alerts(None, include_resolved=True)
        return [a for a in found if a.kind == AlertKind.WATCHPOINT_OFFLINE]

    async with publishing_gateway(own_broker, "gw-a") as gateway:
        await gateway.status("online")
        await until(hub.state.store.gateway_states)
        await say(hub, gateway, "offline", GATEWAY_OFFLINE)
        hub.clock.advance(14 * MIN)
        assert (await watch.check()).opened == []  # a router's restart is not an alert
        hub.clock.advance(1 * MIN)
        [opened] = (await watch.check()).opened
        assert (opened.subject, opened.household_id, opened.person_id) == (
            "gateway:gw-a",
            None,
            None,
        )
        assert opened.detail["gateway_name"] == "大山 自販機"
        async with hub.client(await hub.token(family="f-higa")) as family:
            assert (await family.get("/api/v1/alerts")).json() == []  # not the family's matter

        for _ in range(3):  # it flaps: back for five minutes, away for twenty
            hub.clock.advance(1 * MIN)
            await say(hub, gateway, "online", GATEWAY_ONLINE)
            hub.clock.advance(5 * MIN)
            counts = await watch.check()  # back, but not for the hold-down yet
            assert (counts.opened, counts.resolved) == ([], [])
            await say(hub, gateway, "offline", GATEWAY_OFFLINE)
            hub.clock.advance(20 * MIN)
            counts = await watch.check()
            assert (counts.opened, counts.resolved) == ([], [])
        assert [a.state for a in await alerts()] == ["open"]

        await say(hub, gateway, "online", GATEWAY_ONLINE)
        hub.clock.advance(10 * MIN)
        [resolved] = (await watch.check()).resolved
    assert resolved.id == opened.id
    assert resolved.resolve_note == "the watch point is back online"
    assert [a.state for a in await alerts()] == ["resolved"]


async def test_the_default_policys_device_route_tells_the_technician_and_families_never(
    tmp_path: Path, store: SqlStore
) -> None:
    """One way to reach the technician: the ``default`` policy's ``device`` route, as for
    every alert of no household; a policy that happens to be named ``technician`` (the
    old way) is an ordinary policy nobody follows for it."""
    doc = hub_document(tmp_path, 1883, 8080)
    for rid in ("r-tech", "r-old"):
        doc["recipients"].append({"id": rid, "name": "技術担当", "channels_file": str(
            tmp_path / "miyagi.channels")})  # fmt: skip
    doc["policies"][0]["routes"] = {"device": {"steps": [{"after_min": 0, "notify": ["r-tech"]}]}}
    doc["policies"].append({"id": "technician", "steps": [{"after_min": 0, "notify": ["r-old"]}]})
    clock = HubClock(Y2031)
    await import_register_of(store, doc, clock)
    watch = WatchPoints(WatchPointSettings(), await load_registry(store), store, clock=clock)
    for state in ("online", "offline"):
        status = GatewayStatus.model_validate({"gw": "gw-b", "state": state, "ts": Y2031})
        await store.ingest([], [status], clock())
    clock.advance(GRACE)
    [opened] = (await watch.check()).opened
    steps = await query(tmp_path, "SELECT alert_id, recipients FROM escalations")
    assert steps == [(opened.id, '["r-tech"]')]
    assert opened.subject == "gateway:gw-b" and opened.detail["gateway_name"] == "市役所前 自販機"
    assert not watch.warn_of_the_old_technician_policy()  # the route is there: all is well


async def test_a_register_that_still_reaches_its_technician_by_the_old_policy_is_told(
    tmp_path: Path, store: SqlStore
) -> None:
    doc = hub_document(tmp_path, 1883, 8080)
    step = {"after_min": 0, "notify": ["r-miyagi"]}
    doc["policies"].append({"id": "technician", "steps": [step]})
    clock = HubClock(Y2031)
    await import_register_of(store, doc, clock)
    watch = WatchPoints(WatchPointSettings(), await load_registry(store), store, clock=clock)
    assert watch.warn_of_the_old_technician_policy()
