"""The port of searches across town borders (``sql_federation`` implements it on
both engines)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from mimamori.hub.model.events import StoredEvent
    from mimamori.hub.model.searches import Search
from mimamori.hub.model.federation import ForeignSearch, PeerGateway


class FederationStore(Protocol):
    async def relays_due(self, peers: Sequence[str]) -> list[tuple[Search, str]]:
        """(search, peer) pairs whose peer does not know the search's current state."""
        ...

    async def mark_relayed(self, search_id: str, peer: str, told: str) -> None: ...

    async def put_foreign_search(self, search: ForeignSearch, longest: timedelta) -> None:
        """Insert, or update the tags, end and state of, a relayed search; an update
        never takes its end past ``longest`` after the start first stored, nor brings
        an ended search back."""
        ...

    async def foreign_searches(self, active_only: bool) -> list[ForeignSearch]: ...

    async def expire_foreign_searches(self, now: datetime) -> list[ForeignSearch]: ...

    async def unpublished_foreign_searches(self) -> list[ForeignSearch]: ...

    async def mark_foreign_published(self, search_id: str, state: str) -> None: ...

    async def sightings_to_relay(
        self, search: ForeignSearch, limit: int
    ) -> tuple[list[StoredEvent], int]:
        """Our tag events of the searched tags in its window, after ``relayed_rowid``;
        and the last rowid looked at."""
        ...

    async def mark_foreign_relayed(self, search_id: str, rowid: int) -> None: ...

    async def add_peer_gateways(self, gateways: Sequence[PeerGateway]) -> None: ...

    async def peer_gateways(self) -> list[PeerGateway]: ...

    async def first_use_of_nonce(
        self, peer: str, nonce: str, sent_at: datetime, forget_before: datetime
    ) -> bool:
        """Record the nonce of a peer's signed request; False if that peer used it
        already. Nonces sent before ``forget_before`` are purged on the way."""
        ...
