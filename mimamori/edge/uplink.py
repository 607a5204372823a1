"""The uplink: events from the outbox to the broker, the hub's acks back, and the
retained status.

Batches go out in sequence order on one connection, at most ``window`` of them
unacknowledged by the broker at a time (paho's message ids wrap at 65,535, and an
unbounded burst into one client was seen to lose messages). A PUBACK only marks a
batch published: an event leaves the outbox when the hub's ack of our epoch covers
it (``mimamori/v1/gw/{id}/ack``, protocol/acks.py). What the hub has not confirmed
is sent again by the rules of ``resend.py``; the hub stores by event id, so a copy
of what did arrive is harmless.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from mimamori.edge.clock import Clock, SystemClock
from mimamori.edge.outbox import Batch, Outbox
from mimamori.edge.resend import ResendPolicy
from mimamori.errors import BrokerError, ProtocolError, StoreError
from mimamori.mqtt import Message, MqttLink
from mimamori.protocol.acks import decode_ack, decode_presence
from mimamori.protocol.codec import encode_event_bodies, encode_status
from mimamori.protocol.status import GatewayStatus
from mimamori.protocol.topics import (
    HUB_STATUS_SUBSCRIPTION,
    ack_topic,
    events_topic,
    parse_hub_status_topic,
    status_topic,
)

log = logging.getLogger(__name__)

# Stays below paho's default in-flight limit of 20, so paho never queues for us.
WINDOW = 16
RESEND_AFTER_S = 30.0  # the default of outbox.resend_after_s (config.py says why)


def subscriptions(gateway_id: str) -> tuple[tuple[str, int], ...]:
    """What the uplink needs to hear: the hub's ack for this gateway, and whether the
    hub is there (retained, so both arrive again on every connect)."""
    return ((ack_topic(gateway_id), 1), (HUB_STATUS_SUBSCRIPTION, 1))


class Uplink:
    def __init__(
        self,
        gateway_id: str,
        link: MqttLink,
        outbox: Outbox,
        status: Callable[[], GatewayStatus],
        *,
        batch_size: int = 100,
        window: int = WINDOW,
        clock: Clock | None = None,
        resend_after_s: float = RESEND_AFTER_S,
    ) -> None:
        self.gateway_id = gateway_id
        self.link = link
        self.outbox = outbox
        self.status = status
        self.batch_size = batch_size
        self.window = window
        self.clock = clock or SystemClock()
        self._monotonic = self.clock.monotonic
        self.policy = ResendPolicy(resend_after_s, self._monotonic())
        self._ack_topic = ack_topic(gateway_id)
        self._acked = asyncio.Event()  # the hub's ack moved: forget what it covers
        self._resend = asyncio.Event()  # send again from the oldest unconfirmed event
        self.in_flight = 0  # batches waiting for their PUBACK
        self.counters = {
            "batches_sent": 0,
            "events_sent": 0,
            "events_confirmed": 0,
            "resends": 0,
            "acks_other_epoch": 0,
            "acks_rejected": 0,
        }

    # -- what the hub says ------------------------------------------------------------

    def handle(self, message: Message) -> bool:
        """An ack or a hub presence (on the event loop); False if the message is
        neither, for the caller to handle."""
        if message.topic == self._ack_topic:
            self._on_ack(message.payload)
            return True
        worker = parse_hub_status_topic(message.topic)
        if worker is None:
            return False
        try:
            # An empty retained message clears a worker's presence: a worker retired.
            online = bool(message.payload) and decode_presence(message.payload).state == "online"
        except ProtocolError as exc:
            log.warning("hub presence of %s refused: %s", worker, exc)
            return True
        was = self.policy.hub_up
        self.policy.presence(worker, online)
        if self.policy.hub_up != was:
            log.info("the hub is %s", "up" if self.policy.hub_up else "away")
        return True

    def _on_ack(self, payload: bytes) -> None:
        if not payload:
            return  # cleared by hand: says nothing
        try:
            ack = decode_ack(payload)
        except ProtocolError as exc:
            self.counters["acks_rejected"] += 1
            log.warning("hub ack refused: %s", exc)
            return
        if ack.epoch != self.outbox.epoch:
            # An older outbox of this gateway (a replaced SD card): not about ours.
            self.counters["acks_other_epoch"] += 1
            return
        if self.policy.acked(ack.seq, self._monotonic()):
            self._acked.set()

    # -- running ----------------------------------------------------------------------

    async def run(self) -> None:
        """Send whenever connected, forget what the hub confirms, re-send what it
        does not; until cancelled."""
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self._confirming(), name="uplink-confirm")
            tg.create_task(self._watching(), name="uplink-resend")
            tg.create_task(self._sending(), name="uplink-send")

    async def _confirming(self) -> None:
        while True:
            await self._acked.wait()
            self._acked.clear()
            try:
                self.counters["events_confirmed"] += await self.outbox.confirm(
                    self.policy.confirmed
                )
            except StoreError as exc:  # the next ack tries again; the events stay
                log.error("cannot forget what the hub confirmed: %s", exc)

    def check_resend(self) -> bool:
        """Ask rule 2 of ``resend.py`` now (a loop does every second); True if the
        events the hub has not confirmed are to be sent again."""
        waiting = (
            self.link.connected.is_set()
            and self.outbox.depth > 0
            and self.outbox.published_through > self.policy.confirmed
        )
        if not self.policy.resend_now(self._monotonic(), waiting=waiting):
            return False
        log.info(
            "the hub has confirmed nothing past seq %d: sending again from there "
            "(next time after %.0f s)",
            self.policy.confirmed,
            self.policy.delay,
        )
        self._resend.set()
        return True

    async def _watching(self) -> None:
        tick = min(1.0, self.policy.base / 4)
        while True:
            await asyncio.sleep(tick)
            self.check_resend()

    async def _sending(self) -> None:
        while True:
            await self.link.connected.wait()
            try:
                async with asyncio.TaskGroup() as tg:
                    await self._drain(tg)
            except* BrokerError as group:
                log.debug("uplink paused: %s", group.exceptions[0])
            # When a stop meets a batch failing for want of its PUBACK, Python 3.11's
            # TaskGroup raises the batch's error, not our cancellation; caught above,
            # the stop would be lost and the daemon would wait for it for ever (seen
            # in tests/edge/test_acks.py when a resend was in flight at the end).
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise asyncio.CancelledError
            # Every send has ended: nothing is on the wire any more.
            self.outbox.rewind()
            await self.link.disconnected.wait()

    async def _drain(self, tg: asyncio.TaskGroup) -> None:
        slots = asyncio.Semaphore(self.window)
        self._resend.clear()
        cursor = self.policy.start_from(self.outbox.published_through)
        while self.link.connected.is_set():
            await slots.acquire()
            if self._resend.is_set():
                self._resend.clear()
                cursor = self.policy.confirmed
                self.counters["resends"] += 1
            cursor = max(cursor, self.policy.confirmed)  # the hub has those: skip them
            self.outbox.changed.clear()
            batch = await self.outbox.peek(cursor, self.batch_size)
            if batch is None:
                slots.release()
                await _first_of(
                    self.outbox.changed.wait(),
                    self.link.disconnected.wait(),
                    self._resend.wait(),
                )
                continue
            cursor = batch.last
            # "sent": our clock now, for the hub to see how far off it is (protocol.md).
            payload = encode_event_bodies(
                self.gateway_id,
                [p.body for p in batch.events],
                epoch=self.outbox.epoch,
                sent=self.clock.now(),
                after=batch.after,
            )
            tg.create_task(self._send(slots, payload, batch), name=f"uplink-batch-{batch.first}")
            # Let the send start now, so batches hit the wire in sequence order.
            await asyncio.sleep(0)
        raise BrokerError("disconnected")

    async def _send(self, slots: asyncio.Semaphore, payload: bytes, batch: Batch) -> None:
        self.in_flight += 1
        try:
            await self.link.publish(events_topic(self.gateway_id), payload, qos=1)
            self.outbox.published(batch)
            self.counters["batches_sent"] += 1
            self.counters["events_sent"] += len(batch.events)
        finally:
            self.in_flight -= 1
            slots.release()

    async def publish_status(self, status: GatewayStatus | None = None) -> bool:
        """Publish the retained status now; False (quietly) when not connected or lost."""
        try:
            await self.link.publish(
                status_topic(self.gateway_id),
                encode_status(status or self.status()),
                qos=1,
                retain=True,
            )
        except BrokerError:
            return False
        return True


async def _first_of(*aws: Coroutine[Any, Any, Any]) -> None:
    """Wait until the first of several coroutines finishes; cancel the rest."""
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
