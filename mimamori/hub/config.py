"""The hub's YAML config (see configs/hub.yaml): the service settings under ``hub:``
(database, broker, web, sign-in, searches, peers, rotating ids, privacy, LINE), and nothing
else. The town's register (people, households, contacts...) lives in the database
(``register/``); a file that still holds it is refused, with the command that moves
it there (``mimamori hub import``). Imports nothing beyond pydantic, so that
``mimamori check`` works on a gateway that has only ``mimamori[edge]``.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from mimamori import configfile
from mimamori.configfile import YamlDocument
from mimamori.errors import ConfigError, Problem
from mimamori.hub.register.yaml_format import REGISTER_KEYS
from mimamori.protocol.commands import DEFAULT_TRIAL_S, MAX_TRIAL_S
from mimamori.settings import BrokerSettings, FilePath, Id, Strict, context_for

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
        if dupes := configfile.duplicates(p.id for p in value):
            raise ValueError(f"peer ids must be unique: {', '.join(dupes)}")
        return value


KEK_ENV = "MIMAMORI_EID_KEK"  # the key-encryption key, when not in eid.kek_file


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
    # A found-person thread's messages and the finder's position (issue 18, hub/found/)
    # are deleted this long after the family marked the person safe: long enough to
    # thank the finder or answer the police, no longer (docs/found.md).
    found_messages_days: float = Field(default=30.0, ge=1.0, le=365.0)


class LineSettings(Strict):
    """The town's LINE Official Account (docs/line.md). Its channel secret and access
    token are read from files of their own: never written in this YAML."""

    channel_secret_file: FilePath  # signs the webhooks LINE sends (X-Line-Signature)
    access_token_file: FilePath  # a long-lived channel access token: push and reply
    # The Messaging API's base URL; a test points it at a local LINE.
    api_url: str = Field(default="https://api.line.me", pattern=r"^https?://")
    # The account's basic id (@ and 8 characters): with it, the linking code comes with a
    # link that opens the account's chat with the code already typed.
    basic_id: str | None = Field(default=None, pattern=r"^@[0-9a-z._-]{1,32}$")
    # Messages a month the plan includes: 200 on the free plan (コミュニケーションプラン);
    # admins are warned at 80 %.
    monthly_allowance: int = Field(default=200, ge=1, le=10_000_000)
    # How long a linking code may be used: a day covers "the desk hands it over, the
    # daughter adds the account that evening".
    code_ttl_h: float = Field(default=24.0, gt=0, le=24 * 14)
    # Pushes a second this hub (worker) starts at most: 90 % of LINE's 2,000 a second per
    # channel, the margin LINE asks for (hub/line/pace.py); several workers share it.
    push_per_s: float = Field(default=1800.0, gt=0, le=2000.0)

    def read_secret(self) -> str:
        return self.channel_secret_file.read_text(encoding="utf-8").strip()

    def read_token(self) -> str:
        return self.access_token_file.read_text(encoding="utf-8").strip()


class ReminderSettings(Strict):
    """The person is asked first (issue 15): a level-0 missed check-in beeps the home's
    button and reaches the person's own channels."""

    # The button beeps until pressed, at most this long: an hour covers a nap or a walk
    # to the shop; level 1 (23 h by default) tells others long after it stopped.
    beep_for_min: float = Field(default=60.0, ge=1.0, le=24 * 60.0)
    # A reminder the hub learns of later than this (it was down) is not sent: a beep
    # hours after the due time only alarms; the broker drops the command after it too.
    expiry_min: float = Field(default=30.0, ge=1.0, le=24 * 60.0)


class WatchPointSettings(Strict):
    """Watch points (gateways that are not homes) that go offline (issue 15)."""

    # A watch point offline this long raises one alert for the technician: 15 minutes
    # outlasts a router's restart and the hub's own 3-missed-statuses judgement.
    # The floor is low for the end-to-end test (seconds); a town keeps minutes.
    offline_grace_min: float = Field(default=15.0, ge=0.05, le=7 * 24 * 60.0)
    # Back online this long closes it; a gateway that flaps within it keeps one alert.
    hold_down_min: float = Field(default=10.0, ge=0.0, le=24 * 60.0)
    # A receiver is deaf after deaf_factor x its longest quiet of the past week, within
    # [deaf_floor_min, deaf_cap_min], once it has been heard deaf_learn_min; back after
    # adverts in deaf_recover_min minutes (alerts/hearing.py says why these numbers).
    deaf_factor: float = Field(default=2.0, ge=1.0, le=10.0)
    deaf_floor_min: int = Field(default=30, ge=2, le=7 * 24 * 60)
    deaf_cap_min: int = Field(default=24 * 60, ge=2, le=7 * 24 * 60)
    deaf_learn_min: int = Field(default=24 * 60, ge=0, le=7 * 24 * 60)
    deaf_recover_min: int = Field(default=3, ge=1, le=60)
    # How often the deaf watch reads the statuses: they come every minute by default, so
    # each is looked at in time. End-to-end tests (seconds-long minutes) shorten it.
    deaf_check_s: float = Field(default=30.0, ge=0.5, le=600.0)
    # An online gateway's outbox this deep: its events are not confirmed (alert); back
    # under outbox_clear_events: resolved (alerts/gateway_health.py says why).
    outbox_alert_events: int = Field(default=1000, ge=10, le=10_000_000)
    outbox_clear_events: int = Field(default=100, ge=0, le=10_000_000)
    # This many comings online within an hour: it restarts (or reconnects) in a loop.
    restarts_per_hour: int = Field(default=5, ge=2, le=1000)
    # Its data dir's disk is low under either bound (10 %: room for a few days of a
    # busy outbox and logs on a 16-32 GB card; 200 MB: a small card's floor); well
    # again over both clear bounds (alerts/gateway_health.py says why).
    disk_low_fraction: float = Field(default=0.10, gt=0.0, lt=1.0)
    disk_low_mb: int = Field(default=200, ge=1, le=1_000_000)
    disk_clear_fraction: float = Field(default=0.15, gt=0.0, lt=1.0)
    disk_clear_mb: int = Field(default=300, ge=1, le=1_000_000)
    # A config from the hub (issue 20): how long the gateway's drivers may take to come
    # up before it rolls back by itself (protocol/commands.py DEFAULT_TRIAL_S says why).
    config_trial_s: int = Field(default=DEFAULT_TRIAL_S, ge=1, le=MAX_TRIAL_S)

    @model_validator(mode="after")
    def _disk_hysteresis(self) -> WatchPointSettings:
        low, clear = (
            (self.disk_low_fraction, self.disk_low_mb),
            (self.disk_clear_fraction, self.disk_clear_mb),
        )
        if clear[0] < low[0] or clear[1] < low[1]:
            raise ValueError("disk_clear_* must not be under disk_low_* (the hysteresis)")
        return self


class EnrollmentSettings(Strict):
    """Gateways enrolled with a one-time code (``hub gateway enroll``, docs/install-pi.md)."""

    # Where gateways reach the broker: the hub's own hub.broker.host is often
    # 127.0.0.1, which means the Pi itself to a Pi.
    broker_host: str = Field(min_length=1)
    broker_port: int = Field(default=8883, ge=1, le=65535)
    # The town's CA (``mimamori hub pki``): sent with the account, so the gateway's
    # broker link speaks TLS and checks the broker. None: plain MQTT (a closed network).
    ca_file: FilePath | None = None
    # A gateway YAML (without gateway and broker) that every new gateway starts from:
    # the town's tags, presence, receivers. Without receivers: one serial receiver at
    # /dev/mimamori-receiver (the name the installer's udev rule gives it).
    template: FilePath
    # 30 minutes: the time to walk from the van to the machine, open it and plug in.
    code_ttl_min: float = Field(default=30.0, ge=1.0, le=7 * 24 * 60.0)
    # How Mosquitto is told to read its password file again after an account is made,
    # run without a shell (``systemctl reload mosquitto``: SIGHUP, no restart).
    reload_command: list[str] = Field(default_factory=list, max_length=32)


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
    line: LineSettings | None = None  # None: no LINE account (notices by apprise only)
    reminders: ReminderSettings = Field(default_factory=ReminderSettings)
    watch_points: WatchPointSettings = Field(default_factory=WatchPointSettings)
    enrollment: EnrollmentSettings | None = None  # None: gateways are set up by hand


class HubConfig(Strict):
    """The hub's YAML: its service settings, under ``hub:``."""

    hub: HubSection

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
    line = config.hub.line
    if line is not None and plain_http(line.api_url):
        found.append(
            (
                ("hub", "line", "api_url"),
                "http:// sends the channel access token and contacts' notices in clear "
                "text: use https://",
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


def split_register(doc: configfile.YamlDocument) -> tuple[YamlDocument, YamlDocument | None]:
    """A hub file as its service settings and its register's keys (None: it has
    none), each keeping the places of the file."""
    data = doc.data if isinstance(doc.data, dict) else {}
    kept = {k: v for k, v in data.items() if k not in REGISTER_KEYS}
    register = {k: v for k, v in data.items() if k in REGISTER_KEYS}
    service = YamlDocument(doc.file, kept if isinstance(doc.data, dict) else doc.data,
                           doc.positions)  # fmt: skip
    return service, (YamlDocument(doc.file, register, doc.positions) if register else None)


def register_keys_problems(doc: YamlDocument, path: Path) -> list[Problem]:
    """A problem at each of the register's keys still in a hub file: the register is
    kept in the database, and the hub refuses to start on a file that still holds it."""
    data = doc.data if isinstance(doc.data, dict) else {}
    return [
        doc.problem(
            (key,),
            "the register is kept in the database now: move it there with "
            f"'mimamori hub import --config {path}', then delete this key "
            "(docs/config.md#the-register)",
        )
        for key in REGISTER_KEYS
        if key in data
    ]


def load_hub_config(path: Path) -> HubConfig:
    """The file at ``path``; ConfigError with every problem's place, and at each of
    the register's keys the file still holds (``register_keys_problems``)."""
    doc = configfile.read_yaml(path)
    if problems := register_keys_problems(doc, path):
        raise ConfigError(problems)
    return configfile.validate(doc, HubConfig, context_for(path))


def load_service(path: Path) -> tuple[HubConfig, YamlDocument | None]:
    """A hub file's service settings, and its register's keys as they stand (None:
    it has none): for ``mimamori hub import`` and ``mimamori check``, which read a
    file written before the register moved."""
    service, register = split_register(configfile.read_yaml(path))
    return configfile.validate(service, HubConfig, context_for(path)), register
