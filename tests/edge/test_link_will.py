"""Leaving the broker: cleanly (no last will), or with the will when the last word
could not be said (MQTT v5 reason 0x04), against a real Mosquitto."""

from __future__ import annotations

import asyncio

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.mqtt import LinkSettings, Message, MqttLink, Will


async def left_behind(broker: PrivateBroker, name: str, *, with_will: bool) -> list[bytes]:
    """What a watcher hears on ``name``'s status topic after ``name`` leaves."""
    topic = f"test/{name}/status"
    heard: list[bytes] = []

    def got(message: Message) -> None:
        heard.append(message.payload)

    watcher = MqttLink(
        LinkSettings("127.0.0.1", broker.port, f"watch-{name}", subscriptions=((topic, 1),)),
        on_message=got,
        name="watcher",
    )
    leaver = MqttLink(
        LinkSettings(
            "127.0.0.1", broker.port, name, will=Will(topic, b"offline", qos=1, retain=False)
        ),
        name=name,
    )
    tasks = [asyncio.create_task(watcher.run()), asyncio.create_task(leaver.run())]
    await asyncio.wait_for(watcher.connected.wait(), 5)
    await asyncio.wait_for(leaver.connected.wait(), 5)
    leaver.leave_with_will = with_will
    tasks[1].cancel()
    await asyncio.gather(tasks[1], return_exceptions=True)
    await asyncio.sleep(0.5)
    tasks[0].cancel()
    await asyncio.gather(tasks[0], return_exceptions=True)
    return heard


async def test_a_clean_leave_publishes_no_last_will(broker: PrivateBroker) -> None:
    assert await left_behind(broker, "gw-clean", with_will=False) == []


async def test_leaving_with_the_will_has_the_broker_say_offline(broker: PrivateBroker) -> None:
    assert await left_behind(broker, "gw-will", with_will=True) == [b"offline"]
