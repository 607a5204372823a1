"""The register as YAML, for ``mimamori hub import``: the keys beside ``hub:`` of a hub
file written before the register moved into the database, or a file of their own
(``configs/register.yaml``). The entries are those of ``schema.py``, with what the
YAML always said its own way:

* ``areas:`` is optional, and so is ``area:`` on gateways, people and households: what
  names none goes to the first area listed, or to ``DEFAULT_AREA`` when none is;
* a person's ``consent:`` is one signed form for several purposes (one record per
  purpose in the database);
* a household lists its ``people`` (in the database each person names their home);
* a recipient's channels are in a ``channels_file`` (read once, by the import: the
  URLs are kept in the database from then on).

Every list is checked for unique ids, and every id one entry names against the others.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from mimamori import configfile
from mimamori.hub.model.register import Entity
from mimamori.hub.register.schema import (
    AreaEntry,
    ContactFields,
    FamilyEntry,
    GatewayEntry,
    HouseholdEntry,
    PersonEntry,
    Policy,
    Purpose,
    Relation,
    read_at,
)
from mimamori.settings import FilePath, Id, Strict

# The keys of a hub file that are the register's, not the service's.
REGISTER_KEYS = ("areas", "gateways", "recipients", "policies", "people", "households", "families")
DEFAULT_AREA = AreaEntry(id="default", name="既定の地域")


class Consent(Strict):
    """Who agreed, when, to what: the record of a signed consent form."""

    by: str = Field(min_length=1, max_length=100)
    relation: Relation = "self"
    at: date
    purposes: list[Purpose] = Field(min_length=1)
    record: str | None = Field(default=None, max_length=200)  # where the signed form is kept
    withdrawn_at: date | None = None  # from then on the person is not tracked

    @model_validator(mode="after")
    def _dates(self, info: ValidationInfo) -> Consent:
        if self.at > read_at(info).date() + timedelta(days=1):
            raise ValueError(f"consent given on {self.at}, a day still to come")
        if self.withdrawn_at is not None and self.withdrawn_at < self.at:
            raise ValueError("withdrawn_at comes before the consent was given")
        return self

    def records(self) -> list[dict[str, Any]]:
        fields = self.model_dump(exclude={"purposes"})
        return [{**fields, "purpose": p} for p in dict.fromkeys(self.purposes)]


class GatewayItem(GatewayEntry):
    area: Id | None = None  # type: ignore[assignment]


class PersonItem(PersonEntry):
    area: Id | None = None  # type: ignore[assignment]
    consent: Consent | None = None  # one form for several purposes

    @model_validator(mode="after")
    def _one_way(self) -> PersonItem:
        if self.consent is not None and self.consents:
            raise ValueError("give consent (one form) or consents (per purpose), not both")
        return self

    def all_consents(self) -> list[dict[str, Any]]:
        if self.consent is not None:
            return self.consent.records()
        return [c.model_dump() for c in self.consents]


class HouseholdItem(HouseholdEntry):
    area: Id | None = None  # type: ignore[assignment]
    # A home's gateways; none for a home whose people check in by LINE (issue 17).
    gateways: list[Id] = Field(default_factory=list, max_length=16)
    people: list[Id] = Field(default_factory=list)  # who lives there


class RecipientItem(ContactFields):
    # apprise URLs, one per line, in a file of their own: they carry tokens.
    channels_file: FilePath

    def read_channels(self) -> list[str]:
        lines = self.channels_file.read_text(encoding="utf-8").splitlines()
        return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _unique(what: str, ids: list[str]) -> None:
    if dupes := configfile.duplicates(ids):
        raise ValueError(f"{what} ids must be unique: {', '.join(dupes)}")


class RegisterFile(Strict):
    """The register's keys: each list checked for unique ids, and every id it names
    checked against the others (validated in this order: each names those before)."""

    areas: list[AreaEntry] = Field(default_factory=list)
    gateways: list[GatewayItem] = Field(default_factory=list)
    recipients: list[RecipientItem] = Field(default_factory=list)
    policies: list[Policy] = Field(default_factory=list)
    people: list[PersonItem] = Field(default_factory=list)
    households: list[HouseholdItem] = Field(default_factory=list)
    families: list[FamilyEntry] = Field(default_factory=list)

    @field_validator("areas")
    @classmethod
    def _unique_areas(cls, value: list[AreaEntry]) -> list[AreaEntry]:
        _unique("area", [a.id for a in value])
        return value

    @field_validator("gateways")
    @classmethod
    def _unique_gateways(cls, value: list[GatewayItem], info: ValidationInfo) -> list[GatewayItem]:
        _unique("gateway", [g.id for g in value])
        _known_areas("gateway", value, info)
        return value

    @field_validator("policies")
    @classmethod
    def _known_recipients(cls, value: list[Policy], info: ValidationInfo) -> list[Policy]:
        _unique("policy", [p.id for p in value])
        known = {r.id for r in info.data.get("recipients", [])}
        for policy in value:
            wanted = [r for step in policy.steps for r in step.notify]
            if missing := sorted({r for r in wanted if r not in known}):
                names = ", ".join(missing)
                raise ValueError(f"policy {policy.id!r} names unknown recipients: {names}")
        return value

    @field_validator("recipients")
    @classmethod
    def _unique_recipients(cls, value: list[RecipientItem]) -> list[RecipientItem]:
        _unique("recipient", [r.id for r in value])
        return value

    @field_validator("people")
    @classmethod
    def _unique_people(cls, value: list[PersonItem], info: ValidationInfo) -> list[PersonItem]:
        _unique("person", [p.id for p in value])
        _unique("tag", [t for p in value for t in p.tags])
        _known_areas("person", value, info)
        gateways = {g.id for g in info.data.get("gateways", [])}
        recipients = {r.id for r in info.data.get("recipients", [])}
        policies = {p.id for p in info.data.get("policies", [])}
        for person in value:
            named = [
                *(person.usual_area.gateways if person.usual_area else []),
                *(person.outings.gateways if person.outings else []),
            ]
            if missing := sorted({g for g in named if g not in gateways}):
                raise ValueError(
                    f"person {person.id!r} names unknown gateways: {', '.join(missing)}"
                )
            wanted = [
                *(person.outings.notify if person.outings else []),
                *person.contacts,
                *([person.minsei] if person.minsei else []),
            ]
            if missing := sorted({r for r in wanted if r not in recipients}):
                raise ValueError(
                    f"person {person.id!r} names unknown recipients: {', '.join(missing)}"
                )
            if person.policy is not None and person.policy not in policies:
                raise ValueError(f"person {person.id!r} names unknown policy {person.policy!r}")
        return value

    @field_validator("households")
    @classmethod
    def _homes(cls, value: list[HouseholdItem], info: ValidationInfo) -> list[HouseholdItem]:
        _unique("household", [h.id for h in value])
        _known_areas("household", value, info)
        policies = {p.id for p in info.data.get("policies", [])}
        for home in value:
            if policies and home.policy not in policies:
                raise ValueError(f"household {home.id!r} names unknown policy {home.policy!r}")
        _unique("household gateway", [g for h in value for g in h.gateways])
        people = {p.id: p for p in info.data.get("people", [])}
        homes_of: dict[str, str] = {}
        for home in value:
            if missing := [p for p in home.people if p not in people]:
                raise ValueError(
                    f"household {home.id!r} names unknown people: {', '.join(missing)}"
                )
            for person in home.people:
                if (other := homes_of.setdefault(person, home.id)) != home.id:
                    raise ValueError(f"person {person!r} lives in {other!r} and {home.id!r}")
                said = people[person].household
                if said is not None and said != home.id:
                    raise ValueError(f"person {person!r} says household {said!r}, not {home.id!r}")
        known = {h.id for h in value}
        for person in people.values():
            if person.household is not None and person.household not in known:
                raise ValueError(
                    f"person {person.id!r} names unknown household {person.household!r}"
                )
        return value

    @field_validator("families")
    @classmethod
    def _known_people(cls, value: list[FamilyEntry], info: ValidationInfo) -> list[FamilyEntry]:
        _unique("family", [f.id for f in value])
        known = {p.id for p in info.data.get("people", [])}
        homes = {h.id for h in info.data.get("households", [])}
        for family in value:
            if missing := [p for p in family.people if p not in known]:
                raise ValueError(f"family {family.id!r} names unknown people: {', '.join(missing)}")
            if missing := [h for h in family.households if h not in homes]:
                raise ValueError(
                    f"family {family.id!r} names unknown households: {', '.join(missing)}"
                )
        return value

    def default_area(self) -> AreaEntry:
        """Where entries that name no area go."""
        return self.areas[0] if self.areas else DEFAULT_AREA

    def entries(self) -> dict[Entity, list[dict[str, Any]]]:
        """The entries to import, as the change functions take them (by kind, in the
        order they are written); the recipients' channel files are read here
        (OSError when one cannot be)."""
        area = self.default_area()
        homes = {p: h.id for h in self.households for p in h.people}
        areas = self.areas or [area]
        return {  # contacts first: an area may name one as its care centre
            Entity.CONTACT: [
                {**r.model_dump(exclude={"channels_file"}), "channels": r.read_channels()}
                for r in self.recipients
            ],
            Entity.AREA: [a.model_dump() for a in areas],
            Entity.POLICY: [p.model_dump() for p in self.policies],
            Entity.WATCH_POINT: [
                {**g.model_dump(), "area": g.area or area.id} for g in self.gateways
            ],
            Entity.HOUSEHOLD: [
                {**h.model_dump(exclude={"people"}), "area": h.area or area.id}
                for h in self.households
            ],
            Entity.PERSON: [
                {
                    **p.model_dump(exclude={"consent", "consents"}),
                    "area": p.area or area.id,
                    "household": p.household or homes.get(p.id),
                    "consents": p.all_consents(),
                }
                for p in self.people
            ],
            Entity.FAMILY: [f.model_dump() for f in self.families],
        }


def _known_areas(what: str, items: list[Any], info: ValidationInfo) -> None:
    areas = {a.id for a in info.data.get("areas", [])}
    for item in items:
        if item.area is not None and areas and item.area not in areas:
            raise ValueError(f"{what} {item.id!r} names unknown area {item.area!r}")
        if item.area is not None and not areas and item.area != "default":
            raise ValueError(f"{what} {item.id!r} names area {item.area!r}: list it in areas")
