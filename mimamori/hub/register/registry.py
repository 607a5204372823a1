"""Who is who: people and their tags, families, gateways (from the hub's YAML: the
register's part, ``schema.py``).

A database-backed admin replaces this file-based registry in a later issue; the
lookups below are what the rest of the hub relies on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mimamori.hub.model.federation import PeerGateway
from mimamori.hub.register.schema import (
    FamilyEntry,
    GatewayEntry,
    HouseholdEntry,
    PersonEntry,
    TownRegister,
    is_eid_tag,
)


@dataclass(frozen=True)
class Place:
    name: str
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class Registry:
    people: dict[str, PersonEntry]
    families: dict[str, FamilyEntry]
    gateways: dict[str, GatewayEntry]
    person_of_tag: dict[str, str]
    households: dict[str, HouseholdEntry]
    household_of_gateway: dict[str, str]
    household_of_person: dict[str, str]
    eid_tags: frozenset[str]  # tags with rotating ids, resolved by hub/eid/
    # Neighbouring towns' watch points that relayed sightings came from (``peer.gw``);
    # filled from the store at start and as sightings arrive.
    peer_gateways: dict[str, PeerGateway] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: TownRegister) -> Registry:
        return cls(
            people={p.id: p for p in config.people},
            families={f.id: f for f in config.families},
            gateways={g.id: g for g in config.gateways},
            person_of_tag={tag: p.id for p in config.people for tag in p.tags},
            households={h.id: h for h in config.households},
            household_of_gateway={g: h.id for h in config.households for g in h.gateways},
            household_of_person={p: h.id for h in config.households for p in h.people},
            eid_tags=frozenset(t for p in config.people for t in p.tags if is_eid_tag(t)),
        )

    def place(self, gateway_id: str) -> Place:
        """Name and position of a gateway: ours, or a peer's that a relayed sighting
        came from. Unknown ones show by their id, without a position."""
        if ours := self.gateways.get(gateway_id):
            return Place(ours.name, ours.lat, ours.lon)
        if theirs := self.peer_gateways.get(gateway_id):
            return Place(theirs.name, theirs.lat, theirs.lon)
        return Place(gateway_id, None, None)

    def tags_of(self, person_id: str) -> list[str]:
        person = self.people.get(person_id)
        return list(person.tags) if person else []
