"""Oversized MQTT payloads are refused: over the protocol's limit by the hub (counted,
and one clear log line naming the gateway), over the packet limit by the broker itself
(the sender is disconnected and nothing reaches the hub)."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.errors import BrokerError
from mimamori.hub.config import HubBrokerSettings
from mimamori.hub.ingest.loop import Ingest
from mimamori.hub.model.clock import system_clock
from mimamori.hub.store.sqlite import SqliteStore
from mimamori.mqtt import LinkSettings, MqttLink
from mimamori.protocol import MAX_PAYLOAD_BYTES
from tests.edge.helpers import eventually

TOPIC = "mimamori/v1/gw/gw-big/events"


async def test_a_payload_over_the_limit_is_refused_counted_and_logged_once(
    own_broker: PrivateBroker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = await SqliteStore.open(tmp_path / "hub.sqlite3")
    settings = HubBrokerSettings(host="127.0.0.1", port=own_broker.port, client_id="hub-big")
    ingest = Ingest(settings, store, clock=system_clock)
    ingesting = asyncio.create_task(ingest.run())
    sender = MqttLink(LinkSettings("127.0.0.1", own_broker.port, "gw-big"), name="gw-big")
    sending = asyncio.create_task(sender.run())
    try:
        await asyncio.wait_for(ingest.link.connected.wait(), 10)
        await asyncio.wait_for(sender.connected.wait(), 10)
        # valid JSON, but larger than any batch a gateway makes: the hub never parses it
        padding = "x" * (MAX_PAYLOAD_BYTES + 1000)
        big = json.dumps({"v": 1, "gw": "gw-big", "events": [], "pad": padding}).encode()
        await sender.publish(TOPIC, big)
        await sender.publish(TOPIC, big)
        await eventually(lambda: ingest.counters["messages"] >= 2)
        assert ingest.counters.get("rejected_too_large") == 2
        assert ingest.counters["payloads_rejected"] == 2
        assert ingest.counters["events_stored"] == 0

        # past the broker's max_packet_size the sender is cut off before the hub sees it
        huge = b"{" + b" " * 300_000 + b"}"
        with pytest.raises(BrokerError):
            await sender.publish(TOPIC, huge)
        await eventually(lambda: sender.counters["disconnects"] >= 1)
        await asyncio.sleep(0.5)
        assert ingest.counters["messages"] == 2
    finally:
        for task in (sending, ingesting):
            task.cancel()
        await asyncio.gather(sending, ingesting, return_exceptions=True)
        await store.close()
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    too_large = [line for line in lines if "(too_large)" in line]
    assert too_large == [
        f"rejected from gateway gw-big (too_large): payload of {len(big)} bytes exceeds "
        f"{MAX_PAYLOAD_BYTES}"
    ]  # the second is counted, not logged again within the minute
    broker_log = (own_broker.dir / "mosquitto.log").read_text()
    assert "Client gw-big disconnected due to oversize packet" in broker_log
