"""The daemon end to end on the gateway side: receiver -> rules -> outbox -> real broker."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.edge.clock import SystemClock
from mimamori.edge.config import GatewayConfig
from mimamori.edge.daemon import EdgeDaemon
from mimamori.edge.outbox import Outbox
from mimamori.errors import MimamoriError
from mimamori.protocol.acks import Ack, encode_ack
from mimamori.protocol.topics import ack_topic
from tests.edge.helpers import (
    Listener,
    ScriptedReceiver,
    eventually,
    gateway_config,
    publish_once,
    tag_id,
)

Seen = tuple[int, str]  # an event's seq and id


@asynccontextmanager
async def running(daemon: EdgeDaemon) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(daemon.run())
    await asyncio.wait_for(daemon.ready.wait(), 5)
    try:
        yield task
    finally:
        daemon.stop()
        await asyncio.wait_for(task, 10)


@asynccontextmanager
async def listening(port: int, gw: str) -> AsyncIterator[Listener]:
    listener = Listener(port, f"mimamori/v1/gw/{gw}/#", f"listener-{gw}")
    task = asyncio.create_task(listener.link.run())
    await asyncio.wait_for(listener.link.connected.wait(), 5)
    try:
        yield listener
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_an_allowed_tag_arrives_at_the_broker_as_an_event(
    broker: PrivateBroker, tmp_path: Path, unique_id: str
) -> None:
    config = gateway_config(unique_id, broker.port, tmp_path)
    receiver = ScriptedReceiver("r1", SystemClock())
    daemon = EdgeDaemon(config, drivers=[receiver])
    async with listening(broker.port, unique_id) as listener, running(daemon):
        receiver.advert(tag_id(7), -60)
        await listener.wait_for(listener.events)
        [event] = listener.events()
        assert event["kind"] == "tag.arrived"
        assert event["data"]["tag"] == tag_id(7)
        assert event["seq"] == 1
        await listener.wait_for(lambda: any(s["state"] == "online" for s in listener.statuses()))
    assert daemon.outbox is not None


async def test_tags_off_the_allow_list_never_leave_the_gateway(
    broker: PrivateBroker, tmp_path: Path, unique_id: str
) -> None:
    config = gateway_config(unique_id, broker.port, tmp_path)
    receiver = ScriptedReceiver("r1", SystemClock())
    daemon = EdgeDaemon(config, drivers=[receiver])
    stranger = "ibeacon:00000000-0000-0000-0000-000000000001:1:1"
    async with listening(broker.port, unique_id) as listener, running(daemon):
        receiver.advert(stranger, -50)
        receiver.advert(tag_id(1), -50)
        await listener.wait_for(listener.events)
        assert [e["data"]["tag"] for e in listener.events()] == [tag_id(1)]
        assert daemon.counters["adverts_not_allowed"] == 1


async def test_a_quiet_tag_leaves_without_any_further_advert(
    broker: PrivateBroker, tmp_path: Path, unique_id: str
) -> None:
    config = gateway_config(unique_id, broker.port, tmp_path)
    receiver = ScriptedReceiver("r1", SystemClock())
    daemon = EdgeDaemon(config, drivers=[receiver])
    async with listening(broker.port, unique_id) as listener, running(daemon):
        receiver.advert(tag_id(2), -60)
        await listener.wait_for(
            lambda: [e["kind"] for e in listener.events()] == ["tag.arrived", "tag.left"]
        )


async def test_events_decided_during_a_broker_outage_arrive_in_order_after_it(
    own_broker: PrivateBroker, tmp_path: Path, unique_id: str
) -> None:
    config = gateway_config(unique_id, own_broker.port, tmp_path)
    receiver = ScriptedReceiver("r1", SystemClock())
    daemon = EdgeDaemon(config, drivers=[receiver])
    async with running(daemon):
        await asyncio.wait_for(daemon.link.connected.wait(), 5)  # type: ignore[union-attr]
        own_broker.stop()
        for n in range(50):
            receiver.advert(tag_id(n), -60)
        await eventually(lambda: daemon.outbox is not None and daemon.outbox.depth >= 50)
        own_broker.start()
        async with listening(own_broker.port, unique_id) as listener:
            await listener.wait_for(lambda: len(listener.events()) >= 50, within=30)
            seqs = [e["seq"] for e in listener.events()]
            assert seqs[:50] == list(range(1, 51))
        # The broker's PUBACK is not enough: the events stay until the hub has them.
        uplink = daemon.uplink
        assert uplink is not None and daemon.outbox is not None
        await eventually(lambda: uplink.counters["events_sent"] >= 50)
        assert daemon.outbox.depth == 50
        ack = Ack(epoch=daemon.outbox.epoch, seq=50)  # as the hub says it (tests/hub)
        await publish_once(own_broker.port, ack_topic(unique_id), encode_ack(ack))
        await eventually(lambda: daemon.outbox is not None and daemon.outbox.depth == 0)


async def test_a_second_daemon_on_the_same_data_dir_is_refused(
    broker: PrivateBroker, tmp_path: Path, unique_id: str
) -> None:
    config = gateway_config(unique_id, broker.port, tmp_path)
    first = EdgeDaemon(config, drivers=[ScriptedReceiver("r1", SystemClock())])
    async with running(first):
        second = EdgeDaemon(config, drivers=[ScriptedReceiver("r1", SystemClock())])
        with pytest.raises(MimamoriError, match="another mimamori edge"):
            await second.run()


async def held(data_dir: Path) -> list[tuple[int, str]]:
    """(seq, event id) of each event in a stopped gateway's outbox file."""
    outbox = await Outbox.open(data_dir / "outbox.sqlite3", 1000)
    try:
        batch = await outbox.peek(0, 1000)
    finally:
        await outbox.close()
    return [(p.seq, json.loads(p.body)["id"]) for p in batch.events] if batch else []


async def sent_after_a_restart(config: GatewayConfig, port: int, count: int) -> list[Seen]:
    """Start a new daemon on the same config and data_dir; what it sends first."""
    daemon = EdgeDaemon(config, drivers=[ScriptedReceiver("r1", SystemClock())])
    async with listening(port, config.gateway.id) as listener, running(daemon):
        await listener.wait_for(lambda: len(listener.events()) >= count, within=15)
        return [(e["seq"], e["id"]) for e in listener.events()]


async def test_stopping_publishes_offline_and_keeps_unsent_events(
    own_broker: PrivateBroker, tmp_path: Path, unique_id: str
) -> None:
    # No hub runs here: the broker takes the events, but until the hub's ack covers
    # them they are not sent for good, so they must outlive the stop.
    config = gateway_config(unique_id, own_broker.port, tmp_path)
    receiver = ScriptedReceiver("r1", SystemClock())
    daemon = EdgeDaemon(config, drivers=[receiver])
    async with listening(own_broker.port, unique_id) as listener:
        async with running(daemon):
            await listener.wait_for(
                lambda: any(s["state"] == "online" for s in listener.statuses())
            )
            for n in (1, 2, 3):
                receiver.advert(tag_id(n), -60)
            await listener.wait_for(lambda: len(listener.events()) >= 3)
        await listener.wait_for(lambda: listener.statuses()[-1]["state"] == "offline")
        sent: list[Seen] = [(e["seq"], e["id"]) for e in listener.events()]
    assert [seq for seq, _ in sent] == [1, 2, 3]
    assert await held(tmp_path) == sent
    # The next start sends them again, as they were: the hub stores by id.
    assert await sent_after_a_restart(config, own_broker.port, 3) == sent


async def test_events_decided_while_the_broker_is_down_outlive_a_stop(
    own_broker: PrivateBroker, tmp_path: Path, unique_id: str
) -> None:
    config = gateway_config(unique_id, own_broker.port, tmp_path)
    receiver = ScriptedReceiver("r1", SystemClock())
    daemon = EdgeDaemon(config, drivers=[receiver])
    async with running(daemon):
        await asyncio.wait_for(daemon.link.connected.wait(), 5)  # type: ignore[union-attr]
        own_broker.stop()
        for n in (1, 2):
            receiver.advert(tag_id(n), -60)
        await eventually(lambda: daemon.outbox is not None and daemon.outbox.depth == 2)
    kept = await held(tmp_path)  # never published: "offline" went with the last will
    assert [seq for seq, _ in kept] == [1, 2]
    own_broker.start()
    assert await sent_after_a_restart(config, own_broker.port, 2) == kept


async def test_a_gateway_stops_even_while_batches_wait_for_their_puback(
    own_broker: PrivateBroker, tmp_path: Path, unique_id: str
) -> None:
    # The link fails the batch that waits for its PUBACK as the stop cancels the
    # uplink: Python 3.11's TaskGroup then raised the batch's error instead of the
    # cancellation, the uplink caught it, and the daemon waited for ever.
    config = gateway_config(unique_id, own_broker.port, tmp_path)
    receiver = ScriptedReceiver("r1", SystemClock())
    daemon = EdgeDaemon(config, drivers=[receiver])
    task = asyncio.create_task(daemon.run())
    await asyncio.wait_for(daemon.ready.wait(), 5)
    await asyncio.wait_for(daemon.link.connected.wait(), 5)  # type: ignore[union-attr]
    pid = own_broker.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)  # the broker hears nothing and answers nothing
    try:
        receiver.advert(tag_id(4), -60)
        await eventually(lambda: daemon.uplink is not None and daemon.uplink.in_flight > 0)
        daemon.stop()
        done, _ = await asyncio.wait({task}, timeout=15)  # "offline" waits 3 s, then it goes
        assert task in done, "the daemon did not stop"
        task.result()
    finally:
        os.kill(pid, signal.SIGCONT)
