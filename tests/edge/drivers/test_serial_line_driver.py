"""SerialLineDriver on a real pseudo-terminal, fed by the simulated receiver firmware."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from mimamori.edge.adverts import decode_tag
from mimamori.edge.clock import SystemClock, VirtualClock
from mimamori.edge.config import SerialReceiver
from mimamori.edge.drivers.base import Driver
from mimamori.edge.drivers.serial_line import REOPEN_BASE_S, SerialLineDriver
from mimamori.edge.observations import Advert, Heartbeat, ReceiverState
from mimamori.firmware_sim.frames import AD_FLAGS, ad_structure, adv_for_tag
from mimamori.firmware_sim.receiver import SimReceiver, advert_line, encode_line

# Fixtures of conftest.py: observe(driver) runs a driver in a task; wait_until(condition).
Observe = Callable[[Driver], AbstractAsyncContextManager[Any]]
Until = Callable[..., Coroutine[Any, Any, None]]
TAG = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:100:7"
EDDY = "eddystone-uid:00112233445566778899:a1b2c3d4e5f6"
ADDR = "C0:FF:EE:12:34:56"


# A phone: flags and a name, nothing a tag would send.
PHONE = ad_structure(AD_FLAGS, b"\x1a") + ad_structure(0x09, b"Pixel")


def driver_for(
    port: Path, clock: SystemClock | VirtualClock | None = None, **options: float
) -> SerialLineDriver:
    config = SerialReceiver.model_validate(
        {"id": "rx1", "driver": "serial_line", "port": str(port), "reopen_max_s": 0.1, **options}
    )
    return SerialLineDriver(config, clock or SystemClock(), rng=random.Random(1))


def tag_of(advert: Advert) -> str | None:
    frame = decode_tag(dict(advert.manufacturer), dict(advert.service_data))
    return frame.tag_id if frame else None


def is_up(state: ReceiverState) -> bool:
    return state.up


def is_down(state: ReceiverState) -> bool:
    return not state.up


async def test_adverts_from_the_board_arrive_as_observations(
    sim: SimReceiver, observe: Observe
) -> None:
    driver = driver_for(sim.link)
    async with observe(driver) as observed:
        up = await observed.next(ReceiverState)
        assert up.up and up.receiver == "rx1"
        assert driver.status().state == "up"
        sim.advert(ADDR, -61, adv_for_tag(TAG))
        sim.advert(ADDR, -75, adv_for_tag(EDDY))
        first = await observed.next(Advert)
        second = await observed.next(Advert)
    assert (first.receiver, first.rssi, tag_of(first)) == ("rx1", -61, TAG)
    assert (second.rssi, tag_of(second)) == (-75, EDDY)
    assert first.ts.tzinfo is not None and first.at <= second.at
    status = driver.status()
    assert status.counters["adverts"] == 2
    assert status.last_frame is not None


async def test_heartbeat_and_boot_lines_become_heartbeats(
    sim: SimReceiver, observe: Observe
) -> None:
    driver = driver_for(sim.link)
    async with observe(driver) as observed:
        await observed.next(ReceiverState)
        sim.dropped = 4  # as if the board had lost four adverts
        sim.heartbeat()
        beat = await observed.next(Heartbeat)
        sim.write_raw(encode_line("B", "mmr-rx-2.0", "watchdog"))
        boot = await observed.next(Heartbeat)
    assert "dropped 4" in beat.detail
    assert "boot" in boot.detail and "watchdog" in boot.detail
    counters = driver.status().counters
    assert counters["heartbeats"] == 1 and counters["boots"] == 1
    assert counters["receiver_dropped"] == 4


async def test_a_bad_crc_line_is_counted_and_the_next_advert_still_arrives(
    sim: SimReceiver, observe: Observe
) -> None:
    driver = driver_for(sim.link)
    good = advert_line(ADDR, -60, adv_for_tag(TAG))
    async with observe(driver) as observed:
        await observed.next(ReceiverState)
        sim.write_raw(good[:-5] + b"0000\n")
        sim.advert(ADDR, -60, adv_for_tag(TAG))
        advert = await observed.next(Advert)
    assert tag_of(advert) == TAG
    assert driver.status().counters["line.bad_crc"] == 1


async def test_truncated_noisy_and_over_long_lines_are_skipped_without_losing_the_next(
    sim: SimReceiver, observe: Observe
) -> None:
    driver = driver_for(sim.link)
    good = advert_line(ADDR, -60, adv_for_tag(TAG))
    noise = bytes(b for b in random.Random(3).randbytes(300) if b not in b"\n\r") + b"\n"
    async with observe(driver) as observed:
        await observed.next(ReceiverState)
        sim.write_raw(good[:40] + b"\n")  # cut short: no CRC
        sim.write_raw(noise)  # line noise with bytes above 0x7F
        sim.write_raw(b"$A," + b"0" * 2000)  # runaway line, no newline yet...
        sim.write_raw(b"0" * 2000 + b"\n")  # ...discarded up to here
        sim.write_raw(b"$Z,1*" + b"%04X" % 0x1D0F + b"\n")  # unknown type (the CRC may be wrong)
        sim.write_raw(b"\x00\xff" * 50 + b"\n")
        sim.advert(ADDR, -59, adv_for_tag(TAG))
        advert = await observed.next(Advert)
    assert advert.rssi == -59
    counters = driver.status().counters
    assert counters["line.no_crc"] == 1
    assert counters["line.not_ascii"] == 2
    assert counters["line.too_long"] == 1
    assert counters["line.bad_crc"] + counters.get("line.unknown_type", 0) == 1
    assert counters["adverts"] == 1


async def test_an_advert_with_malformed_ad_data_is_counted_as_a_bad_advert(
    sim: SimReceiver, observe: Observe
) -> None:
    driver = driver_for(sim.link)
    async with observe(driver) as observed:
        await observed.next(ReceiverState)
        sim.advert(ADDR, -60, b"\x1a\xff\x4c\x00")  # claims 26 bytes, has 3
        sim.advert(ADDR, -60, adv_for_tag(TAG))
        await observed.next(Advert)
    assert driver.status().counters["advert.truncated"] == 1


async def test_unplug_gives_down_and_replug_gives_up_and_adverts_resume(
    sim: SimReceiver, observe: Observe, wait_until: Until, caplog: pytest.LogCaptureFixture
) -> None:
    driver = driver_for(sim.link)
    caplog.set_level(logging.INFO, logger="mimamori.edge.drivers.serial_line")
    async with observe(driver) as observed:
        await observed.next(ReceiverState)
        sim.unplug()
        down = await observed.next(ReceiverState)
        assert not down.up and "port lost" in down.reason
        assert driver.status().state == "down"
        # The link is gone: reopening fails a few times before the board is back.
        before = driver.status().counters.get("reopen_attempts", 0)
        await wait_until(lambda: driver.status().counters.get("reopen_attempts", 0) >= before + 3)
        sim.replug()
        up = await observed.next(ReceiverState)
        assert up.up
        sim.advert(ADDR, -70, adv_for_tag(TAG))
        advert = await observed.next(Advert)
    assert tag_of(advert) == TAG
    states = [o.up for o in observed.seen if isinstance(o, ReceiverState)]
    assert states == [True, False, True]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # the down, once; not every failed reopen
    assert any("recovered" in r.getMessage() for r in caplog.records)


async def test_a_port_missing_at_start_is_down_until_the_board_appears(
    tmp_path: Path, observe: Observe
) -> None:
    link = tmp_path / "later"
    driver = driver_for(link)
    async with observe(driver) as observed:
        down = await observed.next(ReceiverState)
        assert not down.up and "cannot open" in down.reason
        with SimReceiver(link) as board:
            await observed.next(ReceiverState, is_up)
            board.advert(ADDR, -60, adv_for_tag(TAG))
            await observed.next(Advert)
    assert driver.status().counters["reopen_attempts"] >= 1


async def test_a_silent_board_is_down_and_up_again_on_its_next_valid_line(
    sim: SimReceiver, observe: Observe
) -> None:
    driver = driver_for(sim.link, silent_after_s=2.0)
    async with observe(driver) as observed:
        await observed.next(ReceiverState)
        sim.write_raw(b"garbage is not a sign of life\n")
        down = await observed.next(ReceiverState, within=4.0)
        assert not down.up and "no valid line for 2 s" in down.reason
        assert driver.status().detail == down.reason
        sim.heartbeat()
        up = await observed.next(ReceiverState)
        assert up.up
        await observed.next(Heartbeat)


async def test_adverts_heard_show_up_as_per_minute_counts_and_silence_as_zeros(
    sim: SimReceiver, observe: Observe
) -> None:
    clock = VirtualClock()
    start = clock.now()
    driver = driver_for(sim.link, clock)
    async with observe(driver) as observed:
        await observed.next(ReceiverState)
        for adv in [adv_for_tag(TAG), adv_for_tag(EDDY), PHONE, adv_for_tag(TAG)]:
            sim.advert(ADDR, -60, adv)  # a phone is heard too: the radio works
        sim.heartbeat()  # a sign of life, but no advert
        for _ in range(4):
            await observed.next(Advert)
        await observed.next(Heartbeat)
        heard = driver.status().heard
        assert heard is not None and heard.per_min == []  # no whole minute yet
        clock.advance(60.0)
        sim.advert(ADDR, -60, adv_for_tag(TAG))
        sim.advert(ADDR, -60, adv_for_tag(TAG))
        await observed.next(Advert)
        await observed.next(Advert)
        clock.advance(60.0)
        heard = driver.status().heard
        assert heard is not None
        assert (heard.per_min, heard.last_min) == ([4, 2], 2)
        assert heard.until == start + timedelta(seconds=120)
        assert heard.last_advert == start + timedelta(seconds=60)
        clock.advance(180.0)  # the board keeps its heartbeats, but hears nothing
        sim.heartbeat()
        await observed.next(Heartbeat)
    heard = driver.status().heard
    assert heard is not None
    assert (heard.per_min, heard.last_min) == ([4, 2, 0, 0, 0], 0)
    assert heard.last_advert == start + timedelta(seconds=60)
    assert driver.status().state == "up"  # up, and deaf: what the hub is told


def test_reopen_delays_grow_with_full_jitter_up_to_the_cap(tmp_path: Path) -> None:
    driver = driver_for(tmp_path / "none", reopen_max_s=2.0)
    for failures, ceiling in [(1, REOPEN_BASE_S), (2, 2 * REOPEN_BASE_S), (8, 2.0), (500, 2.0)]:
        delays = [driver._backoff(failures) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # spread over the whole range, not a fixed step
