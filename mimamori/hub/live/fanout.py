"""Live fan-out: new tag events, as they are committed, to the pages watching.

``publish`` is called right after a commit (``after_commit.py``) and never blocks it:
each subscriber has a small queue; a subscriber that falls behind is closed (its
browser reconnects and reloads the current position), not waited for.

Each sighting reaches a page once. A worker among several is handed its own commits
twice, in either order: by the task that made them and by the follower reading the
events table for the other workers' (``follow.py``). So the fan-out remembers what it
delivered lately and drops a second hand-on of it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

from mimamori.hub.model.events import Sighting, StoredEvent
from mimamori.hub.people.whereabouts import LiveSighting, location, trail_point
from mimamori.hub.register.registry import Registry
from mimamori.protocol.events import TAG_KINDS, TagData

log = logging.getLogger(__name__)

QUEUE_MAX = 100
_CLOSED = None
# The two hand-ons of one commit come within seconds (the follower looks every 0.5 s),
# and only sightings someone is watching are remembered: a person near a gateway is
# reported once a minute (the edge's report_interval_s), so even a hundred open pages
# bring a few a second. 10,000 ids (about 1 MB) cover far longer than the follower lags.
DELIVERED_KEPT = 10_000


class Subscription:
    def __init__(self, person_id: str) -> None:
        self.person_id = person_id
        self.queue: asyncio.Queue[LiveSighting | None] = asyncio.Queue(QUEUE_MAX + 1)
        self.closed = False

    def offer(self, item: LiveSighting) -> None:
        if self.closed:
            return
        if self.queue.qsize() >= QUEUE_MAX:
            self.closed = True
            self.queue.put_nowait(_CLOSED)  # the one slot kept for this
            log.info("a live viewer of %s fell behind; closing its stream", self.person_id)
            return
        self.queue.put_nowait(item)

    async def __aiter__(self) -> AsyncIterator[LiveSighting]:
        while True:
            item = await self.queue.get()
            if item is None:
                return
            yield item


class LiveHub:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._subscribers: dict[str, set[Subscription]] = {}
        self.failures = 0
        self._delivered: set[str] = set()
        self._delivered_order: deque[str] = deque()

    @contextmanager
    def subscribe(self, person_id: str) -> Iterator[Subscription]:
        sub = Subscription(person_id)
        self._subscribers.setdefault(person_id, set()).add(sub)
        try:
            yield sub
        finally:
            subs = self._subscribers.get(person_id)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subscribers[person_id]

    def viewers(self, person_id: str) -> int:
        return len(self._subscribers.get(person_id, ()))

    def publish(self, events: list[StoredEvent]) -> None:
        for event in events:
            if event.kind not in TAG_KINDS:
                continue
            try:
                self._publish(event)
            except Exception:  # one odd event must not cost the others their viewers
                self.failures += 1
                log.exception("live fan-out of event %s failed", event.id)

    def _publish(self, event: StoredEvent) -> None:
        data = event.data_as(TagData)
        person_id = self.registry.person_of_tag.get(data.tag)
        if person_id is None or person_id not in self._subscribers:
            return
        if event.id in self._delivered:
            return  # handed on before: by the follower, or by the task that stored it
        self._delivered.add(event.id)
        self._delivered_order.append(event.id)
        if len(self._delivered_order) > DELIVERED_KEPT:
            self._delivered.discard(self._delivered_order.popleft())
        sighting = Sighting(
            event.id,
            event.gateway_id,
            data.tag,
            event.kind,
            event.ts,
            data.rssi,
            last_seen=data.last_seen,
        )
        item = LiveSighting(
            location=location(self.registry, person_id, sighting),
            point=trail_point(self.registry, sighting),
        )
        for sub in list(self._subscribers[person_id]):
            sub.offer(item)
