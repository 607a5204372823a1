"""Who is who: the lookups every room of the hub uses (people and their tags, homes,
families, watch points, contacts, policies), built from the register in the database
(``loading.py``) and kept up to date in place (``reload.py``).

The parts of the hub hold one ``Registry`` each, the same object: a reload takes the
new register's lookups into it in one synchronous step (``replace_with``), so no task
ever sees half of one register and half of another, and nothing that holds it needs
rebuilding. A part that derives something of its own from it compares ``version``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from mimamori.hub.checkins.sources import line_source
from mimamori.hub.model.federation import PeerGateway
from mimamori.hub.register.schema import (
    AreaEntry,
    FamilyEntry,
    GatewayEntry,
    Household,
    HouseholdEntry,
    PersonEntry,
    Policy,
    Recipient,
    is_eid_tag,
)


@dataclass(frozen=True)
class Place:
    name: str
    lat: float | None
    lon: float | None


def _home(entry: HouseholdEntry, people: list[str]) -> Household:
    """A household as the registry shows it; the one a reload had already, when it is
    the same (a reload after one change builds one, not thousands)."""
    if isinstance(entry, Household) and entry.people == people:
        return entry
    fields = {k: v for k, v in dict(entry).items() if k != "people"}
    return Household.model_construct(**fields, people=people)


@dataclass
class Registry:
    people: dict[str, PersonEntry]
    families: dict[str, FamilyEntry]
    gateways: dict[str, GatewayEntry]
    person_of_tag: dict[str, str]
    households: dict[str, Household]
    household_of_gateway: dict[str, str]
    household_of_person: dict[str, str]
    eid_tags: frozenset[str]  # tags with rotating ids, resolved by hub/eid/
    areas: dict[str, AreaEntry] = field(default_factory=dict)
    recipients: dict[str, Recipient] = field(default_factory=dict)  # channels masked
    policies: dict[str, Policy] = field(default_factory=dict)
    version: int = 0  # the register's version these lookups show
    # Neighbouring towns' watch points that relayed sightings came from (``peer.gw``);
    # filled from the store at start and as sightings arrive (not the register's).
    peer_gateways: dict[str, PeerGateway] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        *,
        areas: Iterable[AreaEntry] = (),
        gateways: Iterable[GatewayEntry] = (),
        recipients: Iterable[Recipient] = (),
        policies: Iterable[Policy] = (),
        households: Iterable[HouseholdEntry] = (),
        people: Iterable[PersonEntry] = (),
        families: Iterable[FamilyEntry] = (),
        version: int = 0,
    ) -> Registry:
        people_by_id = {p.id: p for p in people}
        living: dict[str, list[str]] = {}
        for person in people_by_id.values():
            if person.household is not None:
                living.setdefault(person.household, []).append(person.id)
        homes = {h.id: _home(h, living.get(h.id, [])) for h in households}
        tags = {tag: p.id for p in people_by_id.values() for tag in p.tags}
        return cls(
            people=people_by_id,
            families={f.id: f for f in families},
            gateways={g.id: g for g in gateways},
            person_of_tag=tags,
            households=homes,
            household_of_gateway={
                **{line_source(h.id): h.id for h in homes.values()},  # check-ins by LINE
                **{g: h.id for h in homes.values() for g in h.gateways},
            },
            household_of_person={p: h.id for h in homes.values() for p in h.people},
            eid_tags=frozenset(t for t in tags if is_eid_tag(t)),
            areas={a.id: a for a in areas},
            recipients={r.id: r for r in recipients},
            policies={p.id: p for p in policies},
            version=version,
        )

    def replace_with(self, other: Registry) -> None:
        """Take ``other``'s register in place, in one synchronous step (no task runs in
        between); the peers' watch points stay (they are not the register's)."""
        self.people = other.people
        self.families = other.families
        self.gateways = other.gateways
        self.person_of_tag = other.person_of_tag
        self.households = other.households
        self.household_of_gateway = other.household_of_gateway
        self.household_of_person = other.household_of_person
        self.eid_tags = other.eid_tags
        self.areas = other.areas
        self.recipients = other.recipients
        self.policies = other.policies
        self.version = other.version

    def watch_points(self) -> list[str]:
        """The town's watch points: its gateways that are not a home's, sorted."""
        homes = self.household_of_gateway
        points = (g.id for g in self.gateways.values() if g.site != "home" and g.id not in homes)
        return sorted(points)

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

    def policy_names(self) -> dict[str, str]:
        """The policy of each plan: households by id, people as ``person:ID`` (their own
        policy, else their household's, else "default")."""
        names = {h.id: h.policy for h in self.households.values()}
        for person in self.people.values():
            home = self.households.get(self.household_of_person.get(person.id, ""))
            names[f"person:{person.id}"] = person.policy or (home.policy if home else "default")
        return names
