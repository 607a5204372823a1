"""Gateways' clocks as ingest finds them: how far each is off, and when one turns wrong.

Ingest measures an offset from each batch's ``sent`` and each live status's ``ts``
(``clock.clock_offset``). This keeps the last known state of every gateway in memory
and asks the store to record a gateway only when its clock turns wrong or right
again, or its offset moved by more than ``RECORD_STEP``: a town's gateways send a
status a minute, and that must not become a write a minute each.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from mimamori.hub.model.clock import clock_is_wrong
from mimamori.hub.model.events import ClockData, GatewayClock, StoredEvent
from mimamori.hub.store.port import Store

log = logging.getLogger(__name__)

RECORD_STEP = timedelta(seconds=10)


class ClockWatch:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._known: dict[str, GatewayClock] | None = None
        self._pending: dict[str, GatewayClock] = {}

    def observe(self, gateway_id: str, offset: timedelta) -> None:
        """An offset measured now; recorded by the next ``flush`` if it matters."""
        known = (self._known or {}).get(gateway_id) or self._pending.get(gateway_id)
        was_wrong = known.wrong if known else False
        now = GatewayClock(round(offset.total_seconds() * 1000), clock_is_wrong(offset, was_wrong))
        if (
            known is None
            or known.wrong != now.wrong
            or abs(known.offset_ms - now.offset_ms) > RECORD_STEP.total_seconds() * 1000
        ):
            self._pending[gateway_id] = now

    async def flush(self, at: datetime) -> list[StoredEvent]:
        """Record what changed; the ``gateway.clock_*`` events the store recorded."""
        if self._known is None:
            self._known = await self.store.gateway_clocks()
            # What was measured before the first read is judged again against it.
            pending, self._pending = self._pending, {}
            for gateway_id, clock in pending.items():
                self.observe(gateway_id, timedelta(milliseconds=clock.offset_ms))
        if not self._pending:
            return []
        pending, self._pending = self._pending, {}
        try:
            events = await self.store.set_gateway_clocks(pending, at)
        except BaseException:
            self._pending = {**pending, **self._pending}  # tried again next time
            raise
        self._known.update(pending)
        for event in events:
            log.warning(
                "gateway %s: clock %s (off by %s s)",
                event.gateway_id,
                "wrong" if event.kind.endswith("wrong") else "right again",
                event.data_as(ClockData).offset_s,
            )
        return events
