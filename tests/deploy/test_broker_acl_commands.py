"""The hub's commands on a real Mosquitto with the ACL the hub writes: a command reaches
its own gateway only, no gateway can send one, and a command that waited longer than
its MQTT v5 expiry is never delivered (a stale beep is never played)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.errors import BrokerError
from mimamori.mqtt import LinkSettings, Message, MqttLink
from mimamori.protocol.topics import command_topic
from tests.deploy.test_broker_acl import add_gateway, connected, secured

__all__ = ["secured"]  # the fixture, shared with test_broker_acl

HUB = "mimamori-hub"


async def test_a_command_reaches_its_own_gateway_only_and_no_gateway_can_send_one(
    secured: tuple[Path, Path],
) -> None:
    config, root = secured
    a, b = add_gateway(config, "gw-a"), add_gateway(config, "gw-b")
    hub_password = (root / "hub.password").read_text().strip()
    broker = PrivateBroker(root / "mq", auth=(root / "broker/passwd", root / "broker/acl"))
    with broker:
        port = broker.port
        async with (
            connected(port, "gw-a", a, command_topic("gw-a"), command_topic("gw-b")) as (
                gw_a,
                heard_a,
            ),
            connected(port, "gw-b", b, command_topic("gw-b")) as (_, heard_b),
            connected(port, HUB, hub_password) as (hub, _h),
        ):
            await hub.publish(command_topic("gw-a"), b"remind-a", expiry_s=60)
            await hub.publish(command_topic("gw-b"), b"remind-b", expiry_s=60)
            for forged in (command_topic("gw-a"), command_topic("gw-b")):
                with pytest.raises(BrokerError, match=r"[Nn]ot authori[sz]ed"):
                    await gw_a.publish(forged, b"forged")
            async with asyncio.timeout(5):
                while not heard_a or not heard_b:
                    await asyncio.sleep(0.02)
            await asyncio.sleep(0.5)  # time for anything that leaks to arrive
    assert [m.payload for m in heard_a] == [b"remind-a"]
    assert [m.payload for m in heard_b] == [b"remind-b"]


async def test_a_command_older_than_its_expiry_is_never_delivered(
    secured: tuple[Path, Path],
) -> None:
    config, root = secured
    a = add_gateway(config, "gw-a")
    hub_password = (root / "hub.password").read_text().strip()
    broker = PrivateBroker(root / "mq", auth=(root / "broker/passwd", root / "broker/acl"))
    heard: list[Message] = []
    # A session the broker keeps while the gateway is away (gateways use clean ones:
    # this is the worst case, where the broker would queue for it).
    settings = LinkSettings(
        "127.0.0.1", 0, "gw-a", "gw-a", a, clean_start=False, session_expiry_s=300,
        subscriptions=((command_topic("gw-a"), 1),),
    )  # fmt: skip

    async def session(port: int) -> tuple[MqttLink, asyncio.Task[None]]:
        link = MqttLink(
            LinkSettings(**{**settings.__dict__, "port": port}), on_message=heard.append
        )
        task = asyncio.create_task(link.run())
        await asyncio.wait_for(link.connected.wait(), 10)
        return link, task

    with broker:
        _, task = await session(broker.port)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)  # the gateway goes away
        async with connected(broker.port, HUB, hub_password) as (hub, _h):
            await hub.publish(command_topic("gw-a"), b"stale", expiry_s=1)
            await hub.publish(command_topic("gw-a"), b"fresh", expiry_s=600)
        # Mosquitto keeps expiry in whole seconds and delivers while the expiry second is
        # the current one: published at t, "stale" may still go out at t + 1.9. 2.5 s
        # puts the broker's clock at least two whole seconds past (1.5 s failed at load 6).
        await asyncio.sleep(2.5)
        _, task = await session(broker.port)
        try:
            async with asyncio.timeout(5):
                while not heard:
                    await asyncio.sleep(0.02)
            await asyncio.sleep(0.3)  # anything else queued arrives with it
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    assert [m.payload for m in heard] == [b"fresh"]
