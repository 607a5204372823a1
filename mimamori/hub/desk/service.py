"""What the desk does, for its pages and its API alike: read an entry the caller may
see, save a form or a body as a change of the register, and a person's own changes
(consent, contacts in order, the yearly review).

Every operation asks the access policy first (``access/policy.py``): the desk is the
care centre's (staff and admins; families and volunteers are refused before anything
is looked up), and staff work in their areas. An entry's areas: its own for people,
households and watch points; for a contact, the areas of the people who name it (a
contact nobody names yet is every area's, so it can be made and then named); for a
family, the areas of the people and households it names. Escalation policies are
shared by the town: staff read them, admins change them.

The change itself is the register's (``hub.register``: pydantic on the hub's clock,
references checked, one transaction with its audit row, the version named): this
module raises what it raises (ChangeRefused, StaleVersion) and ``DeskRefused`` for
what the caller may not do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from mimamori.errors import ChangeRefused, FieldProblem
from mimamori.hub.access.policy import Principal, Verdict, verdict, visible_households
from mimamori.hub.model.register import Actor, Entity
from mimamori.hub.register.changes import Changed
from mimamori.hub.register.records import STORED_MODELS
from mimamori.hub.register.registry import Registry
from mimamori.hub.register.schema import PersonEntry, Purpose
from mimamori.hub.server.state import HubState

# A yearly review (宜野湾 updates each registration once a year): done today, the
# next falls a year on.
REVIEW_EVERY = timedelta(days=365)
TOKYO = ZoneInfo("Asia/Tokyo")  # "today" for a review is Japan's day


class DeskRefused(Exception):
    """The caller may not do this: 403 (not theirs to see or change) or 404 (no such
    entry)."""

    def __init__(self, status: int, what: str) -> None:
        super().__init__(what)
        self.status = status


def actor(who: Principal, via: str) -> Actor:
    """The audit's "who": the account's name and id."""
    name = f"{who.name} ({who.user_id})" if who.user_id else who.name
    return Actor(name, who.role, via)


def contact_areas(registry: Registry) -> dict[str, set[str]]:
    """The areas of the people who name each contact (emergency contact, 民生委員,
    outings): one pass over the people."""
    found: dict[str, set[str]] = {}
    for person in registry.people.values():
        named = [*person.contacts, *([person.minsei] if person.minsei else [])]
        named += person.outings.notify if person.outings else []
        for contact in named:
            found.setdefault(contact, set()).add(person.area)
    return found


def areas_of(registry: Registry, entity: Entity, entry: BaseModel) -> list[str]:
    """The areas ``entry`` lies in, for the policy (empty: every area's)."""
    if entity in (Entity.PERSON, Entity.HOUSEHOLD, Entity.WATCH_POINT, Entity.AREA):
        return [str(getattr(entry, "area", getattr(entry, "id", "")))]
    if entity == Entity.CONTACT:
        return sorted(contact_areas(registry).get(str(getattr(entry, "id")), set()))  # noqa: B009
    if entity == Entity.FAMILY:
        people = [registry.people[p].area for p in getattr(entry, "people") if p in registry.people]  # noqa: B009
        homes = [
            registry.households[h].area
            for h in getattr(entry, "households")  # noqa: B009
            if h in registry.households
        ]
        return sorted({*people, *homes})
    return []


def check(who: Principal, entity: Entity, areas: Iterable[str] | None, *, write: bool) -> None:
    """DeskRefused unless ``who`` may see (``write``: change) an entry in ``areas``
    (None: no such entry)."""
    if entity in (Entity.POLICY, Entity.AREA) and write and not who.everywhere:
        raise DeskRefused(403, "only admins change the town's policies and areas")
    found = verdict(who, None if areas is None else list(areas))
    if found is Verdict.FORBIDDEN:
        raise DeskRefused(403, f"this {entity.value} is not yours to see or change")
    if found is Verdict.MISSING:
        raise DeskRefused(404, f"no such {entity.value}")


def registered(registry: Registry, entity: Entity, entry_id: str) -> BaseModel | None:
    """The entry as this worker's registry holds it (None: no such entry)."""
    tables: dict[Entity, Mapping[str, BaseModel]] = {
        Entity.PERSON: registry.people,
        Entity.HOUSEHOLD: registry.households,
        Entity.CONTACT: registry.recipients,
        Entity.FAMILY: registry.families,
        Entity.WATCH_POINT: registry.gateways,
        Entity.POLICY: registry.policies,
        Entity.AREA: registry.areas,
    }
    return tables[entity].get(entry_id)


def check_entry(
    registry: Registry, who: Principal, entity: Entity, entry_id: str | None, *, write: bool
) -> None:
    """``check`` on the entry ``entry_id`` (None: a new one) as the registry holds it:
    the API's answer before it reads a parameter or a body (the change itself checks
    again on the entry as stored)."""
    if entry_id is None:
        check(who, entity, [], write=write)
        return
    entry = registered(registry, entity, entry_id)
    check(who, entity, None if entry is None else areas_of(registry, entity, entry), write=write)


async def read(hub: HubState, who: Principal, entity: Entity, entry_id: str) -> tuple[Any, int]:
    """The entry as stored and its version, if the caller may see it."""
    check(who, entity, [], write=False)  # the desk at all, before anything is read
    stored = await hub.store.register_entries(entity, [entry_id])
    if not stored:
        raise DeskRefused(404, f"no such {entity.value}")
    entry = STORED_MODELS[entity].model_validate_json(stored[0].doc, context={"stored": True})
    check(who, entity, areas_of(hub.registry, entity, entry), write=False)
    return entry, stored[0].version


async def save(
    hub: HubState,
    who: Principal,
    entity: Entity,
    data: Mapping[str, Any],
    *,
    version: int | None,
    current: BaseModel | None = None,
    via: str = "desk",
    action: str = "update",
) -> Changed:
    """Add (``version`` None) or change an entry the caller may change, before and
    after: the caller read ``current`` (``read``) at ``version``."""
    check(who, entity, [], write=True)
    if current is not None:
        check(who, entity, areas_of(hub.registry, entity, current), write=True)
    entry = hub.register.entry(entity, data)  # ChangeRefused: each field and why
    check(who, entity, areas_of(hub.registry, entity, entry), write=True)
    by = actor(who, via)
    if version is None:
        return await hub.register.add(entity, entry, by)
    return await hub.register.update(entity, entry, version, by, action=action)


async def remove(
    hub: HubState, who: Principal, entity: Entity, entry_id: str, *, version: int, via: str = "desk"
) -> Changed:
    current, _ = await read(hub, who, entity, entry_id)
    check(who, entity, areas_of(hub.registry, entity, current), write=True)
    return await hub.register.remove(entity, entry_id, version, actor(who, via))


# -- a person's own changes ------------------------------------------------------------------


async def person_to_change(hub: HubState, who: Principal, person_id: str) -> PersonEntry:
    person, _ = await read(hub, who, Entity.PERSON, person_id)
    check(who, Entity.PERSON, [person.area], write=True)
    assert isinstance(person, PersonEntry)
    return person


async def record_consent(
    hub: HubState,
    who: Principal,
    person_id: str,
    consent: Mapping[str, Any],
    *,
    version: int,
    via: str = "desk",
) -> Changed:
    await person_to_change(hub, who, person_id)
    return await hub.register.record_consent(person_id, consent, version, actor(who, via))


async def withdraw_consent(
    hub: HubState,
    who: Principal,
    person_id: str,
    purpose: Purpose,
    *,
    on: date,
    version: int,
    via: str = "desk",
) -> Changed:
    await person_to_change(hub, who, person_id)
    return await hub.register.withdraw_consent(person_id, purpose, on, version, actor(who, via))


def visible_contacts(registry: Registry, who: Principal) -> list[str]:
    """The contacts the caller may see and name: those named by people of their areas,
    and those nobody names yet."""
    areas = contact_areas(registry)
    return [
        c
        for c in registry.recipients
        if who.everywhere or all(who.in_area(a) for a in areas.get(c, ()))
    ]


def check_contacts(
    registry: Registry, who: Principal, contacts: Sequence[str], kept: Sequence[str]
) -> None:
    """ChangeRefused unless each contact named is one the caller may see, or one the
    person names already (``kept``): another area's contacts stay unknown to them."""
    mine = set(visible_contacts(registry, who)) | set(kept)
    if unknown := [c for c in contacts if c not in mine]:
        raise ChangeRefused(
            [
                FieldProblem(
                    "contacts",
                    f"登録されていない連絡先です: {', '.join(unknown)}",
                    f"no such contact: {', '.join(unknown)}",
                )
            ]
        )


async def set_contacts(
    hub: HubState,
    who: Principal,
    person_id: str,
    contacts: Sequence[str],
    *,
    version: int,
    via: str = "desk",
) -> Changed:
    """A person's emergency contacts, in order: each one the caller may see."""
    person = await person_to_change(hub, who, person_id)
    check_contacts(hub.registry, who, contacts, person.contacts)
    return await hub.register.set_contacts(person_id, contacts, version, actor(who, via))


def visible_entries(registry: Registry, who: Principal, entity: Entity) -> list[BaseModel]:
    """The entries of ``entity`` the caller may see, as the registry holds them (a
    contact's channels masked): staff their areas', admins all; policies are the
    town's. People are listed by the store's query instead (``find_people``)."""
    check(who, entity, [], write=False)
    if entity == Entity.HOUSEHOLD:
        return list(visible_households(registry, who))
    if entity == Entity.CONTACT:
        return [registry.recipients[c] for c in visible_contacts(registry, who)]
    if entity == Entity.WATCH_POINT:
        return [g for g in registry.gateways.values() if who.in_area(g.area)]
    if entity == Entity.POLICY:
        return list(registry.policies.values())
    if entity == Entity.FAMILY:
        found: list[BaseModel] = []
        for family in registry.families.values():
            areas = areas_of(registry, Entity.FAMILY, family)
            if who.everywhere or (areas and all(who.in_area(a) for a in areas)):
                found.append(family)
        return found
    return [a for a in registry.areas.values() if who.in_area(a.id)]


def moved(contacts: Sequence[str], contact: str, how: str) -> list[str]:
    """The order after one step of the desk's list: ``add`` at the end, ``up``, ``down``
    or ``remove`` one."""
    order = list(contacts)
    if how == "add":
        return order if contact in order else [*order, contact]
    if contact not in order:
        return order
    i = order.index(contact)
    if how == "remove":
        return order[:i] + order[i + 1 :]
    j = i - 1 if how == "up" else i + 1
    if 0 <= j < len(order):
        order[i], order[j] = order[j], order[i]
    return order


def today(hub: HubState) -> date:
    return hub.clock().astimezone(TOKYO).date()


async def review_done(
    hub: HubState, who: Principal, person_id: str, *, version: int, via: str = "desk"
) -> Changed:
    """The yearly review is done today: the next is due a year on."""
    person = await person_to_change(hub, who, person_id)
    data = {**person.model_dump(mode="python"), "review_on": today(hub) + REVIEW_EVERY}
    return await hub.register.update(
        Entity.PERSON, data, version, actor(who, via), action="review.done"
    )


def month_end(day: date) -> date:
    """The last day of ``day``'s month: reviews due "this month" fall on or before."""
    first_next = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first_next - timedelta(days=1)
