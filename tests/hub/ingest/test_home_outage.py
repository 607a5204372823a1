"""A real home gateway daemon (virtual clock) through a broker outage and a hub outage.

The check-in is missed while the broker is unreachable (or the hub is down); the
gateway decides anyway, and the hub shows the events later with the times they were
decided.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.edge.clock import VirtualClock
from mimamori.edge.daemon import EdgeDaemon
from mimamori.protocol import format_ts
from tests.edge.helpers import ScriptedButton, eventually, gateway_config
from tests.hub.helpers import RunningHub, running_hub, until


def home_config(port: int, data_dir: Path, due_local: datetime) -> Any:
    return gateway_config(
        "gw-home",
        port,
        data_dir,
        receivers=[],
        tags=None,
        household={
            "id": "hh-1",
            "schedule": {"by": f"{due_local:%H:%M}", "grace_min": 0},
            "ladder": [{"after_h": 0, "level": 0}, {"after_h": 23, "level": 1}],
        },
        buttons=[{"id": "door", "driver": "serial_button", "port": "/dev/null"}],
    )


async def test_a_check_in_missed_while_the_broker_is_down_reaches_the_hub_with_its_times(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    start = datetime.now(UTC).replace(second=0, microsecond=0)
    clock = VirtualClock(start)
    # The hub and the gateway share the virtual clock: a day passes for both.
    async with running_hub(own_broker, tmp_path, clock=clock.now) as hub:
        await _missed_while_the_broker_is_down(hub, clock, start, tmp_path)


async def _missed_while_the_broker_is_down(
    hub: RunningHub, clock: VirtualClock, start: datetime, tmp_path: Path
) -> None:
    broker: PrivateBroker = hub.broker
    due = start + timedelta(minutes=30)
    config = home_config(broker.port, tmp_path / "gw", due.astimezone(ZoneInfo("Asia/Tokyo")))
    button = ScriptedButton("door", clock)
    daemon = EdgeDaemon(config, clock=clock, drivers=[button])
    task = asyncio.create_task(daemon.run())
    await asyncio.wait_for(daemon.ready.wait(), 5)
    assert daemon.link is not None
    await asyncio.wait_for(daemon.link.connected.wait(), 5)
    async with hub.client(await hub.token(family="f-miyagi")) as client:

        async def household(state: str) -> Any:
            body = (await client.get("/api/v1/households/hh-1")).json()
            return body if body["state"] == state else None

        body = await until(lambda: household("ok"))  # from the gateway's status
        assert body["next_due"] == format_ts(due)

        broker.stop()
        clock.advance(30 * 60)  # the due time: the reminder
        await eventually(lambda: daemon.outbox is not None and daemon.outbox.depth >= 1)
        reminded_at = clock.now()
        clock.advance(23 * 3600)  # a day later: level 1 (and the button has been silent)
        await eventually(lambda: daemon.outbox is not None and daemon.outbox.depth >= 3)
        told_at = clock.now()
        broker.start()

        body = await until(lambda: household("missed"), within=30)
        assert body["level"] == 1
        store = hub.state.store
        events = await store.events_of(
            ["gw-home"],
            ["checkin.missed", "device.silent"],
            start,
            start + timedelta(days=2),
        )
        decided = {(e.kind, e.data.get("level")): e.ts for e in events}
        assert decided[("checkin.missed", 0)] == reminded_at
        assert decided[("checkin.missed", 1)] == told_at
        assert ("device.silent", None) in decided

        button.press("genki")  # she is fine after all: the period closes
        body = await until(lambda: household("ok"))
        assert body["last_checkin"]["late"] is True
    daemon.stop()
    await asyncio.wait_for(task, 10)


async def test_a_check_in_missed_while_the_hub_is_down_is_shown_when_it_returns(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    start = datetime.now(UTC).replace(second=0, microsecond=0)
    clock = VirtualClock(start)
    async with running_hub(own_broker, tmp_path, clock=clock.now):
        pass  # the hub has run once: the broker now keeps its queue while it is away
    due = start + timedelta(minutes=30)
    config = home_config(own_broker.port, tmp_path / "gw", due.astimezone(ZoneInfo("Asia/Tokyo")))
    daemon = EdgeDaemon(config, clock=clock, drivers=[ScriptedButton("door", clock)])
    task = asyncio.create_task(daemon.run())
    await asyncio.wait_for(daemon.ready.wait(), 5)
    clock.advance(30 * 60)
    await eventually(lambda: daemon.counters["events"] >= 1)
    reminded_at = clock.now()
    clock.advance(23 * 3600)
    await eventually(lambda: daemon.counters["events"] >= 3)
    told_at = clock.now()
    # Delivered to the broker (acknowledged), waiting there for the absent hub; the
    # gateway keeps them too until the hub's own ack.
    await eventually(lambda: daemon.outbox is not None and daemon.outbox.published_through >= 3)
    assert daemon.outbox is not None and daemon.outbox.depth >= 3
    daemon.stop()
    await asyncio.wait_for(task, 10)

    async with running_hub(own_broker, tmp_path, clock=clock.now) as hub:
        async with hub.client(await hub.token(role="admin")) as client:

            async def missed() -> Any:
                body = (await client.get("/api/v1/households/hh-1")).json()
                return body if body["state"] == "missed" else None

            body = await until(missed, within=20)
        assert body["level"] == 1
        events = await hub.state.store.events_of(
            ["gw-home"], ["checkin.missed"], start, start + timedelta(days=2)
        )
        assert [(e.data["level"], e.ts) for e in events] == [(0, reminded_at), (1, told_at)]
