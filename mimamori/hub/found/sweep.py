"""Forgetting closed found threads (issue 18; docs/privacy.md): the finder's messages
and position are deleted ``privacy.found_messages_days`` after the family marked the
person safe. The report itself (when, which sticker) stays for the town's figures.
The SOS network's details go the same number of days after their search ended:
partners' 「見かけた」 notes and positions, the clothing the family described."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Protocol

from mimamori.errors import StoreError
from mimamori.hub.config import PrivacySettings
from mimamori.hub.model.clock import Clock
from mimamori.hub.store.port_found import FoundStore
from mimamori.hub.store.port_sos import SosStore

log = logging.getLogger(__name__)

EVERY_S = 3600.0  # a day's precision is what the setting promises; hourly is plenty


class SweptStore(FoundStore, SosStore, Protocol):
    pass


async def sweep(store: SweptStore, settings: PrivacySettings, clock: Clock) -> int:
    before = clock() - timedelta(days=settings.found_messages_days)
    gone = await store.forget_found_messages(before)
    if gone:
        log.info("found threads: %d message(s) deleted (safe before %s)", gone, before)
    taps = await store.forget_bulletin_details(before)  # the SOS network's, alike
    if taps:
        log.info("bulletins: %d sighting(s) deleted (searches ended before %s)", taps, before)
    return gone + taps


async def run_sweep(store: SweptStore, settings: PrivacySettings, clock: Clock) -> None:
    while True:
        try:
            await sweep(store, settings, clock)
        except StoreError as exc:
            log.warning("found threads: the sweep failed (%s); trying again", exc)
        await asyncio.sleep(EVERY_S)
