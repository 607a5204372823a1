"""The real ``mimamori edge`` under signals, as systemd sends them: SIGHUP reloads the
config (a bad one is refused and the running one kept), SIGTERM commits what was
decided, says offline and exits 0; each step is told on NOTIFY_SOCKET."""

from __future__ import annotations

import asyncio
import random
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mimamori.demo.mosquitto import PrivateBroker, free_port, wait_for_port
from mimamori.edge.config import load_gateway_config
from mimamori.edge.outbox import Outbox
from mimamori.firmware_sim.frames import adv_for_tag
from mimamori.firmware_sim.receiver import SimReceiver
from mimamori.hub.broker.accounts import set_account, write_acl
from mimamori.mqtt import LinkSettings, MqttLink
from tests.deploy.helpers import TAG, Process, gateway_doc, write_yaml
from tests.deploy.test_watchdog import NotifySocket
from tests.edge.helpers import Listener

pytestmark = pytest.mark.slow


@pytest.fixture
def notify(tmp_path: Path) -> Iterator[NotifySocket]:
    listener = NotifySocket(tmp_path / "notify")
    yield listener
    listener.sock.close()


async def statuses_with(listener: Listener, key: str, value: Any) -> None:
    await listener.wait_for(lambda: any(s.get(key) == value for s in listener.statuses()), 15)


async def test_sighup_applies_a_good_config_refuses_a_bad_one_and_sigterm_stops_cleanly(
    broker: PrivateBroker, tmp_path: Path, unique_id: str, notify: NotifySocket
) -> None:
    gw = unique_id
    config = tmp_path / "gateway.yaml"
    doc = gateway_doc(gw, broker.port, tmp_path / "tty")
    write_yaml(config, doc)
    first_hash = load_gateway_config(config).digest()
    listener = Listener(broker.port, f"mimamori/v1/gw/{gw}/#", f"listen-{gw}")
    listening = asyncio.create_task(listener.link.run())
    env = {"NOTIFY_SOCKET": str(notify.path), "WATCHDOG_USEC": "1000000"}
    with SimReceiver(tmp_path / "tty") as receiver:
        edge = Process(tmp_path / "edge.log", "edge", "--config", str(config), env=env)
        try:
            await notify.wait_for(lambda: notify.count("READY=1") == 1, 15)
            await statuses_with(listener, "config_hash", first_hash)

            # a good change, of what may change live
            doc["presence"]["leave_after_s"] = 30
            doc["tags"]["allow"] = [TAG]
            write_yaml(config, doc)
            second_hash = load_gateway_config(config).digest()
            edge.signal(signal.SIGHUP)
            edge.wait_for_log("config reloaded: tags, presence changed")
            await statuses_with(listener, "config_hash", second_hash)  # told at once
            assert notify.count("RELOADING=1") == 1
            assert notify.count("READY=1") == 2

            # not YAML at all
            config.write_text(config.read_text() + "presence: [\n")
            edge.signal(signal.SIGHUP)
            edge.wait_for_log(f"config reload refused, still running config {second_hash}: ")
            assert f"{config}:" in edge.log()  # with the file and line of the mistake

            # valid, but changes what needs a restart
            doc["receivers"][0]["silent_after_s"] = 60
            write_yaml(config, doc)
            edge.signal(signal.SIGHUP)
            edge.wait_for_log("changing receivers needs a restart")
            await notify.wait_for(lambda: notify.count("READY=1") == 4)

            # still running on the second config, and still alive
            pings = notify.count("WATCHDOG=1")
            receiver.advert("C0:FF:EE:00:00:01", -60, adv_for_tag(TAG))
            await notify.wait_for(lambda: notify.count("WATCHDOG=1") >= pings + 2)
            await listener.wait_for(
                lambda: any(e["kind"] == "tag.arrived" for e in listener.events()), 15
            )
            status = [s for s in listener.statuses() if s["state"] == "online"][-1]
            assert status["config_hash"] == second_hash
            receiver.advert("C0:FF:EE:00:00:01", -60, adv_for_tag(TAG))
            assert edge.proc.poll() is None
        finally:
            code = edge.stop()
        await statuses_with(listener, "state", "offline")
    listening.cancel()
    await asyncio.gather(listening, return_exceptions=True)
    assert code == 0
    assert notify.count("STOPPING=1") == 1
    log = edge.log()
    assert "stopping: flushing decisions, then going offline" in log
    assert "Traceback" not in log
    assert log.count("config reload refused") == 2
    # what was decided was either delivered or is still in the outbox, never lost
    outbox = await Outbox.open(tmp_path / "data" / gw / "outbox.sqlite3", 1000)
    try:
        delivered = len(listener.events())
        assert delivered + outbox.depth >= 1
    finally:
        await outbox.close()


async def test_a_link_cancelled_at_any_moment_of_refused_connects_always_stops(
    tmp_path: Path,
) -> None:
    """SIGTERM cancels the link wherever it is; on Python 3.11 wait_for swallowed a
    cancellation that met a CONNACK, and the daemon then never exited."""
    set_account(tmp_path / "passwd", "gw")
    write_acl(tmp_path / "acl", "hub")
    rng = random.Random(6)
    with PrivateBroker(tmp_path / "mq", auth=(tmp_path / "passwd", tmp_path / "acl")) as mq:
        for attempt in range(60):
            settings = LinkSettings(
                "127.0.0.1", mq.port, f"c{attempt}", "gw", "wrong", backoff_base_s=0.001
            )
            link = MqttLink(settings, name="refused")
            task = asyncio.create_task(link.run())
            await asyncio.sleep(rng.uniform(0.0, 0.05))
            task.cancel()
            done, _ = await asyncio.wait([task], timeout=5)
            assert done, f"the link ignored its cancellation (attempt {attempt})"


async def test_the_hub_tells_systemd_it_is_ready_feeds_the_watchdog_and_stops(
    broker: PrivateBroker, tmp_path: Path, notify: NotifySocket
) -> None:
    http_port = free_port()
    hub_doc = {
        "hub": {
            "http": {"port": http_port},
            "database": {"path": "hub.sqlite3"},
            "broker": {"host": "127.0.0.1", "port": broker.port, "client_id": "hub-notify"},
        }
    }
    config = write_yaml(tmp_path / "hub.yaml", hub_doc)
    env = {"NOTIFY_SOCKET": str(notify.path), "WATCHDOG_USEC": "400000"}
    hub = Process(tmp_path / "hub.log", "hub", "--config", str(config), env=env)
    try:
        await notify.wait_for(lambda: notify.count("READY=1") == 1, 20)
        await asyncio.to_thread(wait_for_port, "127.0.0.1", http_port)  # it listens by then
        await notify.wait_for(lambda: notify.count("WATCHDOG=1") >= 3)
    finally:
        code = await asyncio.to_thread(hub.stop)
    assert code == 0
    assert notify.count("STOPPING=1") == 1
