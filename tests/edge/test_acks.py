"""End-to-end acknowledgement at the gateway, against a real Mosquitto: an event leaves
the outbox only when the hub's ack of its epoch covers it, and what the hub has not
confirmed is sent again by the rules of edge/resend.py. The test plays the hub on the
wire (its acks and presence); tests/hub/test_acks.py runs the real hub."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.edge.clock import VirtualClock
from mimamori.edge.daemon import EdgeDaemon
from mimamori.edge.outbox import Outbox
from mimamori.edge.uplink import Uplink, subscriptions
from mimamori.mqtt import LinkSettings, Message, MqttLink
from mimamori.protocol import EventDraft, EventKind, GatewayStatus
from mimamori.protocol.acks import Ack, HubPresence, encode_ack, encode_presence
from mimamori.protocol.topics import ack_topic, events_topic, hub_status_topic
from tests.edge.helpers import (
    Listener,
    ScriptedReceiver,
    eventually,
    gateway_config,
    publish_once,
    tag_id,
)

HUB = "mimamori-hub"
T0 = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)


def drafts(n: int) -> list[EventDraft]:
    data = {"tag": tag_id(1), "receiver": "r1", "rssi": -60, "adverts": 1}
    return [EventDraft(EventKind.TAG_SEEN, T0, data) for _ in range(n)]


@asynccontextmanager
async def uplink_on(
    port: int, path: Path, gw: str, clock: VirtualClock, resend_after_s: float = 30.0
) -> AsyncIterator[Uplink]:
    """The real outbox, link and uplink of a gateway (as the daemon wires them)."""
    outbox = await Outbox.open(path, 1000)
    uplinks: list[Uplink] = []

    def hear(message: Message) -> None:
        uplinks[0].handle(message)

    link = MqttLink(
        LinkSettings(
            "127.0.0.1", port, f"mimamori-gw-{gw}", subscriptions=subscriptions(gw),
            backoff_base_s=0.1, backoff_max_s=0.5,
        ),
        on_message=hear,
        name=f"gw {gw}",
    )  # fmt: skip
    uplink = Uplink(
        gw,
        link,
        outbox,
        lambda: GatewayStatus(gw=gw, state="online"),
        resend_after_s=resend_after_s,
        clock=clock,
    )
    uplinks.append(uplink)
    tasks = [asyncio.create_task(link.run()), asyncio.create_task(uplink.run())]
    try:
        await asyncio.wait_for(link.connected.wait(), 10)
        yield uplink
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await outbox.close()


@asynccontextmanager
async def hub_side(port: int, gw: str, persistent: bool = False) -> AsyncIterator[Listener]:
    """What the hub would receive of ``gw``'s events (a persistent session: the broker
    keeps what comes while the listener reconnects)."""
    listener = Listener(port, events_topic(gw), f"hub-side-{gw}", persistent=persistent)
    task = asyncio.create_task(listener.link.run())
    await asyncio.wait_for(listener.link.connected.wait(), 10)
    try:
        yield listener
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def copies(listener: Listener) -> Counter[int]:
    """How many times each seq reached the hub's side."""
    return Counter(int(e["seq"]) for e in listener.events())


async def ack(port: int, gw: str, epoch: str, seq: int) -> None:
    await publish_once(port, ack_topic(gw), encode_ack(Ack(epoch=epoch, seq=seq)))


async def presence(port: int, state: str) -> None:
    payload = encode_presence(HubPresence(state="online" if state == "online" else "offline"))
    await publish_once(port, hub_status_topic(HUB), payload)


# Each test has a broker of its own: a hub's presence is retained, and an "offline" left
# on a shared broker by an earlier test's hub would hold these gateways' resends.
async def test_events_stay_in_the_outbox_until_the_hubs_ack_covers_them(
    own_broker: PrivateBroker, tmp_path: Path, unique_id: str
) -> None:
    clock = VirtualClock()
    async with (
        hub_side(own_broker.port, unique_id) as hub,
        uplink_on(own_broker.port, tmp_path / "o.sqlite3", unique_id, clock) as uplink,
    ):
        outbox = uplink.outbox
        await outbox.append(drafts(5))
        await hub.wait_for(lambda: len(hub.events()) == 5)
        await eventually(lambda: uplink.counters["events_sent"] == 5)  # every PUBACK came
        assert outbox.depth == 5  # the broker has them: that is no proof the hub will
        batch = json.loads(hub.messages[-1].payload)
        assert batch["epoch"] == outbox.epoch and batch["after"] == 0

        await ack(own_broker.port, unique_id, outbox.epoch, 3)
        await eventually(lambda: outbox.depth == 2)
        # An ack of another outbox (an old SD card of this gateway) is not about ours;
        # the ack after it on the same topic shows it was heard first, and ignored.
        await ack(own_broker.port, unique_id, "f" * 32, 5)
        await ack(own_broker.port, unique_id, outbox.epoch, 4)
        await eventually(lambda: outbox.depth == 1)
        assert uplink.counters["acks_other_epoch"] == 1
        assert uplink.policy.confirmed == 4
        assert uplink.counters["events_confirmed"] == 4


async def test_unconfirmed_events_are_sent_again_when_the_ack_stops_moving_backing_off(
    own_broker: PrivateBroker, tmp_path: Path, unique_id: str
) -> None:
    clock = VirtualClock()
    async with (
        hub_side(own_broker.port, unique_id) as hub,
        uplink_on(own_broker.port, tmp_path / "o.sqlite3", unique_id, clock) as uplink,
    ):
        outbox = uplink.outbox
        await outbox.append(drafts(5))
        await ack(own_broker.port, unique_id, outbox.epoch, 2)  # the hub has 1..2, 3..5 lost
        await hub.wait_for(lambda: len(hub.events()) == 5)
        await eventually(lambda: outbox.published_through == 5 and outbox.depth == 3)

        clock.advance(29.0)
        assert not uplink.check_resend()
        clock.advance(1.0)  # 30 s without progress while the hub is up: send again
        await hub.wait_for(lambda: copies(hub) == Counter({1: 1, 2: 1, 3: 2, 4: 2, 5: 2}))
        clock.advance(59.0)  # no progress again: the next try waits twice as long
        assert not uplink.check_resend()
        clock.advance(1.0)
        await hub.wait_for(lambda: copies(hub)[3] == 3)

        await ack(own_broker.port, unique_id, outbox.epoch, 5)
        await eventually(lambda: outbox.depth == 0)
        clock.advance(1000.0)
        assert not uplink.check_resend()  # nothing waits: nothing to send
        assert uplink.counters["resends"] == 2


async def test_a_restarted_gateway_keeps_and_sends_again_what_the_hub_has_not_confirmed(
    own_broker: PrivateBroker, tmp_path: Path, unique_id: str
) -> None:
    clock = VirtualClock()
    path = tmp_path / "o.sqlite3"
    async with hub_side(own_broker.port, unique_id) as hub:
        async with uplink_on(own_broker.port, path, unique_id, clock) as uplink:
            await uplink.outbox.append(drafts(4))
            await hub.wait_for(lambda: len(hub.events()) == 4)
            await eventually(lambda: uplink.outbox.published_through == 4)
            epoch = uplink.outbox.epoch
        ids = [e["id"] for e in hub.events()]
        async with uplink_on(own_broker.port, path, unique_id, clock) as uplink:
            assert uplink.outbox.depth == 4 and uplink.outbox.epoch == epoch
            await hub.wait_for(lambda: len(hub.events()) == 8)
            assert [e["id"] for e in hub.events()[4:]] == ids  # the same events, again
            await ack(own_broker.port, unique_id, epoch, 4)
            await eventually(lambda: uplink.outbox.depth == 0)


async def test_after_a_reconnect_only_unpublished_events_go_while_the_hub_is_away(
    own_broker: PrivateBroker, tmp_path: Path, unique_id: str
) -> None:
    # With the hub away, the broker most likely still queues the rest for it: copies
    # would only lengthen the hub's queue. Once it is back and its ack stops short,
    # the rest goes again.
    clock = VirtualClock()
    await presence(own_broker.port, "offline")
    async with (
        hub_side(own_broker.port, unique_id, persistent=True) as hub,
        uplink_on(own_broker.port, tmp_path / "o.sqlite3", unique_id, clock) as uplink,
    ):
        await eventually(lambda: not uplink.policy.hub_up)
        await uplink.outbox.append(drafts(5))
        await hub.wait_for(lambda: len(hub.events()) == 5)
        await eventually(lambda: uplink.outbox.published_through == 5)
        own_broker.restart()
        await asyncio.wait_for(uplink.link.connected.wait(), 10)
        await uplink.outbox.append(drafts(3))
        await hub.wait_for(lambda: len(hub.events()) >= 8)
        # A resend of 1..5 would have come before 6..8 on the one connection.
        assert copies(hub) == Counter(range(1, 9))
        clock.advance(3600.0)
        assert not uplink.check_resend()

        await presence(own_broker.port, "online")
        await eventually(lambda: uplink.policy.hub_up)
        await asyncio.sleep(0)
        clock.advance(30.0)
        await hub.wait_for(lambda: copies(hub)[1] == 2)


async def test_after_a_reconnect_everything_unconfirmed_goes_again_while_the_hub_is_up(
    own_broker: PrivateBroker, tmp_path: Path, unique_id: str
) -> None:
    # The broker may have crashed with the batches it had not saved yet: with the
    # hub there to confirm them, sending them again at once costs only copies.
    clock = VirtualClock()
    await presence(own_broker.port, "online")
    async with (
        hub_side(own_broker.port, unique_id, persistent=True) as hub,
        uplink_on(own_broker.port, tmp_path / "o.sqlite3", unique_id, clock) as uplink,
    ):
        await uplink.outbox.append(drafts(5))
        await hub.wait_for(lambda: len(hub.events()) == 5)
        await eventually(lambda: uplink.outbox.published_through == 5)
        await ack(own_broker.port, unique_id, uplink.outbox.epoch, 2)
        await eventually(lambda: uplink.outbox.depth == 3)
        own_broker.restart()
        await hub.wait_for(lambda: copies(hub) == Counter({1: 1, 2: 1, 3: 2, 4: 2, 5: 2}))


async def test_events_waiting_for_the_hub_do_not_starve_the_watchdog(
    broker: PrivateBroker, tmp_path: Path, unique_id: str
) -> None:
    # The hub away for an hour is no fault of the gateway's: the broker has every
    # event, and restarting the daemon would change nothing.
    clock = VirtualClock()
    config = gateway_config(unique_id, broker.port, tmp_path)
    receiver = ScriptedReceiver("r1", clock)
    daemon = EdgeDaemon(config, clock=clock, drivers=[receiver])
    task = asyncio.create_task(daemon.run())
    try:
        await asyncio.wait_for(daemon.ready.wait(), 5)
        receiver.advert(tag_id(3), -60)
        await eventually(lambda: daemon.outbox is not None and daemon.outbox.published_through >= 1)
        assert daemon.outbox is not None and daemon.outbox.depth >= 1
        assert not [p for p in daemon.problems() if p.startswith("outbox")]
        clock.advance(3600.0)
        assert not [p for p in daemon.problems() if p.startswith("outbox")]
    finally:
        daemon.stop()
        await asyncio.wait_for(task, 10)
