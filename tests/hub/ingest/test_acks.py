"""End-to-end acknowledgement by the real hub (ingest, store, broker): after it has
committed a gateway's batches it publishes, retained, the seq up to which that outbox
epoch is stored; it says it is there, and its will says when it is not."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.mqtt import LinkSettings, Message, MqttLink
from mimamori.protocol import EventDraft, EventKind
from mimamori.protocol.codec import encode_batch
from mimamori.protocol.events import new_epoch, new_event_id
from mimamori.protocol.topics import ack_topic, events_topic, hub_status_topic
from tests.hub.helpers import RunningHub, running_hub

GW = "gw-a"


class Listening:
    """A gateway's side of the wire: what it hears of its acks and of the hub."""

    def __init__(self, link: MqttLink, heard: list[Message]) -> None:
        self.link = link
        self.heard = heard

    def acks(self) -> list[dict[str, int | str]]:
        return [json.loads(m.payload) for m in self.heard if m.topic == ack_topic(GW)]

    def presence(self) -> list[str]:
        return [json.loads(m.payload)["state"] for m in self.heard if "/hub/" in m.topic]

    async def until(self, predicate: object, within: float = 10.0) -> None:
        async with asyncio.timeout(within):
            while not predicate():  # type: ignore[operator]
                await asyncio.sleep(0.02)

    async def batch(self, seqs: list[int], *, epoch: str | None, after: int | None) -> None:
        events = [
            EventDraft(EventKind.RECEIVER_DOWN, datetime.now(UTC), {"receiver": "vm"}).numbered(
                new_event_id(), seq
            )
            for seq in seqs
        ]
        payload = encode_batch(GW, events, epoch=epoch, after=after)
        await self.link.publish(events_topic(GW), payload)


@asynccontextmanager
async def gateway_side(broker: PrivateBroker) -> AsyncIterator[Listening]:
    heard: list[Message] = []
    subscriptions = ((ack_topic(GW), 1), ("mimamori/v1/hub/+/status", 1))
    link = MqttLink(
        LinkSettings("127.0.0.1", broker.port, f"test-{GW}", subscriptions=subscriptions),
        on_message=heard.append,
        name=GW,
    )
    task = asyncio.create_task(link.run())
    await asyncio.wait_for(link.connected.wait(), 10)
    try:
        yield Listening(link, heard)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_the_hub_acknowledges_each_epoch_up_to_what_it_stored(
    hub: RunningHub, own_broker: PrivateBroker
) -> None:
    epoch = new_epoch()
    async with gateway_side(own_broker) as gw:
        await gw.batch([1, 2, 3], epoch=epoch, after=0)
        await gw.until(lambda: {"v": 1, "epoch": epoch, "seq": 3} in gw.acks())
        # Above a gap (4 was dropped by the gateway's cap, 5..6 lost in a broker):
        await gw.batch([7, 8], epoch=epoch, after=6)
        await gw.batch([9], epoch=epoch, after=8)
        await gw.batch([5, 6], epoch=epoch, after=3)  # the gap fills: 4 will never come
        await gw.until(lambda: gw.acks()[-1]["seq"] == 9)
        assert [a["seq"] for a in gw.acks()] == sorted(a["seq"] for a in gw.acks())
        store = hub.state.store
        assert await store.ack_of(GW, epoch) == 9
        other = new_epoch()  # a new SD card starts again at 1: a chain of its own
        await gw.batch([1], epoch=other, after=0)
        await gw.until(lambda: gw.acks()[-1] == {"v": 1, "epoch": other, "seq": 1})
        assert await store.ack_of(GW, epoch) == 9


async def test_an_older_gateways_batches_are_stored_and_acknowledged_by_nobody(
    hub: RunningHub, own_broker: PrivateBroker
) -> None:
    async with gateway_side(own_broker) as gw:
        await gw.batch([1, 2], epoch=None, after=None)
        await gw.batch([1], epoch=new_epoch(), after=0)  # one with an epoch, to wait for
        await gw.until(lambda: len(gw.acks()) == 1)
    states = await hub.state.store.gateway_states()
    assert [s.gateway_id for s in states if s.last_event_at] == [GW]
    assert gw.acks()[0]["seq"] == 1


async def test_the_hub_says_it_is_there_and_its_will_says_when_it_is_not(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with gateway_side(own_broker) as gw:
        async with running_hub(own_broker, tmp_path) as running:
            await gw.until(lambda: gw.presence() == ["online"])
            client_id = running.state.ingest.link.settings.client_id  # type: ignore[union-attr]
        # Stopped cleanly, the hub still leaves with its will: gateways stop re-sending.
        await gw.until(lambda: gw.presence() == ["online", "offline"])
        assert {m.topic for m in gw.heard} == {hub_status_topic(client_id)}
