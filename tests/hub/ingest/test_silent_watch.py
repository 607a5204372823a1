"""The watch for silent gateways judges silence by the hub's clock (here 2031, years from
the wall clock: a watch that read ``datetime.now()`` would never find anyone silent)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from mimamori.hub.ingest.silent import MISSED, watch_gateways
from mimamori.hub.model.events import DEFAULT_STATUS_INTERVAL_S
from mimamori.hub.store.sql_store import SqlStore
from mimamori.protocol import GatewayStatus
from tests.hub.helpers import HubClock, until

MS = timedelta(milliseconds=1)


async def test_a_gateway_goes_offline_when_the_hubs_clock_passes_its_missed_statuses(
    store: SqlStore, caplog: pytest.LogCaptureFixture
) -> None:
    clock = HubClock()
    await store.ingest([], [GatewayStatus(gw="gw-a", state="online", ts=clock())], clock())
    quiet = timedelta(seconds=MISSED * DEFAULT_STATUS_INTERVAL_S)

    async def offline() -> bool:
        [state] = await store.gateway_states()
        return state.online is False

    with caplog.at_level(logging.WARNING, logger="mimamori.hub.ingest.silent"):
        watching = asyncio.create_task(watch_gateways(store, clock, every_s=0.01))
        try:
            clock.advance(quiet + MS)  # one status interval too many, by the hub's clock
            await until(offline)
        finally:
            watching.cancel()
            await asyncio.gather(watching, return_exceptions=True)
    assert "gateway gw-a silent for 180 s: marked offline" in caplog.text
