"""Test helpers for the edge: a config builder and a scripted receiver.

``ScriptedReceiver`` stands in for receiver hardware (the one place fakes belong):
the test feeds it observations and the daemon consumes them through the same
Driver port as the real serial and BLE drivers.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

from mimamori.edge.adverts import parse_ad_structures
from mimamori.edge.clock import Clock
from mimamori.edge.config import GatewayConfig
from mimamori.edge.observations import Advert, Card, DeviceReport, Observation, Press
from mimamori.firmware_sim.frames import adv_for_tag
from mimamori.mqtt import LinkSettings, Message, MqttLink
from mimamori.protocol import DriverStatus

TOWN = "fda50693-a4e2-4fb1-afcf-c6eb07647825"


def tag_id(n: int) -> str:
    return f"ibeacon:{TOWN}:1:{n}"


def gateway_config(gw: str, port: int, data_dir: Path, **overrides: Any) -> GatewayConfig:
    return GatewayConfig.model_validate(gateway_doc(gw, port, data_dir, **overrides))


def gateway_doc(gw: str, port: int, data_dir: Path, **overrides: Any) -> dict[str, Any]:
    """A test gateway's config as its YAML holds it; ``overrides`` replace whole keys."""
    doc: dict[str, Any] = {
        "gateway": {"id": gw, "name": "テスト自販機", "lat": 26.28, "lon": 127.78},
        "broker": {"host": "127.0.0.1", "port": port, "keepalive_s": 5, "reconnect_max_s": 2},
        "receivers": [{"id": "r1", "driver": "serial_line", "port": "/dev/null"}],
        "tags": {"allow": [f"ibeacon:{TOWN}:*"]},
        "presence": {
            "enter_rssi": -80,
            "exit_rssi": -90,
            "leave_after_s": 5,
            "report_interval_s": 2,
        },
        "data_dir": str(data_dir),
        "status_interval_s": 1,
    }
    doc.update(overrides)
    return doc


class _Scripted:
    """Hardware the test drives: observations go in a queue the daemon reads through
    the same Driver port as the real drivers."""

    def __init__(self, device_id: str, clock: Clock) -> None:
        self._id = device_id
        self.clock = clock
        self.queue: asyncio.Queue[Observation] = asyncio.Queue()

    @property
    def id(self) -> str:
        return self._id

    async def observations(self) -> AsyncGenerator[Observation, None]:
        while True:
            yield await self.queue.get()

    def status(self) -> DriverStatus:
        return DriverStatus(driver="scripted", state="up")


class ScriptedReceiver(_Scripted):
    def advert(self, tag: str, rssi: int) -> None:
        manufacturer, service_data = parse_ad_structures(adv_for_tag(tag))
        self.queue.put_nowait(
            Advert(
                self._id, self.clock.monotonic(), self.clock.now(), rssi, manufacturer, service_data
            )
        )


class ScriptedButton(_Scripted):
    def press(self, card: Card = "genki") -> None:
        self.queue.put_nowait(Press(self._id, self.clock.monotonic(), self.clock.now(), card))

    def report(self, battery_pct: int | None = None, mains: bool | None = None) -> None:
        self.queue.put_nowait(
            DeviceReport(self._id, self.clock.monotonic(), self.clock.now(), battery_pct, mains)
        )


class Listener:
    """A test-side MQTT subscriber that collects what the gateways publish;
    ``persistent``: its session (and what the broker queues for it) outlives a
    reconnect, as the hub's does."""

    def __init__(self, port: int, topic: str, client_id: str, *, persistent: bool = False) -> None:
        self.messages: list[Message] = []
        self.arrived = asyncio.Event()
        self.link = MqttLink(
            LinkSettings(
                "127.0.0.1",
                port,
                client_id,
                subscriptions=((topic, 1),),
                clean_start=not persistent,
                session_expiry_s=600 if persistent else 0,
            ),
            on_message=self._got,
            name="listener",
        )

    def _got(self, message: Message) -> None:
        self.messages.append(message)
        self.arrived.set()

    def events(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for m in self.messages:
            if m.topic.endswith("/events"):
                out += json.loads(m.payload)["events"]
        return out

    def statuses(self) -> list[dict[str, Any]]:
        return [json.loads(m.payload) for m in self.messages if m.topic.endswith("/status")]

    async def wait_for(self, predicate: Any, within: float = 10.0) -> None:
        """Wait until ``predicate()`` holds, re-checking on every message."""
        async with asyncio.timeout(within):
            while not predicate():
                self.arrived.clear()
                await self.arrived.wait()


async def eventually(predicate: Any, within: float = 10.0) -> None:
    """Poll state owned by another component until ``predicate()`` holds."""
    async with asyncio.timeout(within):
        while not predicate():
            await asyncio.sleep(0.02)


async def publish_once(port: int, topic: str, payload: bytes, *, retain: bool = True) -> None:
    """Publish one message from a short-lived client: the hub's acks and presence, as
    a test plays them (the real hub's are tested in tests/hub/test_acks.py)."""
    link = MqttLink(LinkSettings("127.0.0.1", port, "test-hub-side"), name="hub side")
    task = asyncio.create_task(link.run())
    try:
        await asyncio.wait_for(link.connected.wait(), 10)
        await link.publish(topic, payload, qos=1, retain=retain)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
