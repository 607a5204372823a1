"""BleDriver through bleak's real BleakScanner, with the simulated air as its backend."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from bleak import BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData

from mimamori.edge.adverts import decode_tag
from mimamori.edge.clock import SystemClock, VirtualClock
from mimamori.edge.config import BleReceiver
from mimamori.edge.drivers.base import Driver
from mimamori.edge.drivers.ble import BleDriver, uuid16
from mimamori.edge.observations import Advert, ReceiverState
from mimamori.firmware_sim.ble import SimAir
from mimamori.firmware_sim.frames import (
    AD_FLAGS,
    ad_structure,
    adv_for_tag,
)

# Fixtures of conftest.py: observe(driver) runs a driver in a task; wait_until(condition).
Observe = Callable[[Driver], AbstractAsyncContextManager[Any]]
Until = Callable[..., Coroutine[Any, Any, None]]

TAG = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:100:7"
EDDY = "eddystone-uid:00112233445566778899:a1b2c3d4e5f6"
TAG_ADDR = "D3:4D:BE:EF:00:01"
# A phone: flags and a name, nothing a tag would send.
PHONE = ad_structure(AD_FLAGS, b"\x1a") + ad_structure(0x09, b"Pixel")


def ble_driver(
    air: SimAir, clock: SystemClock | VirtualClock | None = None, **options: Any
) -> BleDriver:
    config = BleReceiver.model_validate({"id": "ble0", "driver": "ble", **options})
    return BleDriver(config, clock or SystemClock(), backend=air.backend, rng=random.Random(2))


def tag_of(advert: Advert) -> str | None:
    frame = decode_tag(dict(advert.manufacturer), dict(advert.service_data))
    return frame.tag_id if frame else None


@asynccontextmanager
async def broadcasting(air: SimAir, adv: bytes, every: float = 0.02) -> AsyncIterator[None]:
    """A tag near the gateway, advertising every ``every`` seconds (hardware timing)."""

    async def tag() -> None:
        while True:
            air.broadcast(TAG_ADDR, adv, -58)
            await asyncio.sleep(every)

    task = asyncio.create_task(tag(), name="sim tag")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_the_sim_backend_serves_the_real_bleak_scanner_api() -> None:
    air = SimAir()
    heard: list[tuple[BLEDevice, AdvertisementData]] = []
    scanner = BleakScanner(lambda d, a: heard.append((d, a)), backend=air.backend)
    async with scanner:
        air.broadcast(TAG_ADDR, adv_for_tag(EDDY), -70)
    device, data = heard[0]
    assert device.address == TAG_ADDR
    assert data.rssi == -70
    assert data.service_uuids == ["0000feaa-0000-1000-8000-00805f9b34fb"]
    assert list(data.service_data) == ["0000feaa-0000-1000-8000-00805f9b34fb"]
    assert scanner.discovered_devices == [device]
    assert air.scanners == []  # stopped


async def test_tag_adverts_arrive_as_observations_without_the_address(observe: Observe) -> None:
    air = SimAir()
    driver = ble_driver(air)
    async with observe(driver) as observed:
        up = await observed.next(ReceiverState)
        assert up.up and "passive" in up.reason
        # A 128-bit service data UUID (not a base UUID) rides along in the scan response.
        custom = ad_structure(0x21, bytes(range(16)) + b"\x01")
        air.broadcast(TAG_ADDR, adv_for_tag(TAG) + custom, -61)
        air.broadcast(TAG_ADDR, adv_for_tag(EDDY), -66)
        first = await observed.next(Advert)
        second = await observed.next(Advert)
    assert (first.receiver, first.rssi, tag_of(first)) == ("ble0", -61, TAG)
    assert first.service_data == {}  # the 128-bit one was dropped
    assert (second.rssi, tag_of(second)) == (-66, EDDY)
    assert 0xFEAA in second.service_data  # the 128-bit key, mapped back to 16 bits
    assert TAG_ADDR not in repr(first) and TAG_ADDR.replace(":", "") not in repr(first)
    status = driver.status()
    assert status.state == "up" and status.counters["adverts"] == 2
    assert driver.scanning_mode == "passive"


async def test_passive_scanning_hears_only_our_tag_formats(observe: Observe) -> None:
    air = SimAir()
    async with observe(ble_driver(air, mode="passive")) as observed:
        await observed.next(ReceiverState)
        assert air.broadcast("11:22:33:44:55:66", PHONE, -40) == 0  # BlueZ's monitor drops it
        assert air.broadcast(TAG_ADDR, adv_for_tag(TAG), -60) == 1
        await observed.next(Advert)


async def test_active_scanning_drops_other_devices_in_the_driver(observe: Observe) -> None:
    air = SimAir()
    driver = ble_driver(air, mode="active")
    async with observe(driver) as observed:
        await observed.next(ReceiverState)
        assert air.broadcast("11:22:33:44:55:66", PHONE, -40) == 1  # heard...
        air.broadcast(TAG_ADDR, adv_for_tag(TAG), -60)
        advert = await observed.next(Advert)
    assert tag_of(advert) == TAG
    assert [o for o in observed.seen if isinstance(o, Advert)] == [advert]  # ...not passed on
    assert driver.status().counters["ignored"] == 1
    assert driver.scanning_mode == "active"


async def test_auto_mode_falls_back_to_active_when_bluez_refuses_passive(
    observe: Observe, caplog: pytest.LogCaptureFixture
) -> None:
    air = SimAir(passive_supported=False)
    driver = ble_driver(air, mode="auto")
    caplog.set_level(logging.INFO, logger="mimamori.edge.drivers.ble")
    async with observe(driver) as observed:
        up = await observed.next(ReceiverState)
        assert up.up and "active" in up.reason
        air.broadcast(TAG_ADDR, adv_for_tag(TAG), -60)
        await observed.next(Advert)
    assert driver.scanning_mode == "active"
    fallbacks = [r for r in caplog.records if "passive scanning unavailable" in r.getMessage()]
    assert len(fallbacks) == 1 and "BlueZ >= 5.56" in fallbacks[0].getMessage()


async def test_forced_passive_mode_stays_down_rather_than_scanning_actively(
    observe: Observe, wait_until: Until
) -> None:
    air = SimAir(passive_supported=False)
    driver = ble_driver(air, mode="passive")
    async with observe(driver) as observed:
        down = await observed.next(ReceiverState)
        assert not down.up and "BlueZ >= 5.56" in down.reason
        await wait_until(lambda: air.attempts >= 3)  # it keeps trying, with backoff...
    assert air.starts == 0  # ...never in active mode
    assert len(observed.seen) == 1  # and says it is down only once
    assert driver.scanning_mode == "passive"


async def test_a_missing_adapter_is_down_until_it_appears(observe: Observe) -> None:
    air = SimAir(adapters=())
    driver = ble_driver(air, adapter="hci1")
    async with observe(driver) as observed:
        down = await observed.next(ReceiverState)
        assert not down.up and "hci1" in down.reason
        air.adapters.add("hci1")
        up = await observed.next(ReceiverState)
        assert up.up
        air.broadcast(TAG_ADDR, adv_for_tag(TAG), -60)
        await observed.next(Advert)


async def test_a_silently_stalled_scanner_is_restarted_by_the_watchdog(
    observe: Observe, caplog: pytest.LogCaptureFixture
) -> None:
    air = SimAir()
    driver = ble_driver(air, watchdog_s=1.0)
    caplog.set_level(logging.INFO, logger="mimamori.edge.drivers.ble")
    async with observe(driver) as observed, broadcasting(air, adv_for_tag(TAG)):
        await observed.next(Advert)
        air.stall()  # BlueZ goes quiet; the tag keeps advertising
        await observed.next(Advert, within=3.0)  # heard again, through a fresh scanner
    assert driver.status().counters["restarts"] == 1
    assert driver.status().state == "up"
    assert air.starts == 2
    assert [o.up for o in observed.seen if isinstance(o, ReceiverState)] == [True]
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert sum("restarting the scanner" in m for m in messages) == 1
    assert sum("adverts arrive again" in m for m in messages) == 1


async def test_a_quiet_street_restarts_the_scanner_but_never_calls_the_receiver_down(
    observe: Observe, wait_until: Until, caplog: pytest.LogCaptureFixture
) -> None:
    air = SimAir()
    driver = ble_driver(air, watchdog_s=1.0)
    caplog.set_level(logging.INFO, logger="mimamori.edge.drivers.ble")
    async with observe(driver) as observed:
        await observed.next(ReceiverState)
        await wait_until(lambda: driver.status().counters.get("restarts", 0) >= 2)
    states = [o.up for o in observed.seen if isinstance(o, ReceiverState)]
    assert states == [True]
    assert "scanner restarted" in driver.status().detail
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert sum("restarting the scanner" in m for m in messages) == 1  # once per quiet spell


def test_only_bluetooth_base_uuids_map_to_16_bits() -> None:
    assert uuid16("0000feaa-0000-1000-8000-00805f9b34fb") == 0xFEAA
    assert uuid16("0000FEAA-0000-1000-8000-00805F9B34FB") == 0xFEAA
    assert uuid16("1234feaa-0000-1000-8000-00805f9b34fb") is None  # a 32-bit UUID
    assert uuid16("0000feaa-0000-1000-8000-00805f9b34fc") is None
    assert uuid16("0000xyzw-0000-1000-8000-00805f9b34fb") is None
    assert uuid16("feaa") is None


async def test_adverts_heard_show_up_as_per_minute_counts_and_silence_as_zeros(
    observe: Observe,
) -> None:
    air = SimAir()
    clock = VirtualClock()
    start = clock.now()
    driver = ble_driver(air, clock, mode="active")
    async with observe(driver) as observed:
        await observed.next(ReceiverState)
        for _ in range(3):
            air.broadcast(TAG_ADDR, adv_for_tag(TAG), -60)
        air.broadcast("11:22:33:44:55:66", PHONE, -40)  # not a tag, but heard
        clock.advance(60.0)
        air.broadcast(TAG_ADDR, adv_for_tag(EDDY), -60)
        clock.advance(60.0)
        heard = driver.status().heard
        assert heard is not None
        assert (heard.per_min, heard.last_min) == ([4, 1], 1)
        assert heard.until == start + timedelta(seconds=120)
        assert heard.last_advert == start + timedelta(seconds=60)
        clock.advance(120.0)  # the street goes quiet
        heard = driver.status().heard
    assert heard is not None
    assert (heard.per_min, heard.last_min) == ([4, 1, 0, 0], 0)
    assert heard.last_advert == start + timedelta(seconds=60)
    assert driver.status().counters["adverts"] == 4  # the tags' adverts went on as before
