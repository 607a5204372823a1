"""The port the watch-point watches need beyond events and gateways: open alerts by
subject, the gateways' last statuses, and what the hub learned of each receiver's
hearing, and what the fleet page reads (``sql_watchpoints`` implements it on both
engines)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from mimamori.hub.model.fleet import FleetFacts, RateBucket
from mimamori.protocol.status import GatewayStatus


class WatchPointStore(Protocol):
    async def open_alert_subjects(self, kind: str) -> set[str]:
        """The subjects of the alerts of ``kind`` that are not resolved."""
        ...

    async def online_statuses(self, gateway_ids: Sequence[str]) -> dict[str, GatewayStatus]:
        """The last status of each of these gateways that is online now."""
        ...

    async def receiver_hearings(self) -> dict[tuple[str, str], str]:
        """What was learned of each receiver, by (gateway, receiver): its JSON
        (``alerts/hearing.py`` ``Hearing``)."""
        ...

    async def swap_receiver_hearing(
        self,
        gateway_id: str,
        receiver_id: str,
        seen: str | None,
        new: str,
        taken: RateBucket | None = None,
    ) -> bool:
        """Compare and set: write ``new`` if the receiver's record is still ``seen``
        (None: none yet); False when another hub worker wrote it first. With it, in
        the same transaction, ``taken`` (the new minutes) is added to its quarter hour's
        rate: each minute counts once, whichever worker took it in."""
        ...

    async def prune_receiver_rates(self, older_than: datetime) -> int:
        """Delete the receivers' quarter hours before ``older_than`` (how many went)."""
        ...

    async def fleet_facts(self, starts_since: datetime, rates_since: datetime) -> FleetFacts:
        """Every gateway's row, since when each is online or offline, how often each
        came online since ``starts_since``, the open alerts about gateways and their
        receivers, and each receiver's quarter hours since ``rates_since``: one query
        each, for the whole town (the fleet page)."""
        ...
