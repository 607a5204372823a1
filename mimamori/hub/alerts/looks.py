"""A watch that looks now and then: the loop of every technician's watch (watch points,
deaf receivers, gateway health), written once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from mimamori.errors import StoreError

log = logging.getLogger(__name__)


async def look_every(every_s: float, look: Callable[[], Awaitable[object]], what: str) -> None:
    """Run ``look`` after each pause of ``every_s`` until cancelled. The pause is not a
    time: each look reads the hub's clock. A database that fails is said and tried
    again at the next look; anything else ends the loop for its supervisor to restart."""
    while True:
        await asyncio.sleep(every_s)
        try:
            await look()
        except StoreError as exc:
            log.warning("%s: the database failed, trying again: %s", what, exc)
