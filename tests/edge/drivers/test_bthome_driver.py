"""BthomeDriver through bleak's real BleakScanner on the simulated air, frames from our encoder.

Time is virtual: the driver stamps frames (and tells bthome-ble their time) with a
VirtualClock, so "five seconds later" is a jump, not a sleep.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest
from bleak.backends.device import BLEDevice
from bthome_ble import BTHomeBluetoothDeviceData
from habluetooth import BluetoothServiceInfoBleak

from mimamori.edge.clock import VirtualClock
from mimamori.edge.config import BthomeButton
from mimamori.edge.drivers.base import Driver
from mimamori.edge.drivers.bthome import BthomeDriver
from mimamori.edge.observations import DeviceReport, Press
from mimamori.errors import DriverError
from mimamori.firmware_sim.ble import SimAir, advertisement_data
from mimamori.firmware_sim.bthome import (
    SimBthomeButton,
    bthome_adv,
    button_objects,
    service_data,
)
from mimamori.firmware_sim.frames import AD_SERVICE_DATA_16, ad_structure

# Fixtures of conftest.py: observe(driver) runs a driver in a task, observe_up(driver) from
# the moment its scanner runs; wait_until(condition).
Observe = Callable[[Driver], AbstractAsyncContextManager[Any]]
Until = Callable[..., Coroutine[Any, Any, None]]

ADDRESS = "3C:2E:F5:12:34:56"
KEY = bytes.fromhex("231d39c1d7cc1ab1aee224cd096db932")
OTHER_KEY = bytes.fromhex("00112233445566778899aabbccddeeff")


def driver_for(
    air: SimAir,
    clock: VirtualClock,
    key_file: Path | None = None,
    watchdog_s: float = 60.0,
    **options: Any,
) -> BthomeDriver:
    config = BthomeButton.model_validate(
        {
            "id": "genki-btn",
            "driver": "bthome",
            "address": ADDRESS.lower(),  # any case: bleak reports it upper case
            "bind_key_file": str(key_file) if key_file else None,
            **options,
        }
    )
    return BthomeDriver(config, clock, air.backend, watchdog_s=watchdog_s)


def key_file(tmp_path: Path, key: bytes = KEY) -> Path:
    path = tmp_path / "button.key"
    path.write_text(key.hex() + "\n", encoding="ascii")
    return path


def presses(seen: list[Any]) -> list[Press]:
    return [o for o in seen if isinstance(o, Press)]


async def test_a_plain_press_arrives_once_with_a_report_of_the_battery(observe_up: Observe) -> None:
    air, clock = SimAir(), VirtualClock()
    driver = driver_for(air, clock)
    button = SimBthomeButton(air, ADDRESS, battery_pct=93, repeats=3)
    async with observe_up(driver) as observed:
        assert button.press() == 3  # three copies, one packet id
        press = await observed.next(Press)
        report = await observed.next(DeviceReport)
    assert (press.device, press.card, press.counter) == ("genki-btn", "genki", 0)
    assert press.ts == clock.now() and press.at == clock.monotonic()
    assert (report.battery_pct, report.mains) == (93, None)
    counters = driver.status().counters
    assert (counters["frames"], counters["presses"], counters["duplicates"]) == (1, 1, 2)
    assert driver.status().last_frame == clock.now()


async def test_an_encrypted_press_with_the_right_key_arrives(
    tmp_path: Path, observe_up: Observe
) -> None:
    air, clock = SimAir(), VirtualClock()
    driver = driver_for(air, clock, key_file(tmp_path))
    button = SimBthomeButton(air, ADDRESS, KEY, counter=1000)
    async with observe_up(driver) as observed:
        button.press("long_press")
        press = await observed.next(Press)
        button.press()
        second = await observed.next(Press)
    assert (press.card, second.card) == ("sos", "genki")
    assert (press.counter, second.counter) == (0, 1)
    assert "decrypt_failed" not in driver.status().counters


@pytest.mark.parametrize("encrypted", [False, True])
async def test_five_copies_of_one_press_are_one_press_however_late_they_come(
    encrypted: bool, tmp_path: Path, observe_up: Observe
) -> None:
    air, clock = SimAir(), VirtualClock()
    driver = driver_for(air, clock, key_file(tmp_path) if encrypted else None)
    button = SimBthomeButton(air, ADDRESS, KEY if encrypted else None, repeats=1)
    async with observe_up(driver) as observed:
        button.press()
        await observed.next(Press)
        for _ in range(4):  # the same packet id, later and later: 2.5, 5, 7.5, 10 s
            clock.advance(2.5)
            assert button.repeat() == 1
        button.press("double_press")  # then a new press: it still counts
        second = await observed.next(Press)
    assert second.card == "soudan"
    assert [p.counter for p in presses(observed.seen)] == [0, 1]
    assert driver.status().counters["duplicates"] == 4


def test_bthome_ble_alone_takes_a_copy_after_4_s_for_a_new_press() -> None:
    """Why the driver guards the packet id itself (if this fails, bthome-ble changed)."""
    parser = BTHomeBluetoothDeviceData()
    adv = bthome_adv(service_data(button_objects(packet_id=9, event="press")))
    data = advertisement_data(adv, -60)
    device = BLEDevice(ADDRESS, None, {})
    fired = []
    for at in (100.0, 101.0, 105.5):
        info = BluetoothServiceInfoBleak.from_device_and_advertisement_data(
            device, data, "hci0", at, False
        )
        fired.append(len(parser.update(info).events))
    assert fired == [1, 0, 1]  # the copy 5.5 s later fires the press again


async def test_a_wrong_bind_key_is_counted_and_logged_once_never_a_press(
    tmp_path: Path, observe_up: Observe, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    air, clock = SimAir(), VirtualClock()
    driver = driver_for(air, clock, key_file(tmp_path, OTHER_KEY))
    button = SimBthomeButton(air, ADDRESS, KEY, repeats=3)
    async with observe_up(driver) as observed:
        for _ in range(3):
            assert button.press() == 3  # delivered: the driver has seen each copy
            clock.advance(60)
        button.report_battery(80)
    assert presses(observed.seen) == []
    assert [o for o in observed.seen if isinstance(o, DeviceReport)] == []
    assert driver.status().counters["decrypt_failed"] == 12
    refusals = [r.getMessage() for r in caplog.records if "frame refused" in r.getMessage()]
    assert len(refusals) == 1 and "decrypt_failed" in refusals[0]
    for secret in (KEY.hex(), OTHER_KEY.hex()):
        for record in caplog.records:
            assert secret not in record.getMessage().lower()


async def test_encrypted_frames_without_a_bind_key_say_so(
    observe_up: Observe, caplog: pytest.LogCaptureFixture
) -> None:
    air, clock = SimAir(), VirtualClock()
    driver = driver_for(air, clock)
    async with observe_up(driver) as observed:
        SimBthomeButton(air, ADDRESS, KEY).press()
    assert presses(observed.seen) == []
    assert driver.status().counters["decrypt_failed"] == 3
    assert any("no bind_key_file" in r.getMessage() for r in caplog.records)


async def test_a_plain_frame_is_refused_when_a_bind_key_is_set(
    tmp_path: Path, observe_up: Observe
) -> None:
    air, clock = SimAir(), VirtualClock()
    driver = driver_for(air, clock, key_file(tmp_path))
    async with observe_up(driver) as observed:
        SimBthomeButton(air, ADDRESS, None, repeats=2).press("long_press")  # a forged SOS
        SimBthomeButton(air, ADDRESS, KEY, repeats=1).press()
        press = await observed.next(Press)
    assert press.card == "genki"
    assert presses(observed.seen) == [press]
    assert driver.status().counters["downgrade"] == 2


async def test_garbage_frames_are_counted_and_the_next_press_still_arrives(
    observe_up: Observe,
) -> None:
    air, clock = SimAir(), VirtualClock()
    driver = driver_for(air, clock)
    garbage = [
        b"",  # the UUID and nothing else
        b"\x44",  # the information byte alone
        b"\x24\x00\x01\x3a\x01",  # BTHome version 1 bits
        b"\x44\xfe\x01",  # an object id that does not exist
        b"\x44\x00",  # a packet id with no value
        b"\x44\x3a",  # a button event with no value
        b"\x45\x01\x02",  # "encrypted", too short for a counter and a MIC
        b"\x40\xff\xee\xdd\xcc\xbb",
    ]
    async with observe_up(driver) as observed:
        for data in garbage:
            adv = ad_structure(AD_SERVICE_DATA_16, b"\xd2\xfc" + data)
            assert air.broadcast(ADDRESS, adv, -60) == 1
        air.broadcast(ADDRESS, ad_structure(0x09, b"BLU Button"), -60)  # no BTHome data at all
        SimBthomeButton(air, ADDRESS, repeats=1).press()
        await observed.next(Press)
    counters = driver.status().counters
    assert counters["garbage"] == len(garbage)
    assert counters["ignored"] == 1
    assert counters["presses"] == 1


async def test_a_battery_advert_is_a_device_report_and_no_press(observe_up: Observe) -> None:
    air, clock = SimAir(), VirtualClock()
    driver = driver_for(air, clock)
    async with observe_up(driver) as observed:
        SimBthomeButton(air, ADDRESS, repeats=1).report_battery(17)
        report = await observed.next(DeviceReport)
    assert (report.device, report.battery_pct) == ("genki-btn", 17)
    assert presses(observed.seen) == []


async def test_each_kind_of_press_maps_to_its_card_and_others_are_ignored(
    observe_up: Observe,
) -> None:
    air, clock = SimAir(), VirtualClock()
    cards = {"press": "genki", "double_press": "soudan", "triple_press": "sos"}
    driver = driver_for(air, clock, cards=cards)
    button = SimBthomeButton(air, ADDRESS, repeats=2)
    async with observe_up(driver) as observed:
        button.press("double_press")
        double = await observed.next(Press)
        button.press("long_press")  # not in this home's cards
        button.press("hold_press")
        button.press("triple_press")
        triple = await observed.next(Press)
    assert (double.card, triple.card) == ("soudan", "sos")
    assert driver.status().counters["ignored_event"] == 2


async def test_other_devices_are_not_decoded_nor_counted(observe_up: Observe) -> None:
    air, clock = SimAir(), VirtualClock()
    driver = driver_for(air, clock)
    async with observe_up(driver) as observed:
        SimBthomeButton(air, "3C:2E:F5:00:00:99").press()  # the neighbour's button
        SimBthomeButton(air, ADDRESS, repeats=1).press("double_press")
        press = await observed.next(Press)
    assert press.card == "soudan"
    assert driver.status().counters == {"frames": 1, "presses": 1}


async def test_a_missing_adapter_is_down_until_it_appears(
    observe: Observe, wait_until: Until
) -> None:
    air, clock = SimAir(adapters=()), VirtualClock()
    driver = driver_for(air, clock)
    async with observe(driver) as observed:
        await wait_until(lambda: driver.status().state == "down")
        assert "hci0" in driver.status().detail
        air.adapters.add("hci0")
        await wait_until(lambda: driver.status().state == "up")
        SimBthomeButton(air, ADDRESS, repeats=1).press()
        await observed.next(Press)
    assert air.scanners == []  # stopped when the driver was closed


async def test_a_scanner_that_went_quiet_is_restarted_and_hears_the_button_again(
    observe_up: Observe, wait_until: Until
) -> None:
    air, clock = SimAir(), VirtualClock()
    driver = driver_for(air, clock, watchdog_s=0.2)
    button = SimBthomeButton(air, ADDRESS, repeats=1)
    async with observe_up(driver) as observed:
        air.stall()  # BlueZ stops delivering, without an error
        assert button.press() == 0
        await wait_until(lambda: driver.status().counters.get("restarts", 0) >= 1)
        await wait_until(lambda: button.press() == 1)
        press = await observed.next(Press)
    assert driver.status().state == "up"  # a restart is no outage
    assert press.counter is not None and press.counter >= 1


def test_an_unreadable_bind_key_stops_the_driver_at_start(tmp_path: Path) -> None:
    bad = tmp_path / "bad.key"
    bad.write_text("not a key", encoding="ascii")
    with pytest.raises(DriverError, match="bind key") as caught:
        driver_for(SimAir(), VirtualClock(), bad)
    assert "not a key" not in str(caught.value)
