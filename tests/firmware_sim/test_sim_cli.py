"""``mimamori sim ...`` as a user runs it: a process, a pty link, a signal to stop."""

from __future__ import annotations

import asyncio
import os
import select
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from mimamori.edge.drivers.receiver_lines import AdvertLine, LineError, LineFramer, parse_line

T = TypeVar("T")
TAG = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:100:7"
SCENARIO = """\
seed: 1
radio: {loss: 0.0}
receivers:
  - {id: vm-001, lat: 26.28100, lon: 127.77800, link: run/vm-001}
  - {id: vm-002, lat: 26.28200, lon: 127.77800, link: run/vm-002}
tags:
  - tag: ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:100:7
    interval_s: 0.05
    route: [[26.28100, 127.77800]]
"""


async def start(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mimamori",
        "sim",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def stdout_line(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    return (await asyncio.wait_for(process.stdout.readline(), 10)).decode().strip()


def first_line(link: Path, parse: Callable[[bytes], Any], kind: type[T], within: float = 5.0) -> T:
    """Read the port until a line of ``kind`` arrives (the process writes in real time)."""
    fd = os.open(link, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    framer = LineFramer()
    deadline = time.monotonic() + within
    try:
        while time.monotonic() < deadline:
            if not select.select([fd], [], [], 0.2)[0]:
                continue
            for line in framer.feed(os.read(fd, 4096)):
                try:
                    parsed = parse(line)
                except LineError:
                    continue  # the first read may start in the middle of a line
                if isinstance(parsed, kind):
                    return parsed
    finally:
        os.close(fd)
    raise AssertionError(f"no {kind.__name__} on {link} within {within} s")


def first_advert(link: Path, within: float = 5.0) -> AdvertLine:
    return first_line(link, parse_line, AdvertLine, within)


async def stop(process: asyncio.subprocess.Process, signum: int) -> tuple[int, str]:
    process.send_signal(signum)
    _, stderr = await asyncio.wait_for(process.communicate(), 10)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def test_sim_receiver_reports_a_tag_on_its_link_until_sigterm(tmp_path: Path) -> None:
    link = tmp_path / "rx-1"
    process = await start(
        "receiver", "--link", str(link), "--tag", TAG, "--rssi", "-55", "--every", "0.05"
    )
    try:
        assert (await stdout_line(process)).startswith(f"receiver: {link} -> /dev/pts/")
        advert = first_advert(link)
    finally:
        code, stderr = await stop(process, signal.SIGTERM)
    assert advert.rssi == -55
    assert code == 0, stderr
    assert not link.exists() and not link.is_symlink()


async def test_sim_walk_runs_a_scenario_until_sigint(tmp_path: Path) -> None:
    scenario = tmp_path / "town.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    process = await start("walk", "--scenario", str(scenario))
    try:
        lines = [await stdout_line(process) for _ in range(3)]
        assert lines[0].startswith(f"receiver vm-001: {tmp_path}/run/vm-001 -> /dev/pts/")
        assert lines[1].startswith("receiver vm-002: ")
        assert lines[2].startswith("1 tag(s) walking")
        advert = first_advert(tmp_path / "run" / "vm-001")
    finally:
        code, stderr = await stop(process, signal.SIGINT)
    assert -60 < advert.rssi <= 20
    assert code == 0, stderr
    assert not (tmp_path / "run" / "vm-001").exists()


async def test_a_bad_scenario_is_refused_with_the_place_of_the_mistake(tmp_path: Path) -> None:
    scenario = tmp_path / "town.yaml"
    scenario.write_text(SCENARIO.replace("interval_s", "intervall_s"), encoding="utf-8")
    process = await start("walk", "--scenario", str(scenario))
    _, stderr = await asyncio.wait_for(process.communicate(), 10)
    assert process.returncode == 2
    assert f"{scenario}:8:5: tags[0].intervall_s: unknown key" in stderr.decode()


async def test_a_bad_tag_id_is_refused(tmp_path: Path) -> None:
    process = await start("receiver", "--link", str(tmp_path / "rx"), "--tag", "ibeacon:nope")
    _, stderr = await asyncio.wait_for(process.communicate(), 10)
    assert process.returncode == 2
    assert "--tag" in stderr.decode() and not (tmp_path / "rx").exists()
