"""Access control: who is asking, and what they may see.

One policy decides. A family sees only its own people and households; a volunteer
(民生委員) the households assigned to them whose people all consented to sharing
their check-ins ("checkin", issue 14), and the people who live there; staff of the
care centre see the people, households and watch points of their areas (a town has
several centres, each with its district: issue 14), and admins see everyone. Pages
and API routes ask the functions below and nothing else. Families and volunteers get
"not found" both for what does not exist and for what they may not see, so a
stranger cannot even learn who is watched over; staff, who work for the town, are
told "forbidden" for another area's (``Verdict``).

Who may change the register (the desk, ``hub/desk/``): admins anything; staff the
entries of their areas (an entry moved to another area must be theirs before and
after); families and volunteers nothing (``may_change``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from mimamori.hub.model.accounts import Role
from mimamori.hub.model.alerts import AlertScope
from mimamori.hub.register.registry import Registry
from mimamori.hub.register.schema import GatewayEntry, HouseholdEntry, PersonEntry


@dataclass(frozen=True)
class Principal:
    role: Role
    family_id: str | None
    name: str
    households: tuple[str, ...] = ()  # a volunteer's assigned households
    user_id: str | None = None
    areas: tuple[str, ...] = ()  # staff: the care-centre areas they work in

    @property
    def sees_all_homes(self) -> bool:
        """The care centre's side (staff and admins): notifications, gateways' states,
        the desk. Which people and homes: ``in_area``."""
        return self.role in ("admin", "staff")

    @property
    def everywhere(self) -> bool:
        """Every area: admins (staff see their own areas only)."""
        return self.role == "admin"

    def in_area(self, area: str) -> bool:
        return self.everywhere or (self.role == "staff" and area in self.areas)


class Verdict(StrEnum):
    """What a desk route answers for an entry: go on, 403 (staff, another area; a
    family or a volunteer, any desk route), or 404 (no such entry)."""

    OK = "ok"
    FORBIDDEN = "forbidden"
    MISSING = "missing"


def may_use_desk(principal: Principal) -> bool:
    """The desk (the register's pages and API) is the care centre's: staff and admins."""
    return principal.sees_all_homes


def may_change(principal: Principal, *areas: str) -> bool:
    """Whether ``principal`` may write an entry lying in ``areas`` (its area before
    and after the change): admins anywhere, staff in their own areas, others never."""
    return may_use_desk(principal) and all(principal.in_area(a) for a in areas)


def verdict(principal: Principal, areas: Iterable[str] | None) -> Verdict:
    """The desk's answer for an entry in ``areas`` (None: there is no such entry)."""
    if not may_use_desk(principal):
        return Verdict.FORBIDDEN
    if areas is None:
        return Verdict.MISSING
    return Verdict.OK if all(principal.in_area(a) for a in areas) else Verdict.FORBIDDEN


def shared_with_volunteers(registry: Registry, household_id: str) -> bool:
    """A household's check-ins may be shown to its volunteers: someone lives there,
    and each of them has a consent to "checkin" on record, not withdrawn."""
    home = registry.households.get(household_id)
    people = [registry.people[p] for p in home.people if p in registry.people] if home else []
    return bool(people) and all(p.consents_to("checkin") for p in people)


def _household_ids(registry: Registry, principal: Principal) -> list[str] | None:
    """The households the principal may see; None: all of them."""
    if principal.everywhere:
        return None
    if principal.role == "staff":
        return [h.id for h in registry.households.values() if principal.in_area(h.area)]
    if principal.role == "volunteer":
        return [h for h in principal.households if shared_with_volunteers(registry, h)]
    family = registry.families.get(principal.family_id or "")
    return list(family.households) if family else []


def _person_ids(registry: Registry, principal: Principal) -> list[str] | None:
    """The people the principal may see; None: all of them."""
    if principal.everywhere:
        return None
    if principal.role == "staff":
        return [p.id for p in registry.people.values() if principal.in_area(p.area)]
    if principal.role == "volunteer":
        homes = [registry.households[h] for h in _household_ids(registry, principal) or []]
        return [p for home in homes for p in home.people]
    family = registry.families.get(principal.family_id or "")
    return list(family.people) if family else []


def household_scope(registry: Registry, principal: Principal) -> list[str] | None:
    return _household_ids(registry, principal)


def person_scope(registry: Registry, principal: Principal) -> list[str] | None:
    """The ids of the people the principal may see; None: everyone (admins)."""
    return _person_ids(registry, principal)


def alert_scope(registry: Registry, principal: Principal) -> AlertScope | None:
    """The alerts the principal may see: about their households or their people."""
    homes, people = _household_ids(registry, principal), _person_ids(registry, principal)
    if homes is None or people is None:
        return None
    return AlertScope(tuple(homes), tuple(people))


def visible_people(registry: Registry, principal: Principal) -> list[PersonEntry]:
    ids = _person_ids(registry, principal)
    if ids is None:
        return list(registry.people.values())
    return [registry.people[p] for p in ids if p in registry.people]


def can_see(registry: Registry, principal: Principal, person_id: str) -> bool:
    person = registry.people.get(person_id)
    if person is None:
        return False
    if principal.sees_all_homes:  # one look, not a list of the area's thousands
        return principal.in_area(person.area)
    ids = _person_ids(registry, principal)
    return ids is None or person_id in ids


def visible_households(registry: Registry, principal: Principal) -> list[HouseholdEntry]:
    ids = _household_ids(registry, principal)
    if ids is None:
        return list(registry.households.values())
    return [registry.households[h] for h in ids if h in registry.households]


def can_see_household(registry: Registry, principal: Principal, household_id: str) -> bool:
    home = registry.households.get(household_id)
    if home is None:
        return False
    if principal.sees_all_homes:
        return principal.in_area(home.area)
    ids = _household_ids(registry, principal)
    return ids is None or household_id in ids


def visible_gateways(registry: Registry, principal: Principal) -> list[GatewayEntry]:
    """Watch points in shops and streets, and only the caller's own homes (staff: the
    homes of their areas): where a home gateway stands is where somebody lives."""
    if principal.everywhere:
        return list(registry.gateways.values())
    if principal.role == "staff":
        return [
            g for g in registry.gateways.values() if g.site != "home" or principal.in_area(g.area)
        ]
    own = {g for h in visible_households(registry, principal) for g in h.gateways}
    return [g for g in registry.gateways.values() if g.site != "home" or g.id in own]


def hidden_homes(registry: Registry, principal: Principal) -> frozenset[str]:
    """Home gateways the principal may not locate (their sightings are masked)."""
    shown = {g.id for g in visible_gateways(registry, principal)}
    return frozenset(g for g, e in registry.gateways.items() if e.site == "home" and g not in shown)


def hidden_for_share(registry: Registry, person_id: str) -> frozenset[str]:
    """What a shared link (police, volunteers) may not locate: every home but the
    searched person's own."""
    own = {g for h in registry.households.values() if person_id in h.people for g in h.gateways}
    return frozenset(g for g, e in registry.gateways.items() if e.site == "home" and g not in own)
