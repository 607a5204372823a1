"""Commands from the hub reach the gateway's buttons: the daemon on a real broker, the
button unit simulated on a pty (its firmware obeys the gateway's lines)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.edge.clock import SystemClock
from mimamori.edge.daemon import EdgeDaemon
from mimamori.firmware_sim.ble import SimAir
from mimamori.firmware_sim.button import SimButton
from mimamori.protocol.commands import RemindCommand, encode_command
from mimamori.protocol.topics import command_topic
from tests.edge.helpers import eventually, gateway_config, publish_once
from tests.edge.test_daemon import running


def home_daemon(
    gw: str, broker: PrivateBroker, tmp_path: Path, button: Path, hall: Path
) -> EdgeDaemon:
    config = gateway_config(
        gw,
        broker.port,
        tmp_path / "data",
        gateway={"id": gw, "name": "自宅", "site": "home", "lat": 26.28, "lon": 127.78},
        receivers=[],
        household={"id": "hh-1"},
        buttons=[
            {"id": "door", "driver": "serial_button", "port": str(button), "reopen_max_s": 0.2},
            {"id": "hall", "driver": "serial_button", "port": str(hall), "reopen_max_s": 0.2},
            {"id": "bed", "driver": "bthome", "address": "3C:2E:F5:00:00:01"},
        ],
    )
    return EdgeDaemon(config, clock=SystemClock(), ble_backend=SimAir().backend)


async def test_a_remind_command_beeps_the_serial_buttons_until_one_is_pressed(
    broker: PrivateBroker, tmp_path: Path, unique_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mimamori.edge.commands")
    with SimButton(tmp_path / "door") as unit, SimButton(tmp_path / "hall") as other:
        listening = [asyncio.create_task(u.listen()) for u in (unit, other)]
        daemon = home_daemon(unique_id, broker, tmp_path, unit.link, other.link)
        door, hall = (next(d for d in daemon.drivers if d.id == i) for i in ("door", "hall"))
        try:
            async with running(daemon):
                await eventually(lambda: daemon.link is not None and daemon.link.connected.is_set())
                await eventually(lambda: door.status().state == hall.status().state == "up")
                topic = command_topic(unique_id)
                await publish_once(broker.port, topic, b'{"v":1,"kind":"beep"}', retain=False)
                await eventually(lambda: daemon.counters["commands_rejected"] == 1)
                command = RemindCommand(ref="ev1", for_s=900)
                await publish_once(broker.port, topic, encode_command(command), retain=False)
                await eventually(lambda: unit.reminding is not None and other.reminding is not None)
                unit.press("genki", repeats=1)  # she answers at the door
                await eventually(lambda: door.status().counters.get("reminder_pressed") == 1)
                await eventually(lambda: hall.status().counters.get("reminder_quiet") == 1)
        finally:
            for task in listening:
                task.cancel()
    assert [(r.ref, r.for_s, r.ended) for r in unit.reminders] == [("ev1", 900, "pressed")]
    assert [(r.ref, r.ended) for r in other.reminders] == [("ev1", "quiet")]
    assert daemon.counters["reminders"] == 1
    said = [r.getMessage() for r in caplog.records]
    assert any("bed" in m and "cannot receive" in m for m in said)
