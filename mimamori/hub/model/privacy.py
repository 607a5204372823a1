"""What the hub keeps of a person and how long: consent, retention, forgetting."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

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
    # What left the register: entries by kind ("person": 1, "household": 1...), each
    # as (kind, id); and how many of its audit rows lost their data.
    register: tuple[tuple[str, str], ...] = ()
    audit_emptied: int = 0


@dataclass(frozen=True)
class ForgottenTag:
    tag: str
    person_id: str
    forgotten_at: datetime
