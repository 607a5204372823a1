"""Who a LINE user can be bound to: the register's contacts (recipients), by id.

LINE needs only this much of the register, behind this port: a binding names the
contact by its id, a plain string, so it outlives any change of how the register is
kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from mimamori.hub.alerts.responses import handling_timeout
from mimamori.hub.model.alerts import Alert
from mimamori.hub.register.registry import Registry


@dataclass(frozen=True)
class Contact:
    id: str
    name: str
    lang: str  # "ja" | "en": the language of what the hub says to them
    family: str | None = None  # the family they belong to: what a sign-in link shows


class Contacts(Protocol):
    async def contact(self, recipient_id: str) -> Contact | None: ...

    async def names(self) -> dict[str, str]:
        """Every contact's name by id."""
        ...

    def handling(self, alert: Alert) -> timedelta:
        """How long 対応します pauses ``alert``: its policy's, as on the one-tap page."""
        ...


class RegisterContacts:
    """The contacts of the registry as it stands (reloaded in place as the register
    changes: each lookup reads it now)."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    async def contact(self, recipient_id: str) -> Contact | None:
        found = self._registry.recipients.get(recipient_id)
        return Contact(found.id, found.name, found.lang, found.family) if found else None

    async def names(self) -> dict[str, str]:
        return {r.id: r.name for r in self._registry.recipients.values()}

    def handling(self, alert: Alert) -> timedelta:
        return handling_timeout(self._registry, alert)
