"""Searches for a missing person, their shares and sightings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

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
