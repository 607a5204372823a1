"""The town's register, one model per entity: areas (care-centre districts), watch
points, people with their tags, consent and contacts, contacts (who is told about
alerts), escalation policies, households and families. Every change to the register
validates its entry with these models (``changes.py``), the YAML import as much as
the desk's forms and the API; the database keeps each entry as its JSON
(``records.py``) and ``registry.py`` builds the lookups the rest of the hub uses.

Imports nothing beyond pydantic, ``protocol/`` and the gateway's check-in schedule
(``edge/config.py``), so that ``mimamori check`` works on a gateway that has only
``mimamori[edge]``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    SecretStr,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)

from mimamori import configfile
from mimamori.edge.config import CheckinSection
from mimamori.hub.model.clock import system_clock
from mimamori.protocol.tags import TagFormat, is_valid_tag_id
from mimamori.settings import Id, Strict, TimeZone

# A tag with rotating ids (Eddystone-EID) is named in the registry by a stable id of the
# hub's own choosing; its key is in the database (``mimamori hub tag add``).
EID_TAG_PATTERN = r"^eid:[a-z0-9][a-z0-9._-]{0,62}$"
_EID_TAG = re.compile(EID_TAG_PATTERN)

# The validation context's key for the hub's time an entry is read at: what its dates
# may not lie in the future (the change service and the import give the hub's clock).
READ_AT = "read_at"
# ... and its key saying the entry is read back from the database: checked when it was
# written, on the hub's clock then, so "a day still to come" is not asked again.
STORED = "stored"


def is_eid_tag(tag: str) -> bool:
    return bool(_EID_TAG.match(tag))


def read_at(info: ValidationInfo) -> datetime:
    """The hub's time the entry is read at; the system's when the reader gave none."""
    context: dict[str, Any] = info.context or {}
    at = context.get(READ_AT)
    return at if isinstance(at, datetime) else system_clock()


def _not_ahead(day: date, info: ValidationInfo, what: str) -> None:
    if (info.context or {}).get(STORED):
        return
    # A day of slack: "today" in Japan is still tomorrow for UTC until 09:00.
    if day > read_at(info).date() + timedelta(days=1):
        raise ValueError(f"{what} {day}, a day still to come")


Text = Annotated[str, Field(min_length=1, max_length=100)]
# Phone numbers as people write them: 098-892-1111, +81 98 892 1111, (098) 892-1111.
Phone = Annotated[str, Field(pattern=r"^\+?[0-9][0-9 ()-]{3,24}$")]
# ふりがな: hiragana or katakana, the long-vowel mark, middle dots and spaces.
Reading = Annotated[str, Field(pattern=r"^[\u3041-\u309f\u30a0-\u30ff\u3000 ・ー]{1,100}$")]


class AreaEntry(Strict):
    """A care centre's district (地域包括支援センターの担当地域): people, households and
    watch points each belong to one; staff see and edit their own areas."""

    id: Id
    name: Text
    # "Not seen for N days" (hub/cases/not_seen.py): the centre's N for its people
    # without their own; None: the rule's default (3 days).
    not_seen_days: int | None = Field(default=None, ge=1, le=30)
    # The care centre's own recipient (a contact: its channels are write-only, as every
    # contact's), told of finders' scans and partners' sightings (issue 18).
    centre: Id | None = None


class GatewayEntry(Strict):
    """A watch point: a gateway, where it stands and who hosts it."""

    id: Id
    area: Id
    name: Text
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    site: Literal["vending", "shop", "home", "other"] = "vending"
    host: str | None = Field(default=None, min_length=1, max_length=100)  # the partner
    installed_on: date | None = None


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
    notify: list[Id] = Field(min_length=1)  # contacts


# What a consent covers: "location", where the person's tags were seen (kept, shown to
# their family and staff); "search", that location shared with searchers (the police)
# while the person is missing; "checkin", their household's check-ins shared with the
# volunteers (民生委員) and family who watch over it; "meter", power or meter data.
Purpose = Literal["location", "search", "checkin", "meter"]
PURPOSES: tuple[Purpose, ...] = ("location", "search", "checkin", "meter")
Relation = Literal["self", "guardian", "family", "other"]  # guardian: 成年後見人


class ConsentRecord(Strict):
    """One purpose of a signed consent form: who agreed, when, where the form is kept,
    and since when it is withdrawn."""

    purpose: Purpose
    by: Text  # the person, or who may decide for them
    relation: Relation = "self"
    at: date
    record: str | None = Field(default=None, max_length=200)  # where the signed form is kept
    withdrawn_at: date | None = None  # from then on it no longer covers the purpose

    @model_validator(mode="after")
    def _dates(self, info: ValidationInfo) -> ConsentRecord:
        _not_ahead(self.at, info, "consent given on")
        if self.withdrawn_at is not None:
            if self.withdrawn_at < self.at:
                raise ValueError("withdrawn_at comes before the consent was given")
            _not_ahead(self.withdrawn_at, info, "consent withdrawn on")
        return self

    @property
    def in_force(self) -> bool:
        return self.withdrawn_at is None


def _tag_id(tag: str) -> str:
    if tag.startswith(f"{TagFormat.EDDYSTONE_EID}:"):
        raise ValueError(
            f"{tag!r} changes every rotation period: name the tag 'eid:NAME' and "
            "give its key with 'mimamori hub tag add' (docs/eid.md)"
        )
    if not is_valid_tag_id(tag) and not is_eid_tag(tag):
        raise ValueError(f"{tag!r} is not a tag id (see docs/protocol.md)")
    return tag


TagId = Annotated[str, AfterValidator(_tag_id)]
# A reference to a stored photo (the desk uploads and re-encodes it; issue 14).
BlobRef = Annotated[str, Field(pattern=r"^[A-Za-z0-9:._-]{1,128}$")]


class PersonEntry(Strict):
    """Someone watched over: the care record the desk keeps, their tags, consent per
    purpose, and who to call, in order."""

    id: Id
    area: Id  # the responsible care centre's district
    name: Text
    reading: Reading | None = None  # ふりがな
    birth_date: date | None = None
    address: str | None = Field(default=None, min_length=1, max_length=200)
    phone: Phone | None = None
    # What the police ask for in a search: height, clothing habits, how they speak.
    description: str | None = Field(default=None, max_length=2000)
    photo: BlobRef | None = None
    household: Id | None = None  # the home they live in
    minsei: Id | None = None  # their 民生委員: a contact
    key_holder: str | None = Field(default=None, max_length=200)  # who has a key to the home
    review_on: date | None = None  # the yearly review (宜野湾 updates once a year)
    notes: str | None = Field(default=None, max_length=4000)
    tags: list[TagId] = Field(default_factory=list, max_length=16)
    consents: list[ConsentRecord] = Field(default_factory=list, max_length=len(PURPOSES))
    contacts: list[Id] = Field(default_factory=list, max_length=10)  # emergency, in order
    usual_area: UsualArea | None = None
    outings: Outings | None = None
    # The escalation policy of alerts about this person (outside the usual area);
    # default: their household's, else "default".
    policy: Id | None = None
    not_seen_days: int | None = Field(default=None, ge=1, le=30)  # None: the area's N
    # Check-in by LINE for someone with no button (docs/line.md): the same schedule and
    # ladder as a home gateway's, kept by the hub; asked on their own contact's LINE.
    line_checkin: CheckinSection | None = None

    @model_validator(mode="after")
    def _each_once(self, info: ValidationInfo) -> PersonEntry:
        if dupes := configfile.duplicates(self.tags):
            raise ValueError(f"tags given twice: {', '.join(dupes)}")
        if dupes := configfile.duplicates(c.purpose for c in self.consents):
            raise ValueError(f"one consent record per purpose: {', '.join(dupes)} twice")
        if dupes := configfile.duplicates(self.contacts):
            raise ValueError(f"contacts given twice: {', '.join(dupes)}")
        if self.birth_date is not None:
            _not_ahead(self.birth_date, info, "born on")
        return self

    def consent_for(self, purpose: Purpose) -> ConsentRecord | None:
        return next((c for c in self.consents if c.purpose == purpose), None)

    def consents_to(self, purpose: Purpose) -> bool:
        """A recorded consent covers ``purpose`` and was not withdrawn."""
        found = self.consent_for(purpose)
        return found is not None and found.in_force


# An apprise URL (LINE, e-mail, JSON webhook, ntfy, SMS gateways...): it carries tokens
# and passwords, so it is a secret: written, never shown back (``masked``).
_CHANNEL = re.compile(r"^[a-z][a-z0-9+.-]{0,31}://\S{1,2000}$")


def _channel(value: SecretStr) -> SecretStr:
    url = value.get_secret_value()
    if url == masked(url):  # a form sending back what it was shown would lose the real one
        raise ValueError("a masked channel: leave channels out to keep those on record")
    if not _CHANNEL.match(url):
        raise ValueError("not a channel URL (scheme://..., e.g. mailto://, json://, line://)")
    return value


Channel = Annotated[SecretStr, AfterValidator(_channel)]


def masked(url: str) -> str:
    """What may be shown of a channel: its scheme, never the rest."""
    scheme, _, _ = url.partition("://")
    return f"{scheme.lower()}://…"


class ContactFields(Strict):
    """Someone told about alerts: family, a volunteer (民生委員), a care centre."""

    id: Id
    name: Text
    relation: str | None = Field(default=None, min_length=1, max_length=50)  # 長男, 民生委員
    phone: Phone | None = None
    lang: Literal["ja", "en"] = "ja"
    # Whose contact this is: while that family (or account) takes part in a search,
    # this contact hears of new sightings.
    family: Id | None = None
    user: str | None = Field(default=None, max_length=64)


class ContactEntry(ContactFields):
    """A contact as a change gives it, with its channels. ``channels`` None: keep the
    ones on record (the desk never shows them, so a form leaves them out)."""

    channels: list[Channel] | None = Field(default=None, max_length=10)

    @field_serializer("channels")
    def _masked(self, channels: list[SecretStr] | None) -> list[str] | None:
        return None if channels is None else [masked(c.get_secret_value()) for c in channels]

    def channel_urls(self) -> list[str] | None:
        """The secret URLs, for the store alone."""
        if self.channels is None:
            return None
        return [c.get_secret_value() for c in self.channels]


class Recipient(ContactFields):
    """A contact as the register shows it: its channels masked (``mailto://…``), so
    nothing read for display or kept in memory carries a secret. Delivery reads the
    URLs themselves from the store, one notification at a time."""

    channels: list[str] = Field(default_factory=list)


# What a step asks of the people it tells: be told (family), phone the person and say
# what they heard (staff, a volunteer), go and see (the 民生委員). The one-tap page and
# the timeline say it; the ladder's level 2 (72 h) always reaches the first "visit" step.
StepAction = Literal["notify", "call", "visit"]


class EscalationStep(Strict):
    after_min: float = Field(ge=0, le=60 * 24 * 31)  # after the alert opened
    notify: list[Id] = Field(min_length=1)
    action: StepAction = "notify"


def _rising(value: list[EscalationStep]) -> list[EscalationStep]:
    times = [s.after_min for s in value]
    if times != sorted(set(times)):
        raise ValueError("steps must come in rising after_min")
    return value


Steps = Annotated[list[EscalationStep], AfterValidator(_rising), Field(min_length=1, max_length=20)]
# A route's key: an alert kind (``sos``, ``checkin_missed``...) or a group of kinds
# (``device``: every device and gateway problem); hub/alerts/routing.py reads them.
RouteKey = Annotated[str, Field(pattern=r"^[a-z][a-z_]{0,39}$")]
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class Route(Strict):
    """The steps of one kind of alert: by day, and outside office hours and on public
    holidays (``night_steps``; none: the day's steps at any hour)."""

    steps: Steps
    night_steps: Steps | None = None


class OfficeHours(Strict):
    """When the day route applies: these hours, Monday to Friday, unless the day is a
    public holiday of Japan (``holidays``). 08:30-17:15 is a town hall's usual day."""

    start: str = Field(default="08:30", pattern=_CLOCK.pattern)
    end: str = Field(default="17:15", pattern=_CLOCK.pattern)
    timezone: TimeZone = "Asia/Tokyo"

    @model_validator(mode="after")
    def _ordered(self) -> OfficeHours:
        if self.start >= self.end:
            raise ValueError("office hours must start before they end")
        return self


class Policy(Strict):
    """Who is told when, per kind of alert and time of day: e.g. family at once, the
    volunteer after 2 h, the care center after 6 h; the latest step repeated every
    ``repeat_min`` until someone answers. ``steps`` (with ``night_steps``) is the route
    of every kind without a route of its own. Someone handling an alert pauses its
    chain for ``handling_timeout_min``; then it goes on."""

    id: Id
    steps: Steps
    night_steps: Steps | None = None
    routes: dict[RouteKey, Route] = Field(default_factory=dict, max_length=20)
    office_hours: OfficeHours | None = None  # None: every hour is a day hour
    repeat_min: float | None = Field(default=None, ge=1, le=60 * 24)
    # Two hours: long enough to drive to the home and look; short enough that a relative
    # who said "I'll handle it" and could not is followed up the same morning.
    # The floor is low on purpose: a shorter pause only escalates sooner (the safe way),
    # and the end-to-end test waits seconds, not minutes (tests/e2e/test_escalation_walk.py).
    handling_timeout_min: float = Field(default=120, ge=0.1, le=60 * 24 * 3)

    def all_steps(self) -> list[EscalationStep]:
        """Every step of every route, by day and by night."""
        found = [*self.steps, *(self.night_steps or [])]
        for route in self.routes.values():
            found += [*route.steps, *(route.night_steps or [])]
        return found


class HouseholdEntry(Strict):
    """A home: its gateways (a check-in button, a home gateway), its area and policy.
    Who lives there is said on each person (``PersonEntry.household``)."""

    id: Id  # the id in the home gateway's config
    area: Id
    name: Text
    gateways: list[Id] = Field(default_factory=list, max_length=16)
    timezone: TimeZone = "Asia/Tokyo"  # for the calendar; the gateway keeps the schedule
    policy: Id = "default"  # the escalation policy for its alerts
    evacuation_support: bool = False  # 避難行動要支援者: on the disaster roll-call list
    address: str | None = Field(default=None, min_length=1, max_length=200)
    notes: str | None = Field(default=None, max_length=4000)

    @field_validator("gateways")
    @classmethod
    def _once(cls, value: list[str]) -> list[str]:
        if dupes := configfile.duplicates(value):
            raise ValueError(f"gateways given twice: {', '.join(dupes)}")
        return value


class Household(HouseholdEntry):
    """A household as the registry shows it: with the people who live there."""

    people: list[Id] = Field(default_factory=list)


class FamilyEntry(Strict):
    """Who may see whom: the people on the map, the households' check-ins."""

    id: Id
    name: Text
    people: list[Id] = Field(default_factory=list)
    households: list[Id] = Field(default_factory=list)

    @model_validator(mode="after")
    def _someone(self) -> FamilyEntry:
        if not self.people and not self.households:
            raise ValueError("a family watches over 'people', 'households', or both")
        for named in (self.people, self.households):
            if dupes := configfile.duplicates(named):
                raise ValueError(f"named twice: {', '.join(dupes)}")
        return self
