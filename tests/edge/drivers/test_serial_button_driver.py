"""SerialButtonDriver on a real pseudo-terminal, fed by the simulated button firmware."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest

from mimamori.edge.clock import SystemClock
from mimamori.edge.config import SerialButton
from mimamori.edge.drivers.base import Driver
from mimamori.edge.drivers.serial_button import SerialButtonDriver
from mimamori.edge.observations import DeviceReport, Press
from mimamori.firmware_sim.button import SimButton
from mimamori.firmware_sim.serial_pty import encode_line

# Fixtures of conftest.py: observe(driver) runs a driver in a task, observe_up(driver) from
# the moment its port is open (lines sent earlier are flushed); wait_until(condition).
Observe = Callable[[Driver], AbstractAsyncContextManager[Any]]
Until = Callable[..., Coroutine[Any, Any, None]]


def driver_for(port: Path) -> SerialButtonDriver:
    config = SerialButton.model_validate(
        {"id": "door", "driver": "serial_button", "port": str(port), "reopen_max_s": 0.1}
    )
    return SerialButtonDriver(config, SystemClock(), rng=random.Random(1))


def has_battery(report: DeviceReport) -> bool:
    return report.battery_pct is not None


async def opened(driver: SerialButtonDriver, wait_until: Until) -> None:
    """The port is open again: lines sent from now on reach the driver."""
    await wait_until(lambda: driver.status().state == "up")


async def test_a_press_sent_three_times_is_one_press(
    sim_button: SimButton, observe_up: Observe
) -> None:
    driver = driver_for(sim_button.link)
    async with observe_up(driver) as observed:
        assert sim_button.press("soudan", repeats=3) == 3
        press = await observed.next(Press)
        sim_button.heartbeat()  # sent after the copies: once it is read, so are they
        await observed.next(DeviceReport, has_battery)
    assert (press.device, press.card, press.counter) == ("door", "soudan", 0)
    assert press.ts.tzinfo is not None
    assert [o for o in observed.seen if isinstance(o, Press)] == [press]
    reports = [o for o in observed.seen if isinstance(o, DeviceReport)]
    assert len(reports) == 4  # each copy is a sign of life, and the heartbeat
    counters = driver.status().counters
    assert counters["presses"] == 1 and counters["duplicates"] == 2
    assert driver.status().last_frame is not None


async def test_each_new_press_counts_even_across_the_counter_wrap(
    sim_button: SimButton, observe_up: Observe
) -> None:
    driver = driver_for(sim_button.link)
    sim_button.counter = 65535
    async with observe_up(driver) as observed:
        sim_button.press("genki", repeats=2)
        sim_button.press("genki", repeats=1)
        sim_button.press("sos", repeats=3)
        presses = [await observed.next(Press) for _ in range(3)]
    assert [(p.counter, p.card) for p in presses] == [(65535, "genki"), (0, "genki"), (1, "sos")]


async def test_a_heartbeat_reports_battery_and_mains(
    sim_button: SimButton, observe_up: Observe
) -> None:
    driver = driver_for(sim_button.link)
    async with observe_up(driver) as observed:
        sim_button.set_power(battery_pct=15, mains=False)  # a power cut: reported at once
        cut = await observed.next(DeviceReport, has_battery)
        sim_button.set_power(battery_pct=None, mains=None)  # a unit that senses neither
        bare = await observed.next(DeviceReport)
    assert (cut.device, cut.battery_pct, cut.mains) == ("door", 15, False)
    assert (bare.battery_pct, bare.mains) == (None, None)
    assert driver.status().counters["heartbeats"] == 2


async def test_bad_lines_are_counted_and_logged_and_the_next_press_still_arrives(
    sim_button: SimButton, observe_up: Observe, caplog: pytest.LogCaptureFixture
) -> None:
    driver = driver_for(sim_button.link)
    caplog.set_level(logging.INFO, logger="mimamori.edge.drivers.serial_button")
    good = encode_line("P", "7", "genki")
    async with observe_up(driver) as observed:
        sim_button.write_raw(good[:-5] + b"0000\n")  # a flipped bit somewhere
        sim_button.write_raw(good[:-5] + b"FFFF\n")
        sim_button.write_raw(good[:6] + b"\n")  # cut short
        sim_button.write_raw(b"\x00\xfe\x13noise\xff\n")
        sim_button.write_raw(encode_line("P", "8", "help"))
        sim_button.write_raw(encode_line("P", "70000", "genki"))
        sim_button.press("sos", repeats=1)
        press = await observed.next(Press)
    assert press.card == "sos"
    counters = driver.status().counters
    assert counters["line.bad_crc"] == 2
    assert counters["line.no_crc"] == 1
    assert counters["line.not_ascii"] == 1
    assert counters["line.bad_field"] == 2
    assert counters["presses"] == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 4  # one per reason: the second bad CRC is only counted
    assert all(str(sim_button.link) in w and "button door" in w for w in warnings)
    assert any("does not match" in w for w in warnings)  # why: the CRC is wrong


async def test_presses_after_an_unplug_and_replug_arrive(
    sim_button: SimButton, observe_up: Observe, wait_until: Until, caplog: pytest.LogCaptureFixture
) -> None:
    driver = driver_for(sim_button.link)
    caplog.set_level(logging.INFO, logger="mimamori.edge.drivers.serial_button")
    async with observe_up(driver) as observed:
        sim_button.press("genki", repeats=1)
        before = await observed.next(Press)
        sim_button.unplug()
        await wait_until(lambda: driver.status().state == "down")
        attempts = driver.status().counters.get("reopen_attempts", 0)
        await wait_until(lambda: driver.status().counters["reopen_attempts"] >= attempts + 3)
        sim_button.replug()  # the unit restarts: its counter is 0 again
        await opened(driver, wait_until)
        sim_button.press("genki", repeats=2)
        after = await observed.next(Press)
    assert before.counter == after.counter == 0  # the same counter, yet a new press
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "port lost" in warnings[0]  # once; not every failed reopen
    assert any("recovered" in r.getMessage() for r in caplog.records)


async def test_a_reboot_on_an_open_port_restarts_the_counter_without_losing_a_press(
    sim_button: SimButton, observe_up: Observe
) -> None:
    driver = driver_for(sim_button.link)
    async with observe_up(driver) as observed:
        sim_button.press("genki", repeats=1)
        await observed.next(Press)
        sim_button.write_raw(b"\n" + encode_line("B", "sim-btn-1.0", "brownout"))
        sim_button.write_raw(encode_line("P", "0", "soudan"))
        again = await observed.next(Press)
    assert (again.counter, again.card) == (0, "soudan")
    assert driver.status().counters["boots"] == 1


async def test_a_port_missing_at_start_is_down_until_the_unit_appears(
    tmp_path: Path, observe: Observe, wait_until: Until
) -> None:
    link = tmp_path / "later"
    driver = driver_for(link)
    async with observe(driver) as observed:
        await wait_until(lambda: driver.status().state == "down")
        assert "cannot open" in driver.status().detail
        with SimButton(link) as unit:
            await opened(driver, wait_until)
            unit.press("genki", repeats=1)
            await observed.next(Press)
    assert driver.status().counters["reopen_attempts"] >= 1


async def test_a_reminder_beeps_the_unit_until_it_is_pressed(
    sim_button: SimButton, observe_up: Observe, wait_until: Until
) -> None:
    driver = driver_for(sim_button.link)
    listening = asyncio.create_task(sim_button.listen())
    try:
        async with observe_up(driver) as observed:
            assert driver.remind("ev1", 1800)
            await wait_until(lambda: sim_button.reminding is not None)
            assert sim_button.reminding is not None
            assert (sim_button.reminding.ref, sim_button.reminding.for_s) == ("ev1", 1800)
            await wait_until(lambda: driver.status().counters.get("reminder_on") == 1)
            sim_button.press("genki", repeats=1)  # the person hears it and presses
            press = await observed.next(Press)
            await wait_until(lambda: driver.status().counters.get("reminder_pressed") == 1)
    finally:
        listening.cancel()
    assert press.card == "genki"
    assert sim_button.reminding is None
    assert [(r.ref, r.ended) for r in sim_button.reminders] == [("ev1", "pressed")]
    assert driver.status().counters["remind_sent"] == 1


async def test_a_reminder_stops_when_told_quiet_or_when_its_time_is_up(
    tmp_path: Path, observe_up: Observe, wait_until: Until
) -> None:
    now = [0.0]
    with SimButton(tmp_path / "button", clock=lambda: now[0]) as unit:
        driver = driver_for(unit.link)
        listening = asyncio.create_task(unit.listen())
        try:
            async with observe_up(driver):
                driver.remind("a", 60)
                await wait_until(lambda: unit.reminding is not None)
                driver.quiet("a")
                await wait_until(lambda: unit.reminding is None)
                driver.remind("b", 60)
                await wait_until(lambda: unit.reminding is not None)
                now[0] = 61.0  # the unit's own clock: a minute later nobody has pressed
                await wait_until(lambda: unit.reminding is None)
                await wait_until(lambda: driver.status().counters.get("reminder_timeout") == 1)
        finally:
            listening.cancel()
    assert [(r.ref, r.ended) for r in unit.reminders] == [("a", "quiet"), ("b", "timeout")]
    assert driver.status().counters["reminder_quiet"] == 1


async def test_a_reminder_for_a_closed_port_is_not_sent(sim_button: SimButton) -> None:
    driver = driver_for(sim_button.link)  # never started: its port is not open
    assert driver.remind("ev1", 60) is False
    assert "remind_sent" not in driver.status().counters
