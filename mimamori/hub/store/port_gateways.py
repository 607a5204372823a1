"""The port of gateways as the hub sees them: their state and household block, the
silent ones, their clocks (``sql_gateways`` and ``sql_store`` implement it on both
engines)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from mimamori.hub.model.events import GatewayClock, GatewayState, StoredEvent
from mimamori.protocol.status import HouseholdStatus


class GatewayStore(Protocol):
    async def gateway_clocks(self) -> dict[str, GatewayClock]: ...

    async def set_gateway_clocks(
        self, clocks: Mapping[str, GatewayClock], at: datetime
    ) -> list[StoredEvent]:
        """Record each gateway's clock offset; a gateway whose clock turns wrong (or
        right again) gets a ``gateway.clock_wrong`` (``clock_ok``) event, once even
        when several workers see it."""
        ...

    async def gateway_states(self) -> list[GatewayState]: ...

    async def mark_silent_gateways(self, now: datetime, missed: int) -> list[StoredEvent]:
        """Online gateways whose status is older than ``missed`` of their refresh
        intervals go offline; returns the ``gateway.offline`` events recorded."""
        ...

    async def household_statuses(self, gateway_ids: Sequence[str]) -> list[HouseholdStatus]:
        """The last household block each of these gateways reported."""
        ...
