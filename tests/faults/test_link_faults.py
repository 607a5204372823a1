"""The MQTT link when the line breaks at its most delicate moments (fault proxy)."""

from __future__ import annotations

import asyncio

import pytest

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.errors import BrokerError
from mimamori.mqtt import LinkSettings, MqttLink
from tests.faults.proxy import FaultProxy

pytestmark = pytest.mark.slow


async def test_a_line_cut_while_the_connect_announcement_awaits_its_puback_is_reconnected(
    broker: PrivateBroker, unique_id: str
) -> None:
    # The gateway announces its status on every connect and waits for the PUBACK. A
    # cut right then once left the link waiting for that PUBACK for ever: no
    # reconnect, and not one more event delivered until the daemon was restarted.
    announced: list[bool] = []
    link: MqttLink | None = None

    async def announce() -> None:
        assert link is not None
        try:
            await link.publish(f"faults/{unique_id}/status", b"online", retain=True)
            announced.append(True)
        except BrokerError:
            announced.append(False)

    async with FaultProxy(broker.port, seed=1) as line:
        line.withhold_topic = b"/status"
        line.withhold_pubacks = 1
        settings = LinkSettings(
            "127.0.0.1", line.port, f"faults-{unique_id}", backoff_base_s=0.1, backoff_max_s=0.5
        )
        link = MqttLink(settings, on_connected=announce, name="announcer")
        task = asyncio.create_task(link.run())
        try:
            async with asyncio.timeout(10):
                while announced != [False, True]:
                    await asyncio.sleep(0.02)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    assert line.counters["pubacks_withheld"] == 1
    assert link.counters["connects"] == 2
