"""The port of the town's register: entries by kind, one change per transaction with
its audit, the register's version, and the lists the desk searches
(``sql_register`` implements it on both engines)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from mimamori.hub.model.register import (
    Actor,
    Entity,
    PeopleQuery,
    PersonRow,
    RegisterAuditEntry,
    RegisterSnapshot,
    RegisterWrite,
    StoredEntry,
)


class RegisterStore(Protocol):
    async def register_version(self) -> int:
        """How many changes the register has had: it moves with every one."""
        ...

    async def write_register(
        self, writes: Sequence[RegisterWrite], *, actor: Actor, at: datetime
    ) -> int:
        """Write one change (its rows in order) in one transaction, each row with an
        audit row; the register's new version. StaleVersion when a row is not at the
        version its write names; StoreConflict when a key is taken (a tag, a home
        gateway) or a row is still named by another; nothing is written then."""
        ...

    async def register_entries(
        self, entity: Entity, ids: Sequence[str] | None = None
    ) -> list[StoredEntry]: ...

    async def register_changed(self, after: int, upto: int) -> list[tuple[Entity, str]]:
        """The entries changed after register version ``after`` up to ``upto`` (read
        from the audit: what a worker that has ``after`` must read again)."""
        ...

    async def register_snapshot(self) -> RegisterSnapshot:
        """Every entry, all at one version."""
        ...

    async def register_naming(self, entry_id: str, entities: Sequence[Entity]) -> list[StoredEntry]:
        """Entries of these kinds that may name ``entry_id`` in their JSON."""
        ...

    async def tag_holders(self, tags: Sequence[str]) -> dict[str, str]: ...

    async def gateway_homes(self, gateways: Sequence[str]) -> dict[str, str]: ...

    async def contact_channels(self, contact_id: str) -> list[str] | None:
        """A contact's channel URLs, secrets: for delivery alone, never for display."""
        ...

    async def find_people(self, query: PeopleQuery) -> list[PersonRow]: ...

    async def count_people(self, query: PeopleQuery) -> int: ...

    async def register_audit_log(
        self,
        *,
        entity: Entity | None = None,
        entity_id: str | None = None,
        after_version: int = 0,
        limit: int = 100,
        before_id: int | None = None,
    ) -> list[RegisterAuditEntry]: ...
