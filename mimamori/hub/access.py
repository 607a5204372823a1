"""Access control: who is asking, and what they may see.

One policy decides. A family sees only its own people and households; an admin sees
everyone. Pages and API routes ask the functions below and nothing else, and answer
"not found" both for what does not exist and for what the caller may not see, so a
stranger cannot even learn who is watched over.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import GatewayEntry, HouseholdEntry, PersonEntry
from .registry import Registry
from .store.base import Role


@dataclass(frozen=True)
class Principal:
    role: Role
    family_id: str | None
    name: str


def visible_people(registry: Registry, principal: Principal) -> list[PersonEntry]:
    if principal.role == "admin":
        return list(registry.people.values())
    family = registry.families.get(principal.family_id or "")
    if family is None:
        return []
    return [registry.people[p] for p in family.people if p in registry.people]


def can_see(registry: Registry, principal: Principal, person_id: str) -> bool:
    if person_id not in registry.people:
        return False
    if principal.role == "admin":
        return True
    family = registry.families.get(principal.family_id or "")
    return family is not None and person_id in family.people


def visible_households(registry: Registry, principal: Principal) -> list[HouseholdEntry]:
    if principal.role == "admin":
        return list(registry.households.values())
    family = registry.families.get(principal.family_id or "")
    if family is None:
        return []
    return [registry.households[h] for h in family.households if h in registry.households]


def can_see_household(registry: Registry, principal: Principal, household_id: str) -> bool:
    if household_id not in registry.households:
        return False
    if principal.role == "admin":
        return True
    family = registry.families.get(principal.family_id or "")
    return family is not None and household_id in family.households


def visible_gateways(registry: Registry, principal: Principal) -> list[GatewayEntry]:
    """Watch points in shops and streets, and only the caller's own homes: where a home
    gateway stands is where somebody lives."""
    if principal.role == "admin":
        return list(registry.gateways.values())
    own = {g for h in visible_households(registry, principal) for g in h.gateways}
    return [g for g in registry.gateways.values() if g.site != "home" or g.id in own]
