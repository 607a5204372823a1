"""The uplink: events from the outbox to the broker, and the retained status.

Batches go out in sequence order on one connection, at most ``window`` of them
unacknowledged at a time (paho's message ids wrap at 65,535, and an unbounded
burst into one client was seen to lose messages). A batch leaves the outbox only
when its PUBACK arrives. When the connection drops, everything not acknowledged
is simply read again from the outbox after the reconnect: the hub stores by
event id, so a batch that did arrive before the drop is a harmless duplicate.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from ..errors import BrokerError
from ..link import MqttLink
from ..protocol.codec import encode_event_bodies, encode_status
from ..protocol.status import GatewayStatus
from ..protocol.topics import events_topic, status_topic
from .clock import Clock, SystemClock
from .outbox import Outbox

log = logging.getLogger(__name__)

# Stays below paho's default in-flight limit of 20, so paho never queues for us.
WINDOW = 16


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
    ) -> None:
        self.gateway_id = gateway_id
        self.link = link
        self.outbox = outbox
        self.status = status
        self.batch_size = batch_size
        self.window = window
        self.clock = clock or SystemClock()
        self.counters = {"batches_sent": 0, "events_sent": 0}

    async def run(self) -> None:
        """Drain the outbox whenever connected, until cancelled."""
        while True:
            await self.link.connected.wait()
            try:
                async with asyncio.TaskGroup() as tg:
                    await self._drain(tg)
            except* BrokerError as group:
                log.debug("uplink paused: %s", group.exceptions[0])
            # Every send has ended: what was not acknowledged waits in the outbox again.
            self.outbox.rewind()
            await self.link.disconnected.wait()

    async def _drain(self, tg: asyncio.TaskGroup) -> None:
        slots = asyncio.Semaphore(self.window)
        cursor = 0
        while self.link.connected.is_set():
            await slots.acquire()
            self.outbox.changed.clear()
            pending = await self.outbox.peek(cursor, self.batch_size)
            if not pending:
                slots.release()
                await _first_of(self.outbox.changed.wait(), self.link.disconnected.wait())
                continue
            cursor = pending[-1].seq
            # "sent": our clock now, for the hub to see how far off it is (protocol.md).
            bodies = [p.body for p in pending]
            payload = encode_event_bodies(self.gateway_id, bodies, sent=self.clock.now())
            tg.create_task(
                self._send(slots, payload, pending[0].seq, pending[-1].seq, len(pending)),
                name=f"uplink-batch-{pending[0].seq}",
            )
            # Let the send start now, so batches hit the wire in sequence order.
            await asyncio.sleep(0)
        raise BrokerError("disconnected")

    async def _send(
        self, slots: asyncio.Semaphore, payload: bytes, first: int, last: int, n: int
    ) -> None:
        try:
            await self.link.publish(events_topic(self.gateway_id), payload, qos=1)
            await self.outbox.remove(first, last)
            self.counters["batches_sent"] += 1
            self.counters["events_sent"] += n
        finally:
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
