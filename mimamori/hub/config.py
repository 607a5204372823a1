"""The hub's YAML config: service settings and the registry of gateways, people and
families (see configs/hub.yaml). Imports nothing beyond pydantic, so that
``mimamori check`` works on a gateway that has only ``mimamori[edge]``.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator, model_validator

from mimamori import configfile
from mimamori.protocol.tags import TagFormat, is_valid_tag_id
from mimamori.settings import BrokerSettings, FilePath, Id, Strict, TimeZone, context_for

# 地理院タイル (GSI standard map): Japanese labels, free with attribution.
GSI_TILES = "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png"
GSI_ATTRIBUTION = '<a href="https://maps.gsi.go.jp/development/ichiran.html">地理院タイル</a>'


class HttpSettings(Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)  # 0: any free port (tests, demo)
    # How families' phones reach the hub; used in sign-in links. Cookies are marked
    # Secure when this is https.
    public_url: str = Field(default="http://127.0.0.1:8080", pattern=r"^https?://")


class PostgresSettings(Strict):
    """A PostgreSQL database (docs/postgres.md). A password, when the server asks for
    one, is read from a file of its own: never written in this YAML."""

    host: str = Field(default="127.0.0.1", min_length=1)  # or a unix socket directory
    port: int = Field(default=5432, ge=1, le=65535)
    dbname: str = Field(default="mimamori", pattern=r"^[A-Za-z_][A-Za-z0-9_$-]{0,62}$")
    user: str = Field(default="mimamori", pattern=r"^[A-Za-z_][A-Za-z0-9_$.-]{0,62}$")
    password_file: FilePath | None = None
    # Connections of one hub worker: ingest holds one per commit, the alert engine,
    # the delivery worker and each request one while they run.
    pool_size: int = Field(default=10, ge=2, le=200)

    def read_password(self) -> str | None:
        if self.password_file is None:
            return None
        return self.password_file.read_text(encoding="utf-8").strip()

    def describe(self) -> str:
        """Where, for messages: never the password."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}"


class DatabaseSettings(Strict):
    """SQLite at ``path`` (the default engine), or a PostgreSQL server (``postgres``)."""

    path: FilePath | None = None
    postgres: PostgresSettings | None = None

    @model_validator(mode="after")
    def _one_engine(self) -> DatabaseSettings:
        if (self.path is None) == (self.postgres is None):
            raise ValueError("give either path (SQLite) or postgres, not both")
        return self


class HubBrokerSettings(BrokerSettings):
    # The hub's MQTT session must outlive its restarts so the broker keeps what
    # arrived meanwhile: one fixed client id per hub (per worker: ``hub.worker_id``
    # is added to it, and the workers share the gateways' events as the group
    # named by this id).
    client_id: Id = "mimamori-hub"

    def account(self, worker_id: str | None = None) -> str | None:
        """The broker user name of this hub, or of one worker among several: the
        town's broker binds each account to its client id (``use_username_as_clientid``),
        so workers sharing one account would throw each other out. Each worker is an
        account of its own, named like its client id: ``<username>-<worker_id>``."""
        if self.username is None or worker_id is None:
            return self.username
        return f"{self.username}-{worker_id}"


class TileSettings(Strict):
    url: str = GSI_TILES
    attribution: str = GSI_ATTRIBUTION
    max_zoom: int = Field(default=18, ge=1, le=22)


class MapSettings(Strict):
    tiles: TileSettings = Field(default_factory=TileSettings)
    zoom: int = Field(default=16, ge=1, le=22)


class AuthSettings(Strict):
    signin_link_ttl_h: float = Field(default=72.0, gt=0, le=24 * 30)
    session_ttl_days: float = Field(default=30.0, gt=0, le=365)


class MosquittoFiles(Strict):
    """Where the hub keeps Mosquitto's password and ACL files (``hub gateway add``)."""

    password_file: FilePath
    acl_file: FilePath


class SearchSettings(Strict):
    # Ginowan's families usually find the person within hours; a day covers a night.
    default_hours: float = Field(default=24.0, gt=0, le=24 * 7)
    max_hours: float = Field(default=72.0, gt=0, le=24 * 30)
    # Links for the police or volunteers: a day by default, a week at most.
    share_default_hours: float = Field(default=24.0, gt=0, le=24 * 7)
    share_max_hours: float = Field(default=24.0 * 7, gt=0, le=24 * 30)
    # Participants hear of new sightings at most once per gateway in this time.
    notify_every_min: float = Field(default=5.0, ge=0, le=24 * 60)


class Peer(Strict):
    """A neighbouring town's hub. Both hubs hold the same secret (a file of its own)
    and sign each request with it (HMAC-SHA256, a time and a nonce; the secret itself
    never travels: docs/searches.md#signed-requests)."""

    id: Id  # the peer's town id, as it calls itself
    url: str = Field(pattern=r"^https?://")  # its hub's public URL (https: check warns)
    secret_file: FilePath

    def read_secret(self) -> str:
        return self.secret_file.read_text(encoding="utf-8").strip()


class Federation(Strict):
    """Searches cross town borders: a search here is relayed to each peer's gateways,
    and their sightings of the searched tags come back. Nothing else is shared."""

    town: Id  # this hub's town id, as its peers know it
    peers: list[Peer] = Field(min_length=1)

    @field_validator("peers")
    @classmethod
    def _unique_peers(cls, value: list[Peer]) -> list[Peer]:
        _unique("peer", [p.id for p in value])
        return value


# A tag with rotating ids (Eddystone-EID) is named in the registry by a stable id of the
# hub's own choosing; its key is in the database (``mimamori hub tag add``).
EID_TAG_PATTERN = r"^eid:[a-z0-9][a-z0-9._-]{0,62}$"
_EID_TAG = re.compile(EID_TAG_PATTERN)
KEK_ENV = "MIMAMORI_EID_KEK"  # the key-encryption key, when not in eid.kek_file


def is_eid_tag(tag: str) -> bool:
    return bool(_EID_TAG.match(tag))


class EidSettings(Strict):
    """Tags with rotating ids (docs/eid.md)."""

    # 64 hex digits (AES-256-GCM) sealing the tags' identity keys in the database, in a
    # file of their own; the environment variable MIMAMORI_EID_KEK wins when set.
    kek_file: FilePath | None = None
    # Rotation periods either side of the one a tag should show now that still resolve:
    # its clock may drift (150 ppm is the spec's bound) between sightings.
    window_periods: int = Field(default=2, ge=0, le=64)
    # Periods behind the window whose ids are still recognised, so a recorded id played
    # back later is told apart from a stranger's (rejected and counted as a replay).
    history_periods: int = Field(default=8, ge=0, le=1024)


class PrivacySettings(Strict):
    """What the hub keeps, and for whom (docs/privacy.md)."""

    # Sightings (tag.* events) older than this are purged, except those an open alert
    # or a search needs. A month shows a family the routes of the last weeks.
    sightings_days: float = Field(default=30.0, ge=1.0, le=3650.0)
    purge_every_h: float = Field(default=6.0, gt=0.0, le=24.0 * 7)
    # True: only people with a recorded consent to "location" are tracked; sightings
    # of anyone else's tags (and of tags nobody holds) are dropped at ingest, counted.
    require_consent: bool = True


class HubSection(Strict):
    http: HttpSettings = Field(default_factory=HttpSettings)
    database: DatabaseSettings
    # Several hub workers on one PostgreSQL database: each its own id (docs/postgres.md).
    worker_id: Id | None = None
    broker: HubBrokerSettings
    map: MapSettings = Field(default_factory=MapSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    language: Literal["ja", "en"] = "ja"
    mosquitto: MosquittoFiles | None = None
    search: SearchSettings = Field(default_factory=SearchSettings)
    federation: Federation | None = None
    eid: EidSettings = Field(default_factory=EidSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)


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
    def _dates(self) -> Consent:
        # A day of slack: "today" in Japan is still tomorrow for UTC until 09:00.
        if self.at > datetime.now(UTC).date() + timedelta(days=1):
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


class HubConfig(Strict):
    hub: HubSection
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

    @model_validator(mode="after")
    def _workers_share_postgres(self) -> HubConfig:
        if self.hub.worker_id is not None and self.hub.database.postgres is None:
            raise ValueError(
                "hub.worker_id: several hub workers need a shared database "
                "(hub.database.postgres); SQLite has one writer"
            )
        return self


def plain_http(url: str) -> bool:
    """An ``http://`` URL that leaves this machine (loopback stays inside it)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "http" or host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True  # a name: it resolves to some other machine


def cleartext_urls(config: HubConfig) -> list[tuple[tuple[str | int, ...], str]]:
    """Where the file sends what must stay private over plain http: warnings, not
    errors (a trial on a closed network may have no certificate yet; docs/deploy.md)."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    if plain_http(config.hub.http.public_url):
        found.append(
            (
                ("hub", "http", "public_url"),
                "http:// sends sign-in links and session cookies in clear text and the "
                "cookies are not marked Secure: use https://",
            )
        )
    federation = config.hub.federation
    for i, peer in enumerate(federation.peers if federation else []):
        if plain_http(peer.url):
            found.append(
                (
                    ("hub", "federation", "peers", i, "url"),
                    "http:// sends a missing person's tags and sightings to this peer in "
                    "clear text (signed, but readable): use https://",
                )
            )
    return found


def load_hub_config(path: Path) -> HubConfig:
    return configfile.load(path, HubConfig, context_for(path))
