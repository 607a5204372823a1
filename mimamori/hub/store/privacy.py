"""What the store does to keep only what is needed: purge old sightings, forget a
person, gather one person's records (types and the port; SQLite implements it in
``sqlite_privacy``). See docs/privacy.md."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

# Tables that hold secrets of a tag, as (table, tag column): forgetting a person
# deletes their tags' rows from each. Eddystone-EID identity keys (and what was
# learned of the tag's clock) live in eid_tags, by the registry's "eid:NAME".
TAG_KEY_TABLES: tuple[tuple[str, str], ...] = (("eid_tags", "tag_id"),)


@dataclass(frozen=True)
class ProtectedWindow:
    """Sightings of ``tags`` with a time in [since, until] are kept whatever their age."""

    tags: tuple[str, ...]
    since: datetime
    until: datetime
    why: str  # "alert:12", "search:s-3": for the report


@dataclass(frozen=True)
class PurgeReport:
    cutoff: datetime  # sightings before this were purged
    removed: dict[str, int]  # by event kind (what a dry run would remove)
    protected: int  # older than the cutoff, kept for an open alert or a search
    dry_run: bool = False

    @property
    def total(self) -> int:
        return sum(self.removed.values())


@dataclass(frozen=True)
class PersonScope:
    """Where one person's records are: their tags, and their homes.

    ``households`` and ``home_gateways`` are the homes whose check-ins are theirs: for
    forgetting, only homes where they live alone; for an export, every home of theirs.
    """

    person_id: str
    tags: tuple[str, ...]
    households: tuple[str, ...] = ()
    home_gateways: tuple[str, ...] = ()


@dataclass(frozen=True)
class ForgetReport:
    removed: dict[str, int] = field(default_factory=dict)  # "sightings.tag.seen": 120, ...
    blocked_tags: tuple[str, ...] = ()  # refused at ingest from now on
    dry_run: bool = False


@dataclass(frozen=True)
class ForgottenTag:
    tag: str
    person_id: str
    forgotten_at: datetime


class PrivacyStore(Protocol):
    async def purge_sightings(
        self,
        older_than: datetime,
        protected: Sequence[ProtectedWindow],
        *,
        dry_run: bool = False,
    ) -> PurgeReport:
        """Delete sightings older than ``older_than`` outside every protected window.

        Works in batches, each its own transaction, so ingest is never held up for long.
        """
        ...

    async def forget_person(
        self, scope: PersonScope, now: datetime, *, by: str, dry_run: bool = False
    ) -> ForgetReport:
        """Delete everything kept about one person (one transaction); block their tags.

        The audit log stays, and gains an entry for this. A dry run changes nothing.
        """
        ...

    async def person_records(self, scope: PersonScope) -> dict[str, list[dict[str, Any]]]:
        """Everything kept about one person, as JSON-ready lists (for an export)."""
        ...

    async def forgotten_tags(self) -> list[ForgottenTag]: ...

    async def release_forgotten_tags(self, holders: Mapping[str, str]) -> list[str]:
        """Unblock forgotten tags that ``holders`` (tag -> person id) gives to another
        person now (a tag handed on); returns them."""
        ...
