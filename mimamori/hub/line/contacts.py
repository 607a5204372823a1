"""Who a LINE user can be bound to: the register's recipients (contacts), by id.

The register is moving from the hub's YAML into the database (issue 14); LINE needs
only this much of it, behind this port, so the move changes one adapter: a binding
names the recipient by its id, a plain string, and outlives where the register is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from mimamori.hub.register.schema import Recipient


@dataclass(frozen=True)
class Contact:
    id: str
    name: str
    lang: str  # "ja" | "en": the language of what the hub says to them


class Contacts(Protocol):
    async def contact(self, recipient_id: str) -> Contact | None: ...

    async def names(self) -> dict[str, str]:
        """Every recipient's name by id."""
        ...


class RegisterContacts:
    """The recipients of the register as the hub holds it today (the YAML's)."""

    def __init__(self, recipients: Sequence[Recipient]) -> None:
        self._by_id = {r.id: Contact(r.id, r.name, r.lang) for r in recipients}

    async def contact(self, recipient_id: str) -> Contact | None:
        return self._by_id.get(recipient_id)

    async def names(self) -> dict[str, str]:
        return {c.id: c.name for c in self._by_id.values()}
