"""What a change to the register must agree with besides its own model: the entries
it names exist, a tag or a home gateway is nobody else's, and nothing still names an
entry that goes. Each refusal names the field and says why in both languages.

The database keeps these rules too (foreign and unique keys), so a change that slips
past a check in a race is still refused whole; the checks are here to say why in
words staff understand. ``Known`` reads what they need from the store, and sees the
writes planned before it in the same change (an import writes many at once).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pydantic import BaseModel

from mimamori.errors import FieldProblem
from mimamori.hub.model.register import Entity, RegisterWrite, StoredEntry
from mimamori.hub.register.records import entry_of
from mimamori.hub.register.schema import (
    AreaEntry,
    FamilyEntry,
    GatewayEntry,
    HouseholdEntry,
    PersonEntry,
    Policy,
)
from mimamori.hub.store.port_register import RegisterStore

_NAMES_JA = {
    Entity.AREA: "地域",
    Entity.CONTACT: "連絡先",
    Entity.POLICY: "通知の方針",
    Entity.WATCH_POINT: "見守り点",
    Entity.HOUSEHOLD: "世帯",
    Entity.PERSON: "人",
    Entity.FAMILY: "家族",
}
_NAMES_EN = {entity: entity.value.replace("_", " ") for entity in Entity}


# The fields of the keys that belong to one entry only: a tag, a home gateway.
_KEYS: dict[Entity, str] = {Entity.PERSON: "tags", Entity.HOUSEHOLD: "gateways"}


class Known:
    """The register as a change sees it: the store, and the writes planned before.

    A change of one entry asks the store what it needs; an import of thousands first
    reads the whole register once (``preload``) and asks nothing more."""

    def __init__(self, store: RegisterStore) -> None:
        self.store = store
        self._planned: dict[tuple[Entity, str], RegisterWrite] = {}
        self._kinds: set[Entity] = set()  # kinds with an entry planned
        self._rewritten: dict[Entity, set[str]] = {e: set() for e in _KEYS}
        self._claims: dict[Entity, dict[str, str]] = {e: {} for e in _KEYS}
        self._all: dict[tuple[Entity, str], StoredEntry] | None = None
        self._held: dict[Entity, dict[str, str]] = {}

    async def preload(self) -> None:
        snapshot = await self.store.register_snapshot()
        self._all = {(e.entity, e.id): e for kind in snapshot.entries.values() for e in kind}
        for entity, field in _KEYS.items():
            self._held[entity] = {
                key: stored.id
                for stored in snapshot.entries.get(entity, ())
                for key in getattr(entry_of(stored), field)
            }

    def plan(self, write: RegisterWrite) -> None:
        self._planned[(write.entity, write.id)] = write
        if write.record is not None:
            self._kinds.add(write.entity)
        if (field := _KEYS.get(write.entity)) is not None:
            self._rewritten[write.entity].add(write.id)
            if write.record is not None:
                mine = entry_of(StoredEntry(write.entity, write.id, 0, write.record.doc))
                for key in getattr(mine, field):
                    self._claims[write.entity][key] = write.id

    async def _stored(self, entity: Entity, ids: Sequence[str]) -> list[StoredEntry]:
        if self._all is not None:
            return [e for i in ids if (e := self._all.get((entity, i))) is not None]
        return await self.store.register_entries(entity, ids)

    async def current(self, entity: Entity, entry_id: str) -> StoredEntry | None:
        planned = self._planned.get((entity, entry_id))
        if planned is not None:
            if planned.record is None:
                return None
            return StoredEntry(entity, entry_id, (planned.expected or 0) + 1, planned.record.doc)
        found = await self._stored(entity, [entry_id])
        return found[0] if found else None

    async def missing(self, entity: Entity, ids: Iterable[str]) -> list[str]:
        wanted = sorted(set(ids))
        if not wanted:
            return []
        there = {e.id for e in await self._stored(entity, wanted)}
        for eid in wanted:
            if (write := self._planned.get((entity, eid))) is not None:
                (there.add if write.record is not None else there.discard)(eid)
        return [eid for eid in wanted if eid not in there]

    async def any(self, entity: Entity) -> bool:
        if entity in self._kinds:
            return True
        if self._all is not None:
            return any(kind == entity for kind, _ in self._all)
        return bool(await self.store.register_entries(entity))

    async def holders(self, entity: Entity, keys: Sequence[str]) -> dict[str, str]:
        """Who holds each of these tags (``person``) or home gateways (``household``)."""
        if self._all is not None:
            every = self._held[entity]
            held = {key: every[key] for key in keys if key in every}
        elif entity == Entity.PERSON:
            held = await self.store.tag_holders(keys)
        else:
            held = await self.store.gateway_homes(keys)
        rewritten, claims = self._rewritten[entity], self._claims[entity]
        held = {key: owner for key, owner in held.items() if owner not in rewritten}
        held.update({key: claims[key] for key in keys if key in claims})
        return held

    async def naming(self, entry_id: str, entities: Sequence[Entity]) -> list[Any]:
        """The entries (as models) of these kinds that may name ``entry_id``."""
        if self._all is not None:
            stored = [e for (kind, _), e in self._all.items() if kind in entities]
        else:
            stored = await self.store.register_naming(entry_id, entities)
        found = {(e.entity, e.id): e for e in stored}
        for (kind, eid), write in self._planned.items():
            if kind in entities:
                found.pop((kind, eid), None)
                if write.record is not None:
                    found[(kind, eid)] = StoredEntry(kind, eid, 0, write.record.doc)
        return [entry_of(stored) for stored in found.values()]


def _unknown(field: str, entity: Entity, ids: list[str]) -> FieldProblem:
    named = ", ".join(ids)
    return FieldProblem(
        field,
        f"登録されていない{_NAMES_JA[entity]}です: {named}",
        f"no such {_NAMES_EN[entity]}: {named}",
    )


async def reference_problems(entity: Entity, entry: BaseModel, known: Known) -> list[FieldProblem]:
    """What ``entry`` names that does not exist, or that belongs to another."""
    wants: list[tuple[str, Entity, list[str]]] = []  # (field, kind, ids)
    found: list[FieldProblem] = []
    if isinstance(entry, GatewayEntry | HouseholdEntry | PersonEntry):
        wants.append(("area", Entity.AREA, [entry.area]))
    if isinstance(entry, AreaEntry) and entry.centre:
        wants.append(("centre", Entity.CONTACT, [entry.centre]))
    if isinstance(entry, HouseholdEntry):
        if await known.any(Entity.POLICY):  # none at all: alerts go nowhere, as before
            wants.append(("policy", Entity.POLICY, [entry.policy]))
        found += await _taken(entry.id, entry.gateways, Entity.HOUSEHOLD, "gateways", known)
    if isinstance(entry, PersonEntry):
        wants += [
            ("household", Entity.HOUSEHOLD, [entry.household] if entry.household else []),
            ("minsei", Entity.CONTACT, [entry.minsei] if entry.minsei else []),
            ("contacts", Entity.CONTACT, list(entry.contacts)),
            ("policy", Entity.POLICY, [entry.policy] if entry.policy else []),
        ]
        if entry.usual_area is not None:
            wants.append(("usual_area.gateways", Entity.WATCH_POINT, entry.usual_area.gateways))
        if entry.outings is not None:
            wants.append(("outings.gateways", Entity.WATCH_POINT, entry.outings.gateways))
            wants.append(("outings.notify", Entity.CONTACT, entry.outings.notify))
        found += await _taken(entry.id, entry.tags, Entity.PERSON, "tags", known)
    if isinstance(entry, FamilyEntry):
        wants.append(("people", Entity.PERSON, entry.people))
        wants.append(("households", Entity.HOUSEHOLD, entry.households))
    if isinstance(entry, Policy):
        for i, step in enumerate(entry.all_steps()):
            wants.append((f"steps.{i}.notify", Entity.CONTACT, step.notify))
    for field, kind, ids in wants:
        if missing := await known.missing(kind, ids):
            found.append(_unknown(field, kind, missing))
    return found


async def _taken(
    own: str, keys: list[str], entity: Entity, field: str, known: Known
) -> list[FieldProblem]:
    if not keys:
        return []
    held = await known.holders(entity, keys)
    others = {key: owner for key, owner in held.items() if owner != own}
    if not others:
        return []
    said = ", ".join(f"{key} ({owner})" for key, owner in sorted(others.items()))
    return [
        FieldProblem(
            field,
            f"ほかの{_NAMES_JA[entity]}のものです: {said}",
            f"held by another {_NAMES_EN[entity]}: {said}",
        )
    ]


# For each kind of entry, and each model that may name one: the ids it names.
_NAMED: dict[tuple[Entity, type[BaseModel]], Callable[[Any], Iterable[str | None]]] = {
    (Entity.CONTACT, PersonEntry): lambda p: [
        *p.contacts,
        p.minsei,
        *(p.outings.notify if p.outings else []),
    ],
    (Entity.POLICY, PersonEntry): lambda p: [p.policy],
    (Entity.WATCH_POINT, PersonEntry): lambda p: [
        *(p.usual_area.gateways if p.usual_area else []),
        *(p.outings.gateways if p.outings else []),
    ],
    (Entity.HOUSEHOLD, PersonEntry): lambda p: [p.household],
    (Entity.CONTACT, AreaEntry): lambda a: [a.centre],
    (Entity.CONTACT, Policy): lambda p: [r for step in p.all_steps() for r in step.notify],
    (Entity.POLICY, HouseholdEntry): lambda h: [h.policy],
    (Entity.PERSON, FamilyEntry): lambda f: f.people,
    (Entity.HOUSEHOLD, FamilyEntry): lambda f: f.households,
}


def _names(entity: Entity, entry_id: str, other: Any) -> bool:
    """Whether the entry ``other`` names the entry ``entity``/``entry_id``."""
    if entity == Entity.AREA:
        return bool(getattr(other, "area", None) == entry_id)
    return any(
        entry_id in named(other)
        for (kind, model), named in _NAMED.items()
        if kind == entity and isinstance(other, model)
    )


# Which kinds of entry may name an entry of each kind.
_NAMED_BY: dict[Entity, tuple[Entity, ...]] = {
    Entity.AREA: (Entity.WATCH_POINT, Entity.HOUSEHOLD, Entity.PERSON),
    Entity.CONTACT: (Entity.POLICY, Entity.PERSON, Entity.AREA),
    Entity.POLICY: (Entity.HOUSEHOLD, Entity.PERSON),
    Entity.WATCH_POINT: (Entity.PERSON,),
    Entity.HOUSEHOLD: (Entity.PERSON, Entity.FAMILY),
    Entity.PERSON: (Entity.FAMILY,),
    Entity.FAMILY: (),
}


async def removal_problems(entity: Entity, entry_id: str, known: Known) -> list[FieldProblem]:
    """What still names the entry that would go: change those first."""
    kinds = _NAMED_BY[entity]
    naming = [e for e in await known.naming(entry_id, kinds) if _names(entity, entry_id, e)]
    if not naming:
        return []
    by_kind: dict[Entity, list[str]] = {}
    for other in naming:
        kind = next(k for k in kinds if isinstance(other, _MODEL_OF[k]))
        by_kind.setdefault(kind, []).append(other.id)
    said_ja = "、".join(f"{_NAMES_JA[k]} {', '.join(ids)}" for k, ids in by_kind.items())
    said_en = "; ".join(f"{_NAMES_EN[k]} {', '.join(ids)}" for k, ids in by_kind.items())
    return [
        FieldProblem(
            "id",
            f"まだ使われています（{said_ja}）: 先にそちらを変えてください",
            f"still named by {said_en}: change those first",
        )
    ]


_MODEL_OF: dict[Entity, type[BaseModel]] = {
    Entity.AREA: AreaEntry,  # names its care centre's contact (issue 18)
    Entity.WATCH_POINT: GatewayEntry,
    Entity.HOUSEHOLD: HouseholdEntry,
    Entity.PERSON: PersonEntry,
    Entity.FAMILY: FamilyEntry,
    Entity.POLICY: Policy,
}
