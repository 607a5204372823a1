"""HciUartDriver against bumble's software controller on a real pseudo-terminal.

The controller and the tags share bumble's LocalLink (the air); the driver speaks H4
to the controller through pyserial on the pty, exactly as to a board on a UART.
"""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.edge.adverts import decode_tag
from mimamori.edge.clock import SystemClock, VirtualClock
from mimamori.edge.config import HciReceiver
from mimamori.edge.daemon import EdgeDaemon
from mimamori.edge.drivers import hci_commands as cmd
from mimamori.edge.drivers.base import Driver
from mimamori.edge.drivers.hci_uart import HciUartDriver
from mimamori.edge.observations import Advert, ReceiverState
from tests.edge.drivers.bumble_radio import Radio
from tests.edge.helpers import gateway_config
from tests.edge.test_daemon import listening, running

Observe = Callable[[Driver], AbstractAsyncContextManager[Any]]
Until = Callable[..., Coroutine[Any, Any, None]]
IBEACON = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:100:7"
EDDY = "eddystone-uid:00112233445566778899:a1b2c3d4e5f6"
UNKNOWN_HCI_COMMAND = 0x01
COMMAND_DISALLOWED = 0x0C


@pytest.fixture
async def radio() -> AsyncIterator[Radio]:
    air = Radio()
    yield air
    await air.close()


def driver_for(
    port: Path,
    command_timeout_s: float = 2.0,
    clock: SystemClock | VirtualClock | None = None,
    **options: Any,
) -> HciUartDriver:
    config = HciReceiver.model_validate(
        {"id": "rx1", "driver": "hci_uart", "port": str(port), "reopen_max_s": 0.1, **options}
    )
    return HciUartDriver(
        config, clock or SystemClock(), rng=random.Random(1), command_timeout_s=command_timeout_s
    )


def tag_of(advert: Advert) -> str | None:
    frame = decode_tag(dict(advert.manufacturer), dict(advert.service_data))
    return frame.tag_id if frame else None


def is_down(state: ReceiverState) -> bool:
    return not state.up


async def tags_heard(observed: Any, wanted: set[str]) -> dict[str, Advert]:
    heard: dict[str, Advert] = {}
    while not wanted <= heard.keys():
        advert = await observed.next(Advert)
        heard[tag_of(advert) or "?"] = advert
    return heard


async def test_tags_on_the_air_arrive_as_adverts_through_extended_scanning(
    tmp_path: Path, radio: Radio, observe: Observe
) -> None:
    controller = await radio.plug(tmp_path / "hci")
    await radio.tag(IBEACON, 1)
    await radio.tag(EDDY, 2)
    driver = driver_for(tmp_path / "hci")
    async with observe(driver) as observed:
        up = await observed.next(ReceiverState)
        heard = await tags_heard(observed, {IBEACON, EDDY})
    assert up.up and up.reason == "scanning (extended)"
    assert heard[IBEACON].rssi == -50  # what bumble's controller reports for every advert
    assert heard[EDDY].receiver == "rx1" and heard[EDDY].ts.tzinfo is not None
    assert controller.opcodes[:6] == [
        cmd.HCI_RESET,
        cmd.HCI_SET_EVENT_MASK,
        cmd.LE_SET_EVENT_MASK,
        cmd.LE_READ_LOCAL_SUPPORTED_FEATURES,
        cmd.LE_SET_EXTENDED_SCAN_PARAMETERS,
        cmd.LE_SET_EXTENDED_SCAN_ENABLE,
    ]
    # What the controller was told: passive, no duplicate filter, our event masks.
    assert controller.le_scan_enable and not controller.filter_duplicates
    assert controller.le_event_mask == cmd.LE_EVENT_MASK
    assert controller.event_mask == cmd.EVENT_MASK
    status = driver.status()
    assert status.driver == "hci_uart" and status.state == "up"
    assert status.counters["adverts"] >= 2
    assert status.counters["scan_responses"] >= 1  # bumble answers even passive scans
    assert status.last_frame is not None


async def test_adverts_heard_by_the_controller_are_counted_per_minute(
    tmp_path: Path, radio: Radio, observe: Observe
) -> None:
    await radio.plug(tmp_path / "hci")
    await radio.tag(IBEACON, 1)
    clock = VirtualClock()
    driver = driver_for(tmp_path / "hci", clock=clock)
    async with observe(driver) as observed:
        await tags_heard(observed, {IBEACON})
    clock.advance(150.0)  # the driver is stopped: what it counted stays put
    heard = driver.status().heard
    assert heard is not None and heard.last_advert is not None
    adverts = driver.status().counters["adverts"]
    assert heard.per_min[0] >= adverts >= 1 and heard.per_min[1:] == [0]


async def test_a_controller_without_extended_advertising_is_scanned_with_legacy_commands(
    tmp_path: Path, radio: Radio, observe: Observe
) -> None:
    controller = await radio.plug(tmp_path / "hci", extended=False)
    await radio.tag(IBEACON, 1)
    driver = driver_for(tmp_path / "hci")
    async with observe(driver) as observed:
        up = await observed.next(ReceiverState)
        await tags_heard(observed, {IBEACON})
    assert up.reason == "scanning (legacy)"
    assert controller.le_scan_type == cmd.PASSIVE
    assert controller.le_scan_interval == controller.le_scan_window == 160  # 100 ms
    assert cmd.LE_SET_EXTENDED_SCAN_PARAMETERS not in controller.opcodes
    assert controller.opcodes[-2:] == [cmd.LE_SET_SCAN_PARAMETERS, cmd.LE_SET_SCAN_ENABLE]


async def test_a_controller_refusing_extended_scanning_falls_back_to_legacy_once(
    tmp_path: Path, radio: Radio, observe: Observe, caplog: pytest.LogCaptureFixture
) -> None:
    controller = await radio.plug(tmp_path / "hci")
    controller.refuse[cmd.LE_SET_EXTENDED_SCAN_PARAMETERS] = (UNKNOWN_HCI_COMMAND, 99)
    await radio.tag(IBEACON, 1)
    driver = driver_for(tmp_path / "hci", watchdog_s=1)
    with caplog.at_level(logging.WARNING, "mimamori.edge.drivers.hci_uart"):
        async with observe(driver) as observed:
            up = await observed.next(ReceiverState)
            await tags_heard(observed, {IBEACON})
    assert up.up and up.reason == "scanning (legacy)"
    assert driver.status().counters["extended_fallbacks"] == 1
    assert controller.count(cmd.LE_SET_EXTENDED_SCAN_PARAMETERS) == 1
    assert "HCI_LE_Set_Extended_Scan_Parameters refused: status 0x01 Unknown HCI Command" in (
        caplog.text
    )


async def test_a_refused_command_is_reported_counted_and_retried_with_backoff(
    tmp_path: Path, radio: Radio, observe: Observe, caplog: pytest.LogCaptureFixture
) -> None:
    controller = await radio.plug(tmp_path / "hci", extended=False)
    controller.refuse[cmd.LE_SET_SCAN_ENABLE] = (COMMAND_DISALLOWED, 2)
    await radio.tag(IBEACON, 1)
    driver = driver_for(tmp_path / "hci")
    with caplog.at_level(logging.WARNING, "mimamori.edge.drivers.hci_uart"):
        async with observe(driver) as observed:
            down = await observed.next(ReceiverState)
            up = await observed.next(ReceiverState)
            await tags_heard(observed, {IBEACON})
    reason = "HCI_LE_Set_Scan_Enable refused: status 0x0C Command Disallowed"
    assert not down.up and down.reason == reason
    assert up.up
    assert driver.status().counters["command_refused"] == 2
    assert controller.count(cmd.HCI_RESET) == 3  # each retry starts over from the reset
    assert reason in caplog.text and "setting up again in" in caplog.text


async def test_a_controller_that_does_not_answer_is_down_until_it_does(
    tmp_path: Path, radio: Radio, observe: Observe
) -> None:
    controller = await radio.plug(tmp_path / "hci")
    controller.mute.add(cmd.HCI_RESET)
    driver = driver_for(tmp_path / "hci", command_timeout_s=0.2)
    async with observe(driver) as observed:
        down = await observed.next(ReceiverState)
        controller.mute.clear()
        up = await observed.next(ReceiverState)
    assert down.reason == "HCI_Reset: no answer within 0.2 s"
    assert up.up
    assert driver.status().counters["command_timeouts"] >= 1


async def test_noise_unknown_packets_and_stray_events_on_the_line_do_not_stop_the_adverts(
    tmp_path: Path, radio: Radio, observe: Observe
) -> None:
    await radio.plug(tmp_path / "hci", extended=False)
    driver = driver_for(tmp_path / "hci")
    # Noise without bytes 0x01-0x05: any of them could pass for a packet header, and H4
    # has no checksum to tell (the price of the transport; the next test's limit).
    noise = bytes(b for b in random.Random(5).randbytes(60) if not 0x01 <= b <= 0x05)
    async with observe(driver) as observed:
        await observed.next(ReceiverState)
        radio.inject(noise)
        radio.inject(bytes.fromhex("04 08"))  # an event we did not ask for, in three pieces:
        radio.inject(bytes.fromhex("01"))  # its length,
        radio.inject(bytes.fromhex("00"))  # its one parameter
        radio.inject(b"\x07\x08\xff")  # indicators no H4 packet has, then
        radio.inject(bytes.fromhex("04 00"))  # event code 0: never a real event
        radio.inject(bytes.fromhex("02 0100 0200 abcd"))  # ACL data we never asked for
        radio.inject(bytes.fromhex("04 05 04 00 0100 13"))  # Disconnection Complete
        radio.inject(bytes.fromhex("04 3e 03 02 00 00"))  # LE Advertising Report, no reports
        await radio.tag(IBEACON, 1)
        await tags_heard(observed, {IBEACON})
    counters = driver.status().counters
    assert counters["h4.skipped_bytes"] == len(noise) + 3 + 2
    assert counters["h4.resyncs"] == 2  # the noise; the bad indicators with the bad event
    assert counters["packets_unexpected"] == 1
    assert counters["events_unexpected"] >= 1
    assert counters["event.bad_report"] == 1


async def test_a_hardware_error_or_a_controller_restart_sets_scanning_up_again(
    tmp_path: Path, radio: Radio, observe: Observe, wait_until: Until
) -> None:
    controller = await radio.plug(tmp_path / "hci")
    await radio.tag(IBEACON, 1)
    driver = driver_for(tmp_path / "hci")
    async with observe(driver) as observed:
        await observed.next(ReceiverState)
        await tags_heard(observed, {IBEACON})
        radio.inject(bytes.fromhex("04 10 01 42"))  # Hardware Error, code 0x42
        # Wait for the scan to be on again, not only for the reset: during the setup the
        # driver skips whatever answers none of its commands (events_during_setup), so a
        # Command Complete for no command sent then was lost (one run in two failed).
        await wait_until(lambda: controller.count(cmd.LE_SET_EXTENDED_SCAN_ENABLE) == 2)
        radio.inject(bytes.fromhex("04 0e 03 01 0000"))  # Command Complete for no command
        await wait_until(lambda: controller.count(cmd.LE_SET_EXTENDED_SCAN_ENABLE) == 3)
        await tags_heard(observed, {IBEACON})
    counters = driver.status().counters
    assert counters["hardware_errors"] == 1 and counters["controller_restarts"] == 1
    assert controller.count(cmd.HCI_RESET) == 3  # each set up from scratch
    assert driver.status().state == "up"
    assert not any(isinstance(o, ReceiverState) and not o.up for o in observed.seen)


async def test_a_quiet_street_restarts_scanning_without_calling_the_receiver_down(
    tmp_path: Path, radio: Radio, observe: Observe, wait_until: Until
) -> None:
    controller = await radio.plug(tmp_path / "hci")
    driver = driver_for(tmp_path / "hci", watchdog_s=1)
    async with observe(driver) as observed:
        await observed.next(ReceiverState)
        await wait_until(lambda: driver.status().counters.get("restarts", 0) >= 1, within=5)
        await radio.tag(EDDY, 3)
        await tags_heard(observed, {EDDY})
    assert controller.count(cmd.HCI_RESET) >= 2
    assert [o.up for o in observed.seen if isinstance(o, ReceiverState)] == [True]


async def test_an_unplugged_controller_is_down_and_back_up_when_plugged_in_again(
    tmp_path: Path, radio: Radio, observe: Observe
) -> None:
    await radio.plug(tmp_path / "hci")
    await radio.tag(IBEACON, 1)
    driver = driver_for(tmp_path / "hci")
    async with observe(driver) as observed:
        await observed.next(ReceiverState)
        await tags_heard(observed, {IBEACON})
        await radio.unplug()
        down = await observed.next(ReceiverState, is_down)
        again = await radio.plug(tmp_path / "hci", extended=False)
        up = await observed.next(ReceiverState)
        await tags_heard(observed, {IBEACON})
    assert down.reason.startswith("port lost") or down.reason.startswith("cannot open")
    assert up.up and up.reason == "scanning (legacy)"
    assert again.count(cmd.HCI_RESET) == 1
    assert driver.status().counters["reopen_attempts"] >= 1


async def test_a_gateway_configured_with_an_hci_receiver_publishes_the_tags_it_hears(
    tmp_path: Path, radio: Radio, broker: PrivateBroker, unique_id: str
) -> None:
    await radio.plug(tmp_path / "hci")
    await radio.tag(IBEACON, 1)
    receiver = {"id": "hci", "driver": "hci_uart", "port": str(tmp_path / "hci")}
    config = gateway_config(
        unique_id,
        broker.port,
        tmp_path / "data",
        receivers=[receiver],
        tags={"allow": ["ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:*"]},
    )
    daemon = EdgeDaemon(config)
    assert [type(d).__name__ for d in daemon.drivers] == ["HciUartDriver"]
    async with listening(broker.port, unique_id) as listener, running(daemon):
        await listener.wait_for(lambda: any(e["kind"] == "tag.arrived" for e in listener.events()))
    arrived = next(e for e in listener.events() if e["kind"] == "tag.arrived")
    assert arrived["data"]["tag"] == IBEACON and arrived["data"]["receiver"] == "hci"
    assert daemon.counters["adverts_unknown_format"] == 0  # scan responses stay in the driver
