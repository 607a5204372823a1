"""The town's register, as the hub's YAML writes it (see configs/hub.yaml): watch
points, people with their tags and consent, who is told about alerts and when,
households and families. ``hub/config.py`` holds the service settings beside it;
``registry.py`` builds the lookups the rest of the hub uses.

Imports nothing beyond pydantic and ``protocol/``, so that ``mimamori check`` works on
a gateway that has only ``mimamori[edge]``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from mimamori import configfile
from mimamori.hub.model.clock import system_clock
from mimamori.protocol.tags import TagFormat, is_valid_tag_id
from mimamori.settings import FilePath, Id, Strict, TimeZone

# A tag with rotating ids (Eddystone-EID) is named in the registry by a stable id of the
# hub's own choosing; its key is in the database (``mimamori hub tag add``).
EID_TAG_PATTERN = r"^eid:[a-z0-9][a-z0-9._-]{0,62}$"
_EID_TAG = re.compile(EID_TAG_PATTERN)

# The validation context's key for the hub's time the file is read at: what the file
# dates may not lie in the future (``hub.config.load_hub_config`` gives its clock's).
READ_AT = "read_at"


def is_eid_tag(tag: str) -> bool:
    return bool(_EID_TAG.match(tag))


def read_at(info: ValidationInfo) -> datetime:
    """The hub's time the file is read at; the system's when the reader gave none."""
    context: dict[str, Any] = info.context or {}
    at = context.get(READ_AT)
    return at if isinstance(at, datetime) else system_clock()


class GatewayEntry(Strict):
    id: Id
    name: str = Field(min_length=1, max_length=100)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    site: Literal["vending", "shop", "home", "other"] = "vending"


class Place(Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


_HOURS = r"^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9]$"


class UsualArea(Strict):
    """Where and when a person usually goes out. A sighting elsewhere, or at another
    hour, raises an alert (families set it with the care manager)."""

    gateways: list[Id] = Field(default_factory=list)  # watch points inside the area
    home: Place | None = None  # ... or a circle around home
    radius_m: float | None = Field(default=None, gt=0, le=50_000)
    hours: str | None = Field(default=None, pattern=_HOURS, description="e.g. 06:00-20:00")
    timezone: TimeZone = "Asia/Tokyo"

    @model_validator(mode="after")
    def _some_area(self) -> UsualArea:
        if (self.home is None) != (self.radius_m is None):
            raise ValueError("home and radius_m go together")
        if not self.gateways and self.home is None and self.hours is None:
            raise ValueError("give gateways, home with radius_m, hours, or several")
        return self


class Outings(Strict):
    """Opt-in "went out / came home" notices from the watch points at or near home."""

    gateways: list[Id] = Field(min_length=1)
    notify: list[Id] = Field(min_length=1)  # recipients


# What a consent covers: "location", where the person's tags were seen (kept, shown to
# their family and staff); "search", that location shared with searchers (the police)
# while the person is missing.
Purpose = Literal["location", "search"]


class Consent(Strict):
    """Who agreed, when, to what: the record of a signed consent form."""

    by: str = Field(min_length=1, max_length=100)  # the person, or who may decide for them
    relation: Literal["self", "guardian", "family", "other"] = "self"  # guardian: 成年後見人
    at: date
    purposes: list[Purpose] = Field(min_length=1)
    record: str | None = Field(default=None, max_length=200)  # where the signed form is kept
    withdrawn_at: date | None = None  # from then on the person is not tracked

    @model_validator(mode="after")
    def _dates(self, info: ValidationInfo) -> Consent:
        # A day of slack: "today" in Japan is still tomorrow for UTC until 09:00.
        if self.at > read_at(info).date() + timedelta(days=1):
            raise ValueError(f"consent given on {self.at}, a day still to come")
        if self.withdrawn_at is not None and self.withdrawn_at < self.at:
            raise ValueError("withdrawn_at comes before the consent was given")
        return self


class PersonEntry(Strict):
    id: Id
    name: str = Field(min_length=1, max_length=100)
    tags: list[str] = Field(default_factory=list)
    usual_area: UsualArea | None = None
    outings: Outings | None = None
    # The escalation policy of alerts about this person (outside the usual area);
    # default: their household's, else "default".
    policy: Id | None = None
    consent: Consent | None = None

    def consents_to(self, purpose: Purpose) -> bool:
        """A recorded consent covers ``purpose`` and was not withdrawn."""
        c = self.consent
        return c is not None and c.withdrawn_at is None and purpose in c.purposes

    @field_validator("tags")
    @classmethod
    def _tag_ids(cls, value: list[str]) -> list[str]:
        for tag in value:
            if tag.startswith(f"{TagFormat.EDDYSTONE_EID}:"):
                raise ValueError(
                    f"{tag!r} changes every rotation period: name the tag 'eid:NAME' and "
                    "give its key with 'mimamori hub tag add' (docs/eid.md)"
                )
            if not is_valid_tag_id(tag) and not is_eid_tag(tag):
                raise ValueError(f"{tag!r} is not a tag id (see docs/protocol.md)")
        return value


class Recipient(Strict):
    """Someone who is told about alerts: family, a volunteer (民生委員), a care center."""

    id: Id
    name: str = Field(min_length=1, max_length=100)
    lang: Literal["ja", "en"] = "ja"
    # Whose contact this is: while that family (or account) takes part in a search,
    # this recipient hears of new sightings.
    family: Id | None = None
    user: str | None = Field(default=None, max_length=64)
    # apprise URLs (LINE, e-mail, JSON webhook, ntfy, SMS gateways...), one per line, in
    # a file of their own: they carry tokens and passwords.
    channels_file: FilePath

    def read_channels(self) -> list[str]:
        lines = self.channels_file.read_text(encoding="utf-8").splitlines()
        return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


class EscalationStep(Strict):
    after_min: float = Field(ge=0, le=60 * 24 * 31)  # after the alert opened
    notify: list[Id] = Field(min_length=1)


class Policy(Strict):
    """Who is told when: e.g. family at once, the volunteer after 2 h, the care center
    after 6 h; repeated every ``repeat_min`` until someone acknowledges."""

    id: Id
    steps: list[EscalationStep] = Field(min_length=1)
    repeat_min: float | None = Field(default=None, ge=1, le=60 * 24)

    @field_validator("steps")
    @classmethod
    def _rising(cls, value: list[EscalationStep]) -> list[EscalationStep]:
        times = [s.after_min for s in value]
        if times != sorted(set(times)):
            raise ValueError("steps must come in rising after_min")
        return value


class HouseholdEntry(Strict):
    """A home with a check-in button and its home gateway(s)."""

    id: Id  # the id in the home gateway's config
    name: str = Field(min_length=1, max_length=100)
    gateways: list[Id] = Field(min_length=1)
    timezone: TimeZone = "Asia/Tokyo"  # for the calendar; the gateway keeps the schedule
    people: list[Id] = Field(default_factory=list)
    policy: Id = "default"  # the escalation policy for its alerts


class FamilyEntry(Strict):
    id: Id
    name: str = Field(min_length=1, max_length=100)
    people: list[Id] = Field(default_factory=list)
    households: list[Id] = Field(default_factory=list)

    @model_validator(mode="after")
    def _someone(self) -> FamilyEntry:
        if not self.people and not self.households:
            raise ValueError("a family watches over 'people', 'households', or both")
        return self


def _unique(what: str, ids: list[str]) -> None:
    if dupes := configfile.duplicates(ids):
        raise ValueError(f"{what} ids must be unique: {', '.join(dupes)}")


class TownRegister(Strict):
    """The register's part of the hub's YAML (top-level keys beside ``hub:``): each list
    checked for unique ids, and every id it names checked against the others."""

    gateways: list[GatewayEntry] = Field(default_factory=list)
    # Validated in this order: people may name recipients and policies.
    recipients: list[Recipient] = Field(default_factory=list)
    policies: list[Policy] = Field(default_factory=list)
    people: list[PersonEntry] = Field(default_factory=list)
    households: list[HouseholdEntry] = Field(default_factory=list)
    families: list[FamilyEntry] = Field(default_factory=list)

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

    @field_validator("gateways")
    @classmethod
    def _unique_gateways(cls, value: list[GatewayEntry]) -> list[GatewayEntry]:
        _unique("gateway", [g.id for g in value])
        return value

    @field_validator("people")
    @classmethod
    def _unique_people(cls, value: list[PersonEntry], info: ValidationInfo) -> list[PersonEntry]:
        _unique("person", [p.id for p in value])
        _unique("tag", [t for p in value for t in p.tags])
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
            wanted = person.outings.notify if person.outings else []
            if missing := sorted({r for r in wanted if r not in recipients}):
                raise ValueError(
                    f"person {person.id!r} names unknown recipients: {', '.join(missing)}"
                )
            if person.policy is not None and person.policy not in policies:
                raise ValueError(f"person {person.id!r} names unknown policy {person.policy!r}")
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

    @field_validator("households")
    @classmethod
    def _homes(cls, value: list[HouseholdEntry], info: ValidationInfo) -> list[HouseholdEntry]:
        _unique("household", [h.id for h in value])
        policies = {p.id for p in info.data.get("policies", [])}
        for home in value:
            if policies and home.policy not in policies:
                raise ValueError(f"household {home.id!r} names unknown policy {home.policy!r}")
        _unique("household gateway", [g for h in value for g in h.gateways])
        known = {p.id for p in info.data.get("people", [])}
        for home in value:
            if missing := [p for p in home.people if p not in known]:
                raise ValueError(
                    f"household {home.id!r} names unknown people: {', '.join(missing)}"
                )
        return value
