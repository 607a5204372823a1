"""systemd's notification protocol on a real unix datagram socket, and the watchdog
that is fed only while the gateway's receivers, rules and outbox are alive."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from mimamori.demo.mosquitto import free_port
from mimamori.edge.clock import VirtualClock
from mimamori.edge.daemon import EdgeDaemon
from mimamori.edge.liveness import RULES_STALL_S, Liveness
from mimamori.protocol import DriverStatus
from mimamori.sdnotify import Notifier
from tests.edge.helpers import ScriptedReceiver, gateway_config, tag_id


class NotifySocket:
    """What systemd listens on: a unix datagram socket; collects every datagram."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.setblocking(False)
        self.received: list[str] = []

    def drain(self) -> list[str]:
        while True:
            try:
                self.received.append(self.sock.recv(4096).decode())
            except BlockingIOError:
                return self.received

    def count(self, line: str) -> int:
        return sum(line in datagram.split("\n") for datagram in self.drain())

    async def wait_for(self, predicate: object, within: float = 10.0) -> None:
        async with asyncio.timeout(within):
            while not predicate():  # type: ignore[operator]
                await asyncio.sleep(0.02)


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[NotifySocket]:
    listener = NotifySocket(tmp_path / "notify")
    yield listener
    listener.sock.close()


def test_notifications_arrive_as_one_datagram_each(notify_socket: NotifySocket) -> None:
    notifier = Notifier(str(notify_socket.path))
    assert notifier.ready("running")
    assert notifier.watchdog()
    assert notifier.reloading()
    assert notifier.stopping()
    first, second, third, fourth = notify_socket.drain()
    assert first == "READY=1\nSTATUS=running"
    assert second == "WATCHDOG=1"
    assert third.startswith("RELOADING=1\nMONOTONIC_USEC=")
    assert int(third.split("=")[-1]) > 0
    assert fourth == "STOPPING=1"


def test_an_abstract_socket_address_is_understood() -> None:
    name = f"mimamori-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        assert Notifier("@" + name).notify("READY=1")
        assert sock.recv(100) == b"READY=1"


def test_outside_systemd_nothing_is_sent_and_nothing_fails(tmp_path: Path) -> None:
    assert not Notifier.from_environ({}).ready()
    assert Notifier.from_environ({}).watchdog_interval_s is None
    gone = Notifier(str(tmp_path / "nobody-listens"))
    assert not gone.watchdog()  # logged at debug, never raised


def test_the_watchdog_period_is_only_for_the_process_it_names() -> None:
    pid = str(os.getpid())
    ours = {"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "20000000", "WATCHDOG_PID": pid}
    assert Notifier.from_environ(ours).watchdog_interval_s == 10.0
    assert Notifier.from_environ(ours | {"WATCHDOG_PID": "1"}).watchdog_interval_s is None
    assert Notifier.from_environ(ours | {"WATCHDOG_USEC": "x"}).watchdog_interval_s is None


def status(state: str = "up", **counters: int) -> DriverStatus:
    return DriverStatus(driver="serial_line", state=state, counters=counters)  # type: ignore[arg-type]


def test_a_receiver_up_but_silent_past_its_limit_is_a_problem() -> None:
    live = Liveness({"vm": 60.0}, outbox_stall_s=60.0, now=0.0)
    kw = {"connected": False, "outbox_depth": 0, "batches_sent": 0}
    live.rules_ran(59.0)
    assert live.problems(59.0, {"vm": status()}, **kw) == []
    live.rules_ran(61.0)
    [problem] = live.problems(61.0, {"vm": status()}, **kw)
    assert problem.startswith("receiver vm: no sign of life for 61 s")
    live.heard("vm", 62.0)
    assert live.problems(62.0, {"vm": status()}, **kw) == []


def test_moving_counters_and_a_declared_fault_count_as_alive() -> None:
    live = Liveness({"vm": 10.0}, outbox_stall_s=60.0, now=0.0)
    kw = {"connected": False, "outbox_depth": 0, "batches_sent": 0}
    for t in range(1, 30):  # a BLE scanner restarted on a quiet street: counted, alive
        live.rules_ran(float(t))
        assert live.problems(float(t), {"vm": status(restarts=t // 5)}, **kw) == []
    live.rules_ran(100.0)
    assert live.problems(100.0, {"vm": status("down", restarts=5)}, **kw) == []
    assert live.problems(100.0, {"other": status()}, **kw) == []  # buttons: not watched


def test_a_stuck_rules_loop_and_a_stuck_outbox_are_problems() -> None:
    live = Liveness({}, outbox_stall_s=60.0, now=0.0)
    assert live.problems(RULES_STALL_S + 1, {}, connected=False, outbox_depth=0, batches_sent=0)
    live.rules_ran(100.0)
    assert live.problems(100.0, {}, connected=True, outbox_depth=5, batches_sent=3) == []
    live.rules_ran(150.0)
    assert live.problems(150.0, {}, connected=True, outbox_depth=5, batches_sent=4) == []
    live.rules_ran(211.0)
    [problem] = live.problems(211.0, {}, connected=True, outbox_depth=5, batches_sent=4)
    assert problem.startswith("outbox: 5 event(s) waiting")
    # offline is the network's fault, not the daemon's: the timer starts again
    assert live.problems(212.0, {}, connected=False, outbox_depth=5, batches_sent=4) == []
    live.rules_ran(260.0)
    assert live.problems(260.0, {}, connected=True, outbox_depth=5, batches_sent=4) == []


class SwitchableReceiver(ScriptedReceiver):
    """Receiver hardware whose driver state the test sets (up, or declared down)."""

    state = "up"

    def status(self) -> DriverStatus:
        return DriverStatus(driver="scripted", state=self.state)  # type: ignore[arg-type]


@asynccontextmanager
async def watched(
    tmp_path: Path, notify: NotifySocket, clock: VirtualClock
) -> AsyncIterator[SwitchableReceiver]:
    # No broker listens on the port: offline, so the outbox is not the daemon's fault.
    receivers = [{"id": "r1", "driver": "serial_line", "port": "/dev/null", "silent_after_s": 2}]
    config = gateway_config("gw-dog", free_port(), tmp_path / "data", receivers=receivers)
    receiver = SwitchableReceiver("r1", clock)
    # WatchdogSec=0.2 s: pinged every 0.1 s
    notifier = Notifier(str(notify.path), watchdog_usec=200_000)
    daemon = EdgeDaemon(config, clock=clock, drivers=[receiver], notifier=notifier)
    task = asyncio.create_task(daemon.run())
    try:
        await notify.wait_for(lambda: notify.count("READY=1") == 1)
        yield receiver
    finally:
        daemon.stop()
        await asyncio.wait_for(task, 10)
        notifier.close()
    assert notify.count("STOPPING=1") == 1


async def test_a_receiver_that_goes_quiet_stops_the_watchdog_and_one_that_speaks_resumes_it(
    tmp_path: Path, notify_socket: NotifySocket, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    clock = VirtualClock()
    async with watched(tmp_path, notify_socket, clock) as receiver:
        await notify_socket.wait_for(lambda: notify_socket.count("WATCHDOG=1") >= 3)
        receiver.advert(tag_id(1), -60)
        await asyncio.sleep(0.1)  # the daemon takes it in
        clock.advance(3.0)  # within the limit (2 x silent_after_s = 4 s)
        await asyncio.sleep(0.3)
        assert not any("stalled" in d for d in notify_socket.drain())
        clock.advance(2.0)  # 5 s without a sign of life
        stalled = "STATUS=stalled: receiver r1"
        await notify_socket.wait_for(
            lambda: any(d.startswith(stalled) for d in notify_socket.drain())
        )
        pings = notify_socket.count("WATCHDOG=1")
        await asyncio.sleep(0.5)  # five ping intervals: systemd would kill us now
        assert notify_socket.count("WATCHDOG=1") == pings
        receiver.advert(tag_id(1), -60)
        await notify_socket.wait_for(lambda: notify_socket.count("WATCHDOG=1") > pings + 2)
        assert notify_socket.count("STATUS=running") >= 2  # on READY, and on resuming
    messages = [r.getMessage() for r in caplog.records]
    stalled = [m for m in messages if m.startswith("watchdog no longer fed")]
    assert len(stalled) == 1  # logged once, not at every interval
    assert "receiver r1: no sign of life for 5 s (limit 4 s)" in stalled[0]
    assert "watchdog fed again: everything is alive" in messages


async def test_a_receiver_that_said_it_is_down_keeps_the_watchdog_fed(
    tmp_path: Path, notify_socket: NotifySocket
) -> None:
    clock = VirtualClock()
    async with watched(tmp_path, notify_socket, clock) as receiver:
        receiver.state = "down"  # its cable is out, and the hub has been told
        clock.advance(25.0)
        await asyncio.sleep(0.1)
        pings = notify_socket.count("WATCHDOG=1")
        await notify_socket.wait_for(lambda: notify_socket.count("WATCHDOG=1") >= pings + 3)
        assert not any("stalled" in d for d in notify_socket.drain())
