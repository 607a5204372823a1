"""Several hub workers: the sightings the other workers stored, to this one's live pages.

Each worker hands what it stored to its own ``LiveHub`` at once (``after_commit.py``),
but a family's browser may be served by any worker. So a worker among several also
follows the events table (by ``seqno``, every ``EVERY_S``) and hands on every event
it finds: another worker's sighting reaches this worker's live pages within about
that. Its own are in the table too; the fan-out drops those it delivered already,
whichever of the two hand-ons came first.
"""

from __future__ import annotations

import asyncio
import logging

from mimamori.errors import StoreError
from mimamori.hub.live.fanout import LiveHub
from mimamori.hub.store.port import Store

log = logging.getLogger(__name__)

EVERY_S = 0.5
BATCH = 10_000


class LiveFollower:
    def __init__(self, store: Store, live: LiveHub) -> None:
        self.store = store
        self.live = live

    async def step(self, cursor: int) -> int:
        """Hand on the events after ``cursor``; the new cursor."""
        while True:
            cursor, events = await self.store.events_after(cursor, BATCH)
            if events:
                self.live.publish(events)
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
