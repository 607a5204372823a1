"""SimReceiver: the receiver firmware on a real pseudo-terminal."""

from __future__ import annotations

import asyncio
import os
import select
from pathlib import Path

import pytest

from mimamori.edge.drivers.receiver_lines import (
    AdvertLine,
    BootLine,
    HeartbeatLine,
    LineFramer,
    parse_line,
)
from mimamori.firmware_sim.frames import adv_for_tag
from mimamori.firmware_sim.receiver import SimReceiver, advert_line

TAG = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:100:7"
ADDR = "C0:FF:EE:12:34:56"


def read_available(fd: int, wait: float = 1.0) -> bytes:
    """Everything the port has now (waiting up to ``wait`` for the first byte)."""
    data = b""
    # A pause of 0.2 s ends it: the kernel hands a pty's bytes to the reader in the
    # background, and a shorter pause has ended a read with bytes still on their way.
    while select.select([fd], [], [], wait if not data else 0.2)[0]:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the other side is gone
            break
        if not chunk:
            break
        data += chunk
    return data


def hung_up(fd: int) -> bool:
    """Linux reports a pty whose master closed as end of file (or EIO on older kernels)."""
    try:
        return os.read(fd, 100) == b""
    except OSError:
        return True


def open_port(link: Path) -> int:
    return os.open(link, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)


def test_plugging_in_points_the_link_at_a_pty_and_sends_the_boot_line(tmp_path: Path) -> None:
    with SimReceiver(tmp_path / "by-id" / "rx", firmware="mmr-rx-1.2.0") as sim:
        assert sim.link.is_symlink()
        assert os.path.realpath(sim.link) == sim.device
        assert sim.device is not None and sim.device.startswith("/dev/pts/")
        fd = open_port(sim.link)
        try:
            lines = LineFramer().feed(read_available(fd))
        finally:
            os.close(fd)
    assert [parse_line(line) for line in lines] == [BootLine("mmr-rx-1.2.0", "power_on")]
    assert not (tmp_path / "by-id" / "rx").exists()


def test_adverts_heartbeats_and_raw_bytes_arrive_as_sent(tmp_path: Path) -> None:
    now = [100.0]
    with SimReceiver(tmp_path / "rx", clock=lambda: now[0]) as sim:
        fd = open_port(sim.link)
        try:
            read_available(fd)  # the boot line
            adv = adv_for_tag(TAG)
            assert sim.advert(ADDR, -64, adv)
            now[0] = 3700.0
            assert sim.heartbeat()
            assert sim.write_raw(b"\x00noise\xff\n")
            data = read_available(fd)
        finally:
            os.close(fd)
    advert, beat, noise = data.split(b"\n")[:3]
    assert parse_line(advert) == AdvertLine(-64, adv)
    assert advert + b"\n" == advert_line(ADDR, -64, adv)
    assert parse_line(beat) == HeartbeatLine(3600, "sim-1.0", 0)
    assert noise == b"\x00noise\xff"


def test_a_full_buffer_drops_whole_adverts_and_the_heartbeat_counts_them(tmp_path: Path) -> None:
    with SimReceiver(tmp_path / "rx") as sim:
        adv = adv_for_tag(TAG)
        sent = 0
        while sim.advert(ADDR, -60, adv):  # nobody reads: the pty fills up
            sent += 1
            assert sent < 100_000
        refused = 1
        for _ in range(5):
            # The kernel moves what was written into the reader's buffer in the
            # background: a little room may come back, and an advert then goes whole.
            if sim.advert(ADDR, -60, adv):
                sent += 1
            else:
                refused += 1
        assert sim.dropped == refused
        fd = open_port(sim.link)
        try:
            data = read_available(fd)
            assert sim.heartbeat()  # finishes the half-sent line first, then reports
            data += read_available(fd)
        finally:
            os.close(fd)
    lines = [parse_line(line) for line in LineFramer().feed(data)]
    assert lines[0] == BootLine("sim-1.0", "power_on")
    assert lines[1:-1] == [AdvertLine(-60, adv)] * sent  # not one line cut in half
    assert lines[-1] == HeartbeatLine(0, "sim-1.0", refused)


async def test_a_half_sent_line_is_finished_as_soon_as_the_reader_makes_room(
    tmp_path: Path,
) -> None:
    with SimReceiver(tmp_path / "rx") as sim:
        adv = adv_for_tag(TAG)
        sent = 0
        while sim.advert(ADDR, -60, adv):
            sent += 1
        line = advert_line(ADDR, -60, adv)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        fd = open_port(sim.link)
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", buffering=0)
        )
        try:
            # The boot line, then every advert written whole, the last one finished
            # by the event loop without any further write from the firmware.
            assert await asyncio.wait_for(reader.readuntil(b"\n"), 5) == b"\n"
            boot = await asyncio.wait_for(reader.readuntil(b"\n"), 5)
            expected = line * sent
            data = await asyncio.wait_for(reader.readexactly(len(expected)), 5)
        finally:
            transport.close()
    assert parse_line(boot) == BootLine("sim-1.0", "power_on")
    assert data == expected


def test_unplug_removes_the_link_and_the_reader_loses_the_port(tmp_path: Path) -> None:
    sim = SimReceiver(tmp_path / "rx")
    sim.plug()
    fd = open_port(sim.link)
    try:
        read_available(fd)
        sim.unplug()
        assert not sim.link.exists() and not sim.link.is_symlink()
        assert not sim.plugged and sim.device is None
        assert not sim.advert(ADDR, -60, adv_for_tag(TAG))  # no power, no lines
        assert select.select([fd], [], [], 1.0)[0]  # the hang-up wakes the reader...
        assert hung_up(fd)  # ...and the port reads as gone
    finally:
        os.close(fd)
    sim.replug()
    try:
        fd = open_port(sim.link)
        try:
            lines = LineFramer().feed(read_available(fd))
        finally:
            os.close(fd)
        assert [parse_line(line) for line in lines] == [BootLine("sim-1.0", "power_on")]
    finally:
        sim.close()


def test_a_stale_link_from_a_previous_run_is_replaced(tmp_path: Path) -> None:
    link = tmp_path / "rx"
    link.symlink_to("/dev/pts/does-not-exist")
    with SimReceiver(link) as sim:
        assert os.path.realpath(link) == sim.device
    with pytest.raises(RuntimeError):
        sim.plug()
        sim.plug()
    sim.close()


def test_an_address_that_is_not_six_bytes_is_refused(tmp_path: Path) -> None:
    with SimReceiver(tmp_path / "rx") as sim, pytest.raises(ValueError):
        sim.advert("C0:FF:EE", -60, b"")


def test_a_deaf_board_hears_no_advert_but_keeps_sending_its_heartbeat(tmp_path: Path) -> None:
    with SimReceiver(tmp_path / "rx") as sim:
        fd = open_port(sim.link)
        try:
            read_available(fd)  # the boot line
            sim.deaf = True
            assert not sim.advert(ADDR, -64, adv_for_tag(TAG))
            assert sim.heartbeat()
            deaf = read_available(fd)
            sim.deaf = False
            assert sim.advert(ADDR, -64, adv_for_tag(TAG))
            hearing = read_available(fd)
        finally:
            os.close(fd)
    assert [type(parse_line(li)) for li in deaf.splitlines()] == [HeartbeatLine]
    assert parse_line(deaf.splitlines()[0]) == HeartbeatLine(sim.uptime_s, "sim-1.0", 0)
    assert [type(parse_line(li)) for li in hearing.splitlines()] == [AdvertLine]
