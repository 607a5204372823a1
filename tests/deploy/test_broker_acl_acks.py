"""The broker ACL of end-to-end acknowledgement, on a real Mosquitto: the hub writes
each gateway's ack and its own presence (its last will too); a gateway reads only its
own ack and the hub's presence, and can forge neither."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.errors import BrokerError
from mimamori.hub.ingest.acks import presence_will
from mimamori.mqtt import LinkSettings, MqttLink
from mimamori.protocol.topics import ack_topic, hub_status_topic
from tests.deploy.test_broker_acl import add_gateway, connected, secured

__all__ = ["secured"]  # the fixture, shared with test_broker_acl

HUB = "mimamori-hub"


async def test_acks_reach_their_own_gateway_only_and_nobody_forges_them(
    secured: tuple[Path, Path],
) -> None:
    config, root = secured
    a, b = add_gateway(config, "gw-a"), add_gateway(config, "gw-b")
    hub_password = (root / "hub.password").read_text().strip()
    broker = PrivateBroker(root / "mq", auth=(root / "broker/passwd", root / "broker/acl"))
    with broker:
        port = broker.port
        presence = "mimamori/v1/hub/+/status"
        async with (
            connected(port, "gw-a", a, ack_topic("gw-a"), ack_topic("gw-b"), presence) as (
                gw_a,
                heard_a,
            ),
            connected(port, "gw-b", b, ack_topic("gw-b")) as (_, heard_b),
            connected(port, "mimamori-hub", hub_password) as (hub, _h),
        ):
            await hub.publish(ack_topic("gw-a"), b"ack-a", retain=True)
            await hub.publish(ack_topic("gw-b"), b"ack-b", retain=True)
            await hub.publish(hub_status_topic(HUB), b"online", retain=True)
            for forged in (ack_topic("gw-a"), ack_topic("gw-b"), hub_status_topic(HUB)):
                with pytest.raises(BrokerError, match=r"[Nn]ot authori[sz]ed"):
                    await gw_a.publish(forged, b"forged", retain=True)
            async with asyncio.timeout(5):
                while len(heard_a) < 2 or not heard_b:
                    await asyncio.sleep(0.02)
            await asyncio.sleep(0.5)  # time for anything that leaks to arrive
    assert sorted(m.payload for m in heard_a) == [b"ack-a", b"online"]
    assert [m.payload for m in heard_b] == [b"ack-b"]


async def test_the_hubs_last_will_is_allowed_and_reaches_the_gateways(
    secured: tuple[Path, Path],
) -> None:
    # Mosquitto 2 refuses a connection whose will its ACL would not let it publish:
    # an ACL without the presence line would keep the hub out altogether.
    config, root = secured
    a = add_gateway(config, "gw-a")
    hub_password = (root / "hub.password").read_text().strip()
    broker = PrivateBroker(root / "mq", auth=(root / "broker/passwd", root / "broker/acl"))
    with broker:
        port = broker.port
        async with connected(port, "gw-a", a, "mimamori/v1/hub/+/status") as (_, heard):
            link = MqttLink(
                LinkSettings("127.0.0.1", port, HUB, "mimamori-hub", hub_password,
                             will=presence_will(HUB)),
                name="hub",
            )  # fmt: skip
            link.leave_with_will = True
            task = asyncio.create_task(link.run())
            try:
                await asyncio.wait_for(link.connected.wait(), 10)
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
            async with asyncio.timeout(5):
                while not heard:
                    await asyncio.sleep(0.02)
    assert [m.topic for m in heard] == [hub_status_topic(HUB)]
    assert b'"offline"' in heard[0].payload
