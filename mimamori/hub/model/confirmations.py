"""Contacts told they are registered (issue 14; seed 004: relatives and a welfare
office that did not know they were someone's contacts): what the hub asked each
contact, and whether they confirmed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Confirmation:
    """The last request sent to a contact: for whom (the people it named), at which
    version of the contact, by whom, and when (if) the contact confirmed it."""

    contact_id: str
    people: tuple[str, ...]
    contact_version: int
    asked_at: datetime
    asked_by: str
    confirmed_at: datetime | None

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


@dataclass(frozen=True)
class Ask:
    """A request to write: a new token (its hash) for the contact, replacing any
    earlier one (whose link then stops working)."""

    contact_id: str
    token_hash: str
    people: tuple[str, ...]
    contact_version: int
    asked_by: str


@dataclass(frozen=True)
class RegisterChange:
    """One row of the register's audit, as the confirmations follow it."""

    register_version: int
    via: str
    who: str
    entity: str
    entity_id: str
    action: str
    before: str | None
    after: str | None
