"""The gateway's status carries each receiver's rate, filled on the gateway's clock."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from mimamori.edge.clock import VirtualClock
from mimamori.edge.config import SerialButton
from mimamori.edge.daemon import EdgeDaemon
from mimamori.edge.drivers.ble import BleDriver
from mimamori.edge.drivers.serial_button import SerialButtonDriver
from mimamori.firmware_sim.ble import SimAir
from mimamori.firmware_sim.frames import adv_for_tag
from mimamori.protocol import decode_status, encode_status
from tests.edge.helpers import gateway_config, tag_id


async def test_the_status_says_per_receiver_what_it_heard_each_minute(tmp_path: Path) -> None:
    clock = VirtualClock()
    start = clock.now()
    air = SimAir()
    config = gateway_config(
        "gw-1",
        1883,
        tmp_path,
        receivers=[
            {"id": "vm", "driver": "serial_line", "port": "/dev/null"},
            {"id": "pi", "driver": "ble", "mode": "active"},
        ],
    )
    daemon = EdgeDaemon(config, clock=clock, ble_backend=air.backend)
    ble = next(d for d in daemon.drivers if isinstance(d, BleDriver))
    observations = ble.observations()
    await anext(observations)  # the scanner is up
    try:
        clock.advance(60.0)
        for _ in range(5):
            air.broadcast("D3:4D:BE:EF:00:01", adv_for_tag(tag_id(1)), -60)
        clock.advance(60.0)
        status = daemon.status()
    finally:
        await observations.aclose()
    wire = json.loads(encode_status(status))["drivers"]
    assert wire["pi"]["heard"]["per_min"] == [0, 5]
    assert wire["pi"]["heard"]["last_min"] == 5
    assert wire["vm"]["heard"] == {
        "last_min": 0,
        "per_min": [0, 0],
        "until": wire["pi"]["heard"]["until"],
    }
    decoded = decode_status(encode_status(status), topic_gateway="gw-1")
    heard = decoded.drivers["pi"].heard
    assert heard is not None and heard.until == start + timedelta(seconds=120)
    assert heard.last_advert == start + timedelta(seconds=60)


def test_a_button_has_no_rate_in_the_status() -> None:
    button = SerialButton.model_validate(
        {"id": "door", "driver": "serial_button", "port": "/dev/null"}
    )
    status = SerialButtonDriver(button, VirtualClock()).status()
    assert status.heard is None
