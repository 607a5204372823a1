"""A line of the live list: the household's row with what the caller needs to act,
its name, its people and the phone numbers to call (the people's, then their
contacts', in the register's order). Pure, from the registry."""

from __future__ import annotations

from dataclasses import dataclass

from mimamori.hub.model.rollcall import Asked
from mimamori.hub.register.registry import Registry
from mimamori.hub.rollcall.asking import contacts_of


@dataclass(frozen=True)
class Phone:
    name: str
    relation: str | None
    number: str


@dataclass(frozen=True)
class Line:
    row: Asked
    name: str  # the household's
    people: list[str]
    phones: list[Phone]
    address: str | None


def line_of(registry: Registry, row: Asked) -> Line:
    home = registry.households.get(row.household_id)
    if home is None:  # removed from the register since the start: its row stays
        return Line(row, row.household_id, [], [], None)
    people = [p for pid in home.people if (p := registry.people.get(pid)) is not None]
    phones = [Phone(p.name, "本人", p.phone) for p in people if p.phone]
    phones += [Phone(r.name, r.relation, r.phone) for r in contacts_of(registry, home) if r.phone]
    unique: list[Phone] = []
    for phone in phones:  # each number once, where it first comes
        if all(u.number != phone.number for u in unique):
            unique.append(phone)
    return Line(row, home.name, [p.name for p in people], unique, home.address)


MAX_FIND = 64  # characters of a search: a name, a reading, a phone number
MAX_FOUND = 500  # households a search keeps: more is no search, the list's pages are there


def found(registry: Registry, text: str) -> list[str]:
    """The households a staff member's search names: its id, or a part of its name,
    address, or of its people's names, readings or phone numbers (spaces ignored)."""
    wanted = "".join(text.split())[:MAX_FIND]
    if not wanted:
        return []
    hits: list[str] = []
    for home in registry.households.values():
        people = [p for pid in home.people if (p := registry.people.get(pid)) is not None]
        words = [home.id, home.name, home.address or ""]
        words += [w for p in people for w in (p.name, p.reading or "", p.phone or "")]
        if home.id == wanted or any(wanted in "".join(w.split()) for w in words):
            hits.append(home.id)
            if len(hits) == MAX_FOUND:
                break
    return hits
