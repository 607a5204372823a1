"""The port of events: storing them as gateways send them (once each, by id), and
reading them back by tag, by gateway, or in the order they were stored
(``sql_store`` implements it on both engines)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from mimamori.hub.model.events import IngestResult, Sighting, StoredEvent
from mimamori.protocol.events import Event
from mimamori.protocol.status import GatewayStatus


class EventStore(Protocol):
    async def ingest(
        self,
        events: Sequence[tuple[str, Event]],
        statuses: Sequence[GatewayStatus],
        received_at: datetime,
        *,
        device_times: Mapping[str, datetime] | None = None,
    ) -> IngestResult:
        """Store events (idempotently, by id) and statuses in one committed transaction.

        An event's ``ts`` is the hub's time for it (``hub/model/clock.py``); where the gateway
        said another, ``device_times`` (by event id) keeps it as evidence. A status is
        stamped with ``received_at``: the hub's clock decides when a gateway went quiet.
        Sightings of forgotten tags are refused (counted in ``forgotten``)."""
        ...

    async def last_sighting(self, tags: Sequence[str]) -> Sighting | None: ...

    async def sightings(
        self, tags: Sequence[str], since: datetime, until: datetime, limit: int
    ) -> list[Sighting]:
        """Sightings of ``tags`` in [since, until], oldest first, at most ``limit``
        (the newest ones when there are more)."""
        ...

    async def events_of(
        self, gateway_ids: Sequence[str], kinds: Sequence[str], since: datetime, until: datetime
    ) -> list[StoredEvent]:
        """Events of these gateways and kinds with ``ts`` in [since, until], oldest first."""
        ...

    async def last_event_of(
        self, gateway_ids: Sequence[str], kinds: Sequence[str]
    ) -> StoredEvent | None: ...

    async def last_seqno(self) -> int:
        """The ``seqno`` of the newest event (0: none)."""
        ...

    async def events_after(self, seqno: int, limit: int) -> tuple[int, list[StoredEvent]]:
        """Events after ``seqno``, oldest first, at most ``limit``; and the last one's
        ``seqno`` (``seqno`` itself when there are none)."""
        ...
