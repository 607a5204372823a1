"""What the store keeps about searches for a missing person (types and the port;
SQLite implements it in ``sqlite_searches``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

SearchState = Literal["active", "found", "cancelled", "expired"]
Outcome = Literal["found", "cancelled"]
ENDED: tuple[SearchState, ...] = ("found", "cancelled", "expired")


@dataclass(frozen=True)
class Search:
    id: str
    person_id: str
    state: SearchState
    started_by: str
    started_at: datetime
    expires_at: datetime
    ended_at: datetime | None = None
    ended_by: str | None = None
    note: str | None = None

    @property
    def active(self) -> bool:
        return self.state == "active"

    def window_end(self, now: datetime) -> datetime:
        """Sightings belong to the search until it ended (or now, while it runs)."""
        return self.ended_at or min(now, self.expires_at)


@dataclass(frozen=True)
class Participant:
    """Someone searching: who started or joined, and on whose behalf."""

    who: str  # the display name of the principal
    role: str
    family_id: str | None
    user_id: str | None
    joined_at: datetime


@dataclass(frozen=True)
class Share:
    """A read-only link to one search for police or volunteers (no account)."""

    id: int
    search_id: str
    label: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    views: int

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


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
