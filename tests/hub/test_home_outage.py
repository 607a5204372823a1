"""A real home gateway daemon (virtual clock) through a real broker outage to a real hub.

The check-in is missed while the broker is unreachable; the gateway decides anyway,
keeps the events, and the hub shows them later with the times they were decided.
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

from ..edge.helpers import ScriptedButton, eventually, gateway_config
from .conftest import RunningHub
from .test_households import until


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
    hub: RunningHub, tmp_path: Path
) -> None:
    broker: PrivateBroker = hub.broker
    start = datetime.now(UTC).replace(second=0, microsecond=0)
    clock = VirtualClock(start)
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
