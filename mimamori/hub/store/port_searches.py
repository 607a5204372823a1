"""The port of searches for a missing person (``sql_searches`` implements it on both
engines)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from mimamori.hub.model.searches import Participant, Search, SearchState, Share


class SearchStore(Protocol):
    async def add_search(self, search: Search, starter: Participant) -> None:
        """A new active search with its first participant; StoreError if the person
        already has an active one."""
        ...

    async def search(self, search_id: str) -> Search | None: ...

    async def searches(
        self, person_ids: Sequence[str] | None, active_only: bool, limit: int = 200
    ) -> list[Search]:
        """Newest first; ``person_ids`` None: everyone's."""
        ...

    async def end_search(
        self, search_id: str, state: SearchState, by: str, note: str, now: datetime
    ) -> Search | None:
        """End an active search; None when it was not active."""
        ...

    async def expire_searches(self, now: datetime) -> list[Search]:
        """Active searches whose time ran out become ``expired``; returns them."""
        ...

    async def unpublished_searches(self) -> list[Search]:
        """Searches whose state the gateways have not been told yet."""
        ...

    async def mark_published(self, search_id: str, state: SearchState) -> None: ...

    async def join_search(self, search_id: str, participant: Participant) -> None: ...

    async def participants(self, search_id: str) -> list[Participant]: ...

    async def add_share(
        self,
        search_id: str,
        token_hash: str,
        *,
        label: str,
        created_by: str,
        now: datetime,
        expires_at: datetime,
    ) -> Share: ...

    async def shares(self, search_id: str) -> list[Share]: ...

    async def share_view(
        self, token_hash: str, now: datetime, *, count: bool = True
    ) -> tuple[Share, Search] | None:
        """The share and its search, counting a view (``count``) when it is usable."""
        ...

    async def revoke_share(
        self, search_id: str, share_id: int, by: str, now: datetime
    ) -> Share | None: ...
