"""The register as the store keeps it: entries of each kind, written by one change at
a time (``hub/register/changes.py``), each with its version and an audit row.

The store knows each kind's tables (``store/sql_register.py``) but not its model: an
entry travels as its JSON (``Record.doc``) with the copies of the fields that lists
search and join on (``columns``) and its rows in the tables it owns (``links``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

_KATAKANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}


def hiragana(text: str) -> str:
    """Katakana made hiragana (ヒガ -> ひが): readings are kept and searched so, as
    people write them either way."""
    return text.translate(_KATAKANA)


class Entity(StrEnum):
    """The kinds of register entry, in the order a whole register is written (each
    names only kinds before it, but families, which name people)."""

    AREA = "area"
    CONTACT = "contact"
    POLICY = "policy"
    WATCH_POINT = "watch_point"
    HOUSEHOLD = "household"
    PERSON = "person"
    FAMILY = "family"


@dataclass(frozen=True)
class Record:
    """One entry as it is written: ``doc`` is its JSON (the whole entry; a contact's
    channels masked), ``columns`` the fields lists search and join on, ``links`` its
    rows in the tables it owns (a person's tags, consents, contacts in order...), and
    ``secret`` a contact's channel URLs as JSON (None: keep those on record)."""

    doc: str
    columns: Mapping[str, object]
    links: Mapping[str, Sequence[tuple[object, ...]]] = field(default_factory=dict)
    secret: str | None = None


@dataclass(frozen=True)
class RegisterWrite:
    """One row of the register to write. ``expected`` is the version the writer read
    (None: the entry must not exist yet); a row that moved on since refuses the whole
    change (StaleVersion). ``record`` None removes the entry."""

    entity: Entity
    id: str
    action: str  # "add", "update", "remove", "consent.record", ... for the audit
    expected: int | None
    record: Record | None


@dataclass(frozen=True)
class Actor:
    """Who changes the register, for the audit: an account (``who``) with its role,
    through the desk, the API, a command or the import (``via``)."""

    who: str
    role: str
    via: str


@dataclass(frozen=True)
class StoredEntry:
    entity: Entity
    id: str
    version: int
    doc: str  # the entry's JSON, as written (never a secret)


@dataclass(frozen=True)
class RegisterSnapshot:
    """Every entry at one register version."""

    version: int
    entries: Mapping[Entity, Sequence[StoredEntry]]


@dataclass(frozen=True)
class RegisterAuditEntry:
    id: int
    at: datetime
    who: str
    role: str
    via: str
    action: str
    entity: Entity
    entity_id: str
    before: str | None  # the entry's JSON before the change (None: it was new)
    after: str | None  # ... and after (None: removed); both None once forgotten
    register_version: int


@dataclass(frozen=True)
class PeopleQuery:
    """A list of people: each field given narrows it. ``text`` is the start of a name
    or of a reading (in either kana). Sorted by reading."""

    areas: tuple[str, ...] | None = None  # None: every area
    text: str | None = None
    household: str | None = None
    tag: str | None = None
    review_by: date | None = None  # a yearly review due on or before this day
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True)
class PersonRow:
    """One line of a list of people."""

    id: str
    area: str
    name: str
    reading: str
    household: str | None
    review_on: date | None
    version: int
