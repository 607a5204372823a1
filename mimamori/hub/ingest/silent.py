"""Gateways that stop talking: offline even when no last will arrives.

The broker publishes a gateway's last will when its connection dies, but not when
the broker itself restarted meanwhile or the will was lost with it. So the hub also
watches the statuses: an online gateway that missed ``MISSED`` refreshes in a row is
marked offline, which records ``gateway.offline`` (reason ``silent``) — for a home
gateway, the power-cut signal.
"""

from __future__ import annotations

import asyncio
import logging

from mimamori.errors import StoreError
from mimamori.hub.model.clock import Clock
from mimamori.hub.model.events import OfflineData
from mimamori.hub.store.port import Store

log = logging.getLogger(__name__)

EVERY_S = 10.0
MISSED = 3  # a status every 60 s by default: offline after 3 minutes of silence


async def watch_gateways(
    store: Store, clock: Clock, every_s: float = EVERY_S, missed: int = MISSED
) -> None:
    """Every ``every_s`` (a pause, not a time: monotonic), mark the gateways that are
    silent by the hub's ``clock``."""
    while True:
        await asyncio.sleep(every_s)
        try:
            events = await store.mark_silent_gateways(clock(), missed)
        except StoreError as exc:
            log.warning("cannot check for silent gateways: %s", exc)
            continue
        for event in events:
            log.warning(
                "gateway %s silent for %s s: marked offline",
                event.gateway_id,
                event.data_as(OfflineData).silent_s,
            )
