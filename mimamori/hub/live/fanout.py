"""Live fan-out: new tag events, as they are committed, to the pages watching.

``publish`` is called by ingest right after a commit and never blocks it: each
subscriber has a small queue; a subscriber that falls behind is closed (its
browser reconnects and reloads the current position), not waited for.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

from mimamori.hub.model.events import Sighting, StoredEvent
from mimamori.hub.people.whereabouts import LiveSighting, location, trail_point
from mimamori.hub.register.registry import Registry
from mimamori.protocol.events import TAG_KINDS, TagData

log = logging.getLogger(__name__)

QUEUE_MAX = 100
_CLOSED = None


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
