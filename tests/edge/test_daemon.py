"""The daemon end to end on the gateway side: receiver -> rules -> outbox -> real broker."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.edge.clock import SystemClock
from mimamori.edge.daemon import EdgeDaemon
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


async def test_stopping_publishes_offline_and_keeps_unsent_events(
    own_broker: PrivateBroker, tmp_path: Path, unique_id: str
) -> None:
    config = gateway_config(unique_id, own_broker.port, tmp_path)
    receiver = ScriptedReceiver("r1", SystemClock())
    daemon = EdgeDaemon(config, drivers=[receiver])
    async with listening(own_broker.port, unique_id) as listener:
        async with running(daemon):
            await listener.wait_for(
                lambda: any(s["state"] == "online" for s in listener.statuses())
            )
        await listener.wait_for(lambda: listener.statuses()[-1]["state"] == "offline")


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
