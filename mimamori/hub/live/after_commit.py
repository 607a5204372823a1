"""One step after every commit of new events, wherever they came from.

The hub commits new events in two places: ingest (a gateway's message, ``ingest/``)
and the route that takes a peer hub's sightings of one of our searches
(``api/federation.py``). After either, the same follows: the live pages hear of the
new sightings (``LiveHub``; with several workers the other workers' pages hear through
their follower, ``follow.py``), and the loops that read new events are woken (the
alert engine: an SOS, a search's participants to tell). Built once, at the
composition root (``server/compose.py``), and handed to both.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from mimamori.hub.live.fanout import LiveHub
from mimamori.hub.model.events import StoredEvent

log = logging.getLogger(__name__)


class AfterCommit:
    def __init__(self, live: LiveHub, wake: Sequence[asyncio.Event] = ()) -> None:
        self.live = live
        self._wake = tuple(wake)
        self.failures = 0

    def __call__(self, events: list[StoredEvent]) -> None:
        """Hand on ``events``, just committed. Never raises: the commit is done, and
        nothing that follows may undo or stop the one who made it."""
        if not events:
            return
        try:
            self.live.publish(events)
        except Exception:  # the live view must never stop ingest or fail a peer's call
            self.failures += 1
            log.exception("live fan-out of %d new event(s) failed", len(events))
        for wake in self._wake:
            wake.set()
