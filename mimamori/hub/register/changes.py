"""One way to change the register: a function per change, each validating its entry
(the models of ``schema.py``, on the hub's clock), checking what it names
(``checks.py``), and writing it in one transaction with one audit row (who, when on
the hub's clock, what, the entry before and after) while the register's version
moves. A change names the version of the entry it read; if the entry moved on since,
it is refused (StaleVersion) and nothing is written. So are changes whose entry is not
valid (ChangeRefused, each field and why, in Japanese and English).

The desk's pages and API, the YAML import and the commands all change the register
through here; ``changed`` (the registry's reload, ``reload.py``) follows every commit
in this process, so the caller's next read shows it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from mimamori.errors import ChangeRefused, FieldProblem
from mimamori.hub.model.clock import Clock
from mimamori.hub.model.register import Actor, Entity, RegisterWrite
from mimamori.hub.register.checks import Known, reference_problems, removal_problems
from mimamori.hub.register.problems import field_problems
from mimamori.hub.register.records import ENTRY_MODELS, entry_of, record_of
from mimamori.hub.register.schema import (
    READ_AT,
    AreaEntry,
    ConsentRecord,
    ContactEntry,
    FamilyEntry,
    GatewayEntry,
    HouseholdEntry,
    PersonEntry,
    Policy,
    Purpose,
)
from mimamori.hub.store.port_register import RegisterStore

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
Data = BaseModel | Mapping[str, Any]


@dataclass(frozen=True)
class Changed:
    """A change that was written: the entry's new version (None: removed) and the
    register's."""

    entity: Entity
    id: str
    version: int | None
    register_version: int


def _refused(field: str, ja: str, en: str) -> ChangeRefused:
    return ChangeRefused([FieldProblem(field, ja, en)])


class RegisterChanges:
    def __init__(
        self,
        store: RegisterStore,
        clock: Clock,
        *,
        changed: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.changed = changed  # after each commit, with the register's new version

    # -- the steps every change takes ------------------------------------------------------

    def entry(self, entity: Entity, data: Data) -> BaseModel:
        """``data`` validated as an entry of ``entity`` on the hub's clock."""
        model = ENTRY_MODELS[entity]
        raw = data.model_dump(mode="python") if isinstance(data, BaseModel) else dict(data)
        if isinstance(data, ContactEntry):
            raw["channels"] = data.channel_urls()  # the URLs, not their masked form
        try:
            return model.model_validate(raw, context={READ_AT: self.clock()})
        except ValidationError as exc:
            raise ChangeRefused(field_problems(exc)) from None

    async def plan(
        self,
        entity: Entity,
        entry: BaseModel,
        expected: int | None,
        known: Known,
        action: str,
    ) -> RegisterWrite:
        """The write of ``entry`` over the version ``expected`` (None: a new entry),
        once what it names is checked; ChangeRefused when something is wrong."""
        entry_id = str(getattr(entry, "id"))  # noqa: B009 - every entry model has one
        current = await known.current(entity, entry_id)
        if expected is None and current is not None:
            raise _refused(
                "id", f"{entry_id} はもう登録されています", f"{entry_id} is registered already"
            )
        if expected is not None and current is None:
            raise _refused("id", f"{entry_id} は登録されていません", f"no such entry: {entry_id}")
        if problems := await reference_problems(entity, entry, known):
            raise ChangeRefused(problems)
        shown = list(getattr(entry_of(current), "channels", [])) if current else None
        write = RegisterWrite(entity, entry_id, action, expected, record_of(entity, entry, shown))
        known.plan(write)
        return write

    async def plan_removal(
        self, entity: Entity, entry_id: str, expected: int, known: Known, action: str = "remove"
    ) -> RegisterWrite:
        if await known.current(entity, entry_id) is None:
            raise _refused("id", f"{entry_id} は登録されていません", f"no such entry: {entry_id}")
        if problems := await removal_problems(entity, entry_id, known):
            raise ChangeRefused(problems)
        write = RegisterWrite(entity, entry_id, action, expected, None)
        known.plan(write)
        return write

    async def commit(self, writes: Sequence[RegisterWrite], by: Actor) -> int:
        """Write one change (one transaction); the register's new version."""
        version = await self.store.write_register(writes, actor=by, at=self.clock())
        for write in writes:
            log.info(
                "register %d: %s %s %s by %s (%s)",
                version,
                write.action,
                write.entity.value,
                write.id,
                by.who,
                by.via,
            )
        if self.changed is not None:
            await self.changed(version)
        return version

    # -- any entry -------------------------------------------------------------------------

    async def add(self, entity: Entity, data: Data, by: Actor) -> Changed:
        entry = self.entry(entity, data)
        write = await self.plan(entity, entry, None, Known(self.store), "add")
        return Changed(entity, write.id, 1, await self.commit([write], by))

    async def update(
        self, entity: Entity, data: Data, version: int, by: Actor, *, action: str = "update"
    ) -> Changed:
        entry = self.entry(entity, data)
        write = await self.plan(entity, entry, version, Known(self.store), action)
        return Changed(entity, write.id, version + 1, await self.commit([write], by))

    async def remove(self, entity: Entity, entry_id: str, version: int, by: Actor) -> Changed:
        write = await self.plan_removal(entity, entry_id, version, Known(self.store))
        return Changed(entity, entry_id, None, await self.commit([write], by))

    async def read(self, entity: Entity, entry_id: str, model: type[M]) -> tuple[M, int]:
        """An entry as stored, and its version (to name in the change that follows)."""
        stored = await self.store.register_entries(entity, [entry_id])
        if not stored:
            raise _refused("id", f"{entry_id} は登録されていません", f"no such entry: {entry_id}")
        found = entry_of(stored[0])
        assert isinstance(found, model)
        return found, stored[0].version

    # -- people ----------------------------------------------------------------------------

    async def add_person(self, data: PersonEntry | Mapping[str, Any], by: Actor) -> Changed:
        return await self.add(Entity.PERSON, data, by)

    async def update_person(
        self, data: PersonEntry | Mapping[str, Any], version: int, by: Actor
    ) -> Changed:
        return await self.update(Entity.PERSON, data, version, by)

    async def remove_person(self, person_id: str, version: int, by: Actor) -> Changed:
        return await self.remove(Entity.PERSON, person_id, version, by)

    async def _person_change(
        self, person_id: str, version: int, by: Actor, action: str, **fields: Any
    ) -> Changed:
        person, _ = await self.read(Entity.PERSON, person_id, PersonEntry)
        data = {**person.model_dump(mode="python"), **fields}
        return await self.update(Entity.PERSON, data, version, by, action=action)

    async def record_consent(
        self,
        person_id: str,
        consent: ConsentRecord | Mapping[str, Any],
        version: int,
        by: Actor,
    ) -> Changed:
        """Record a signed form's consent to one purpose (replacing that purpose's)."""
        given = dict(consent) if isinstance(consent, Mapping) else consent.model_dump()
        person, _ = await self.read(Entity.PERSON, person_id, PersonEntry)
        others = [c.model_dump() for c in person.consents if c.purpose != given.get("purpose")]
        return await self._person_change(
            person_id, version, by, "consent.record", consents=[*others, given]
        )

    async def withdraw_consent(
        self, person_id: str, purpose: Purpose, on: date, version: int, by: Actor
    ) -> Changed:
        """The consent to ``purpose`` is withdrawn from ``on``: from then on it no
        longer covers it (the record stays, with the date)."""
        person, _ = await self.read(Entity.PERSON, person_id, PersonEntry)
        if person.consent_for(purpose) is None:
            raise _refused(
                "purpose",
                f"{purpose} への同意の記録がありません",
                f"no consent to {purpose} on record",
            )
        consents = [
            {**c.model_dump(), "withdrawn_at": on} if c.purpose == purpose else c.model_dump()
            for c in person.consents
        ]
        return await self._person_change(
            person_id, version, by, "consent.withdraw", consents=consents
        )

    async def set_contacts(
        self, person_id: str, contacts: Sequence[str], version: int, by: Actor
    ) -> Changed:
        """A person's emergency contacts, in the order they are called."""
        return await self._person_change(
            person_id, version, by, "contacts.set", contacts=list(contacts)
        )

    # -- the other kinds -------------------------------------------------------------------

    async def add_household(self, data: HouseholdEntry | Mapping[str, Any], by: Actor) -> Changed:
        return await self.add(Entity.HOUSEHOLD, data, by)

    async def update_household(
        self, data: HouseholdEntry | Mapping[str, Any], version: int, by: Actor
    ) -> Changed:
        return await self.update(Entity.HOUSEHOLD, data, version, by)

    async def remove_household(self, household_id: str, version: int, by: Actor) -> Changed:
        return await self.remove(Entity.HOUSEHOLD, household_id, version, by)

    async def add_family(self, data: FamilyEntry | Mapping[str, Any], by: Actor) -> Changed:
        return await self.add(Entity.FAMILY, data, by)

    async def update_family(
        self, data: FamilyEntry | Mapping[str, Any], version: int, by: Actor
    ) -> Changed:
        return await self.update(Entity.FAMILY, data, version, by)

    async def remove_family(self, family_id: str, version: int, by: Actor) -> Changed:
        return await self.remove(Entity.FAMILY, family_id, version, by)

    async def add_contact(self, data: ContactEntry | Mapping[str, Any], by: Actor) -> Changed:
        return await self.add(Entity.CONTACT, data, by)

    async def update_contact(
        self, data: ContactEntry | Mapping[str, Any], version: int, by: Actor
    ) -> Changed:
        """Without ``channels`` (None) the channels on record stay as they are."""
        return await self.update(Entity.CONTACT, data, version, by)

    async def remove_contact(self, contact_id: str, version: int, by: Actor) -> Changed:
        return await self.remove(Entity.CONTACT, contact_id, version, by)

    async def add_policy(self, data: Policy | Mapping[str, Any], by: Actor) -> Changed:
        return await self.add(Entity.POLICY, data, by)

    async def update_policy(
        self, data: Policy | Mapping[str, Any], version: int, by: Actor
    ) -> Changed:
        return await self.update(Entity.POLICY, data, version, by)

    async def remove_policy(self, policy_id: str, version: int, by: Actor) -> Changed:
        return await self.remove(Entity.POLICY, policy_id, version, by)

    async def add_watch_point(self, data: GatewayEntry | Mapping[str, Any], by: Actor) -> Changed:
        return await self.add(Entity.WATCH_POINT, data, by)

    async def update_watch_point(
        self, data: GatewayEntry | Mapping[str, Any], version: int, by: Actor
    ) -> Changed:
        return await self.update(Entity.WATCH_POINT, data, version, by)

    async def remove_watch_point(self, gateway_id: str, version: int, by: Actor) -> Changed:
        return await self.remove(Entity.WATCH_POINT, gateway_id, version, by)

    async def add_area(self, data: AreaEntry | Mapping[str, Any], by: Actor) -> Changed:
        return await self.add(Entity.AREA, data, by)

    async def update_area(
        self, data: AreaEntry | Mapping[str, Any], version: int, by: Actor
    ) -> Changed:
        return await self.update(Entity.AREA, data, version, by)

    async def remove_area(self, area_id: str, version: int, by: Actor) -> Changed:
        return await self.remove(Entity.AREA, area_id, version, by)
