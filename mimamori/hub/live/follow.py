"""Several hub workers: the sightings the other workers stored, to this one's live pages.

Each worker's ingest hands what it stored to its own ``LiveHub`` at once, but a family's
browser may be served by any worker. So a worker among several also follows the events
table (by ``seqno``, every ``EVERY_S``) and passes on the events it did not store
itself: another worker's sighting reaches this worker's live pages within about that.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from mimamori.errors import StoreError
from mimamori.hub.live.fanout import LiveHub
from mimamori.hub.model.events import StoredEvent
from mimamori.hub.store.port import Store

log = logging.getLogger(__name__)

EVERY_S = 0.5
BATCH = 10_000
OWN_KEPT = 200_000  # ids stored here, remembered so they are not passed on twice


class LiveFollower:
    def __init__(self, store: Store, live: LiveHub) -> None:
        self.store = store
        self.live = live
        self._own: set[str] = set()
        self._order: deque[str] = deque()

    def stored_here(self, events: list[StoredEvent]) -> None:
        """Ingest of this worker published these already."""
        for event in events:
            self._own.add(event.id)
            self._order.append(event.id)
        while len(self._order) > OWN_KEPT:
            self._own.discard(self._order.popleft())

    async def step(self, cursor: int) -> int:
        """Pass on the events after ``cursor`` stored by others; the new cursor."""
        while True:
            cursor, events = await self.store.events_after(cursor, BATCH)
            others = [e for e in events if e.id not in self._own]
            if others:
                self.live.publish(others)
            if len(events) < BATCH:
                return cursor

    async def run(self) -> None:
        cursor: int | None = None
        failing = False
        while True:
            try:
                if cursor is None:
                    cursor = await self.store.last_seqno()  # live from now on
                cursor = await self.step(cursor)
                if failing:
                    log.info("following the other workers' events again")
                failing = False
            except StoreError as exc:
                if not failing:
                    log.warning("cannot follow the other workers' events: %s", exc)
                failing = True
            await asyncio.sleep(EVERY_S)
