"""SimButton: the button firmware on a real pseudo-terminal, and ``mimamori sim button``."""

from __future__ import annotations

import asyncio
import os
import random
import signal
from pathlib import Path

import pytest

from mimamori.edge.drivers.button_lines import (
    BootLine,
    PressLine,
    ReminderLine,
    StatusLine,
    encode_remind,
    parse_button_line,
)
from mimamori.edge.drivers.receiver_lines import LineFramer
from mimamori.firmware_sim.button import SimButton
from tests.firmware_sim.test_sim_cli import first_line, start, stdout_line, stop
from tests.firmware_sim.test_sim_receiver import hung_up, open_port, read_available


class Port:
    """The gateway's side of the unit's pty, opened once and read as lines arrive."""

    def __init__(self, link: Path) -> None:
        self.fd = open_port(link)

    def lines(self) -> list[object]:
        return [parse_button_line(line) for line in LineFramer().feed(read_available(self.fd))]

    def close(self) -> None:
        os.close(self.fd)


def test_plugging_in_points_the_link_at_a_pty_and_sends_the_boot_line(tmp_path: Path) -> None:
    with SimButton(tmp_path / "by-id" / "button", firmware="mmr-btn-1.0.2") as unit:
        assert unit.link.is_symlink() and unit.device is not None
        port = Port(unit.link)
        try:
            assert port.lines() == [BootLine("mmr-btn-1.0.2", "power_on")]
        finally:
            port.close()
    assert not (tmp_path / "by-id" / "button").exists()


def test_a_press_goes_out_one_to_three_times_with_one_counter(tmp_path: Path) -> None:
    with SimButton(tmp_path / "button", rng=random.Random(3)) as unit:
        port = Port(unit.link)
        try:
            port.lines()  # the boot line
            assert unit.press("genki", repeats=3) == 3
            assert unit.press("soudan", repeats=1) == 1
            copies = [unit.press("sos") for _ in range(30)]
            lines = port.lines()
        finally:
            port.close()
    assert lines[:4] == [PressLine(0, "genki")] * 3 + [PressLine(1, "soudan")]
    assert set(copies) == {1, 2, 3}  # the firmware repeats as often as it sees fit
    assert len(lines) == 4 + sum(copies)
    assert {line.counter for line in lines[4:] if isinstance(line, PressLine)} == set(range(2, 32))
    assert unit.counter == 32


def test_the_heartbeat_tells_uptime_battery_and_mains(tmp_path: Path) -> None:
    now = [50.0]
    with SimButton(tmp_path / "button", battery_pct=80, clock=lambda: now[0]) as unit:
        port = Port(unit.link)
        try:
            port.lines()
            now[0] = 650.0
            assert unit.heartbeat()
            unit.set_power(battery_pct=40)  # the battery runs down: told at the next heartbeat
            assert port.lines() == [StatusLine(600, 80, True, "sim-btn-1.0")]
            unit.set_power(mains=False)  # a power cut: told at once
            unit.set_power(mains=False)  # no change, nothing more
            unit.set_power(battery_pct=None, mains=None)  # a unit that senses neither
            lines = port.lines()
        finally:
            port.close()
    assert lines == [
        StatusLine(600, 40, False, "sim-btn-1.0"),
        StatusLine(600, None, None, "sim-btn-1.0"),
    ]


def test_unplugged_it_sends_nothing_and_a_replug_restarts_the_counter(tmp_path: Path) -> None:
    unit = SimButton(tmp_path / "button")
    unit.plug()
    try:
        port = Port(unit.link)
        unit.press("genki", repeats=1)
        unit.unplug()
        assert hung_up(port.fd)
        port.close()
        assert unit.press("genki") == 0 and not unit.heartbeat()
        assert unit.counter == 1
        unit.replug("brownout")
        port = Port(unit.link)
        unit.press("sos", repeats=1)
        lines = port.lines()
        port.close()
    finally:
        unit.close()
    assert lines == [BootLine("sim-btn-1.0", "brownout"), PressLine(0, "sos")]


def test_what_the_firmware_never_sends_is_refused(tmp_path: Path) -> None:
    unit = SimButton(tmp_path / "button")
    with pytest.raises(ValueError, match="card"):
        unit.press("help")
    with pytest.raises(ValueError, match="1 to 3"):
        unit.press("genki", repeats=4)
    with pytest.raises(ValueError, match="battery"):
        unit.set_power(battery_pct=120)


async def test_sim_button_presses_on_its_link_until_sigterm(tmp_path: Path) -> None:
    link = tmp_path / "button-1"
    process = await start(
        "button", "--link", str(link), "--every-s", "0.05", "--card", "sos", "--heartbeat-s", "0.05"
    )
    try:
        assert (await stdout_line(process)).startswith(f"button: {link} -> /dev/pts/")
        press = first_line(link, parse_button_line, PressLine)
        status = first_line(link, parse_button_line, StatusLine)
    finally:
        code, stderr = await stop(process, signal.SIGTERM)
    assert press.card == "sos"
    assert (status.battery_pct, status.mains) == (100, True)
    assert code == 0, stderr
    assert not link.exists() and not link.is_symlink()


async def test_a_button_that_never_presses_only_sends_heartbeats(tmp_path: Path) -> None:
    link = tmp_path / "button-2"
    process = await start("button", "--link", str(link), "--heartbeat-s", "0.05")
    try:
        await stdout_line(process)
        first_line(link, parse_button_line, StatusLine)
        with pytest.raises(AssertionError, match="no PressLine"):
            first_line(link, parse_button_line, PressLine, within=0.3)
    finally:
        code, stderr = await stop(process, signal.SIGINT)
    assert code == 0, stderr


async def test_bad_periods_are_refused(tmp_path: Path) -> None:
    process = await start("button", "--link", str(tmp_path / "b"), "--every-s", "0")
    _, stderr = await asyncio.wait_for(process.communicate(), 10)
    assert process.returncode == 2
    assert "--every-s" in stderr.decode() and not (tmp_path / "b").exists()


async def test_sim_button_reports_a_reminder_and_answers_it_when_asked_to(tmp_path: Path) -> None:
    link = tmp_path / "button-3"
    process = await start("button", "--link", str(link), "--answer-after-s", "0.1")
    try:
        await stdout_line(process)  # plugged in
        fd = os.open(link, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            os.write(fd, encode_remind("ev7", 60))  # the gateway's side of the pty
            said = [await stdout_line(process), await stdout_line(process)]
            lines = [parse_button_line(line) for line in LineFramer().feed(read_available(fd))]
        finally:
            os.close(fd)
    finally:
        code, stderr = await stop(process, signal.SIGTERM)
    assert said == ["reminder ev7 on", "reminder ev7 pressed"]
    told = [line for line in lines if isinstance(line, ReminderLine | PressLine)]
    assert list(dict.fromkeys(told)) == [  # a press goes out 1-3 times
        ReminderLine("ev7", "on"),
        PressLine(0, "genki"),
        ReminderLine("ev7", "pressed"),
    ]
    assert code == 0, stderr
