"""Helpers shared by the hub's tests: a real hub on a free port with its own store and
broker, a test-side gateway, and the small builders and waits several rooms use.

Fixtures stay in conftest.py; what a test module needs from another lives here."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import uvicorn
import yaml
from fastapi import FastAPI

from mimamori.demo.mosquitto import PrivateBroker, free_port
from mimamori.hub.access.auth import hash_password, issue
from mimamori.hub.alerts.engine import AlertEngine
from mimamori.hub.config import DatabaseSettings, HubConfig
from mimamori.hub.model.accounts import CredentialKind, Role, User
from mimamori.hub.model.clock import Clock, system_clock
from mimamori.hub.model.register import Actor, Entity
from mimamori.hub.register.changes import RegisterChanges
from mimamori.hub.register.importing import import_register
from mimamori.hub.register.loading import load_registry, registry_of_file
from mimamori.hub.register.registry import Registry
from mimamori.hub.register.reload import RegistryReloader
from mimamori.hub.register.schema import READ_AT, Recipient
from mimamori.hub.register.yaml_format import REGISTER_KEYS, RegisterFile
from mimamori.hub.server.app import create_app
from mimamori.hub.server.state import HubState
from mimamori.hub.store.opening import open_store
from mimamori.hub.store.port import Store
from mimamori.hub.store.sql_store import SqlStore
from mimamori.mqtt import LinkSettings, Message, MqttLink
from mimamori.protocol import (
    Event,
    EventDraft,
    EventKind,
    GatewayStatus,
    encode_batch,
    encode_status,
    format_ts,
    new_event_id,
)
from mimamori.protocol.search import SEARCH_SUBSCRIPTION
from tests.pg import PgDatabases

TOWN = "fda50693-a4e2-4fb1-afcf-c6eb07647825"
TAG_TSURU = f"ibeacon:{TOWN}:1:1"
TAG_KAMA = f"ibeacon:{TOWN}:1:2"
TAG_KAMA_SPARE = "eddystone-uid:00112233445566778899:a1b2c3d4e5f6"
# Recorded consent (docs/privacy.md): without it the hub keeps no sightings of a person.
CONSENT = {"by": "本人", "at": "2026-10-01", "purposes": ["location", "search", "checkin"]}


ENGINES = ("sqlite", "postgres")


@dataclass
class _Current:
    """The running test's engine, and the PostgreSQL database of each hub directory."""

    engine: str = "sqlite"
    pg: PgDatabases | None = None
    databases: dict[Path, dict[str, Any]] = field(default_factory=dict)


_current = _Current()


def database_for(directory: Path) -> dict[str, Any]:
    """The ``hub.database`` section of a hub whose files are in ``directory``: SQLite
    there, or (running on PostgreSQL) a fresh database, the same one each time."""
    if _current.engine == "sqlite" or _current.pg is None:
        return {"path": str(directory / "hub.sqlite3")}
    if directory not in _current.databases:
        _current.databases[directory] = _current.pg.fresh()
    return _current.databases[directory]


async def open_test_store(directory: Path) -> SqlStore:
    """The store of ``database_for(directory)``; open it again to reopen the same one."""
    return await open_store(DatabaseSettings.model_validate(database_for(directory)))


async def query(directory: Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` read straight from the database of ``database_for(directory)``,
    past the store (what is really kept)."""
    database = database_for(directory)
    if "path" in database:

        def read() -> list[tuple[Any, ...]]:
            with sqlite3.connect(database["path"]) as db:
                return [tuple(row) for row in db.execute(sql)]

        return await asyncio.to_thread(read)
    pg = database["postgres"]
    db = await asyncpg.connect(
        host=pg["host"], port=pg["port"], user=pg["user"], database=pg["dbname"]
    )
    try:
        return [tuple(row) for row in await db.fetch(sql)]
    finally:
        await db.close()


async def dump(directory: Path) -> str:
    """Every row of every table of the database, as text."""
    database = database_for(directory)
    if "path" in database:
        with sqlite3.connect(database["path"]) as db:
            return "\n".join(db.iterdump())
    tables = await query(
        directory, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    )
    rows = [
        row
        for (table,) in tables
        for row in await query(directory, f"SELECT t::text FROM {table} t")
    ]
    return "\n".join(str(row[0]) for row in rows)


def hub_document(tmp_path: Path, broker_port: int, http_port: int, **hub: Any) -> dict[str, Any]:
    """A test town as the hub's YAML had it: the service settings under ``hub:`` and
    the register beside them (``service_of``, ``register_of`` split it; a running hub
    imports the register into its database first, as ``mimamori hub import`` does)."""
    channels = tmp_path / "miyagi.channels"  # the contact's apprise URLs, read at import
    if not channels.exists():
        channels.write_text("")
    return {
        "hub": {
            "http": {"port": http_port, "public_url": f"http://127.0.0.1:{http_port}"},
            "database": database_for(tmp_path),
            "broker": {
                "host": "127.0.0.1",
                "port": broker_port,
                "keepalive_s": 5,
                "reconnect_max_s": 3,
            },
            **hub,
        },
        "gateways": [
            {"id": "gw-a", "name": "大山 自販機", "lat": 26.279, "lon": 127.776},
            {"id": "gw-b", "name": "市役所前 自販機", "lat": 26.2815, "lon": 127.7785},
            {"id": "gw-home", "name": "自宅 1", "lat": 26.28, "lon": 127.777, "site": "home"},
        ],
        "recipients": [{"id": "r-miyagi", "name": "宮城 花子", "channels_file": str(channels)}],
        "policies": [
            {
                "id": "default",
                "steps": [{"after_min": 0, "notify": ["r-miyagi"]}],
                "repeat_min": 30,
            }
        ],
        "households": [
            {"id": "hh-1", "name": "宮城さん宅", "gateways": ["gw-home"], "people": ["p-kama"]}
        ],
        "people": [
            {"id": "p-tsuru", "name": "比嘉 ツル", "tags": [TAG_TSURU], "consent": CONSENT},
            {
                "id": "p-kama",
                "name": "宮城 カマ",
                "tags": [TAG_KAMA, TAG_KAMA_SPARE],
                "consent": CONSENT,
            },
        ],
        "families": [
            {"id": "f-higa", "name": "比嘉家", "people": ["p-tsuru"]},
            {
                "id": "f-miyagi",
                "name": "宮城家",
                "people": ["p-kama"],
                "households": ["hh-1"],
            },
        ],
    }


def hub_config(tmp_path: Path, broker_port: int, http_port: int, **hub: Any) -> HubConfig:
    """The test town's service settings (``hub_document``'s ``hub:``)."""
    return service_of(hub_document(tmp_path, broker_port, http_port, **hub))


def service_of(doc: dict[str, Any]) -> HubConfig:
    return HubConfig.model_validate({"hub": doc["hub"]})


def register_of(doc: dict[str, Any], at: datetime | None = None) -> RegisterFile:
    """The register's keys of a test document, as ``mimamori hub import`` reads them
    (on the hub's time ``at``: what a consent's date may not pass)."""
    keys = {k: v for k, v in doc.items() if k in REGISTER_KEYS}
    return RegisterFile.model_validate(keys, context={READ_AT: at or datetime.now(UTC)})


IMPORTER = Actor("test", "admin", "import")


async def import_register_of(
    store: Store, doc: dict[str, Any], clock: Clock = system_clock
) -> None:
    """Import a test document's register into ``store``, as ``mimamori hub import``."""
    await import_register(register_of(doc, clock()), RegisterChanges(store, clock), IMPORTER)


def hub_files(tmp_path: Path, doc: dict[str, Any], name: str = "hub.yaml") -> Path:
    """A test document as the files a hub has now: its service settings (returned) and
    its register beside them, imported by ``mimamori hub import`` as a process."""
    hub = tmp_path / name
    hub.write_text(yaml.safe_dump({"hub": doc["hub"]}, allow_unicode=True), encoding="utf-8")
    register = hub.with_name(f"register-{name}")
    keys = {k: v for k, v in doc.items() if k in REGISTER_KEYS}
    register.write_text(yaml.safe_dump(keys, allow_unicode=True), encoding="utf-8")
    command = ["hub", "import", "--config", str(hub), "--register", str(register)]
    done = subprocess.run(
        [sys.executable, "-m", "mimamori", *command],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return hub


def registry_of_doc(doc: dict[str, Any]) -> Registry:
    """A test document's register as the hub's lookups, without a database (for pure
    rules: a hub reads its registry from its database)."""
    return registry_of_file(register_of(doc))


async def set_channels(changes: RegisterChanges, contact_id: str, *urls: str) -> None:
    """A contact's channels, changed as the desk changes them."""
    contact, version = await changes.read(Entity.CONTACT, contact_id, Recipient)
    fields = contact.model_dump(exclude={"channels"})
    await changes.update_contact({**fields, "channels": list(urls)}, version, IMPORTER)


@dataclass
class Gateway:
    """A test-side gateway: publishes v1 batches and statuses like a real one."""

    gw: str
    link: MqttLink
    seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def send(self, kind: EventKind, tag: str, ts: datetime | None = None, **data: Any) -> str:
        return await self.event(kind, ts, tag=tag, receiver="vm", **data)

    async def event(self, kind: EventKind, ts: datetime | None = None, **data: Any) -> str:
        event_id = new_event_id()
        draft = EventDraft(kind, ts or datetime.now(UTC), data)
        event = draft.numbered(event_id, next(self.seq))
        await self.link.publish(f"mimamori/v1/gw/{self.gw}/events", encode_batch(self.gw, [event]))
        return event_id

    async def raw(self, payload: bytes, topic: str | None = None) -> None:
        await self.link.publish(topic or f"mimamori/v1/gw/{self.gw}/events", payload)

    async def status(self, state: str = "online", **fields: Any) -> None:
        status = GatewayStatus.model_validate(
            {"gw": self.gw, "state": state, "ts": datetime.now(UTC), **fields}
        )
        await self.link.publish(
            f"mimamori/v1/gw/{self.gw}/status", encode_status(status), retain=True
        )


# Years from the real clock: a module that read datetime.now() instead of the hub's
# clock would be years early, and a test on this time fails.
Y2031 = datetime(2031, 5, 12, 3, 0, tzinfo=UTC)


class HubClock:
    """The clock a test hub runs on: every part of the hub calls it. ``now`` is a time
    (it stands still until the test moves it) or a clock to follow; the test may set
    it at any time (the hub's state is built once, frozen)."""

    def __init__(self, now: datetime | Clock = Y2031) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now() if callable(self.now) else self.now

    def advance(self, by: timedelta) -> None:
        self.now = self() + by


@dataclass
class RunningHub:
    url: str
    app: FastAPI
    state: HubState
    broker: PrivateBroker
    clock: HubClock

    async def token(self, role: Role = "family", family: str | None = "f-higa") -> str:
        return await issue(
            self.state.store,
            CredentialKind.TOKEN,
            role=role,
            family_id=None if role == "admin" else family,
            name="test",
            ttl=timedelta(days=1),
            now=self.state.clock(),
        )

    async def account(
        self,
        user_id: str,
        role: Role,
        *,
        family: str | None = None,
        households: tuple[str, ...] = (),
        areas: tuple[str, ...] | None = None,
        password: str = "correct horse battery",
    ) -> str:
        """Create an account; returns a bearer token that acts as it. Staff work in
        ``areas``: by default the test town's one ("default", where its import put
        everyone)."""
        if areas is None:
            areas = ("default",) if role == "staff" else ()
        user = User(user_id, f"{user_id} さん", role, family, households, areas=areas)
        await self.state.store.add_user(user, hash_password(password), self.state.clock())
        return await issue(
            self.state.store,
            CredentialKind.TOKEN,
            role=role,
            family_id=family,
            name=user_id,
            ttl=timedelta(days=1),
            now=self.state.clock(),
            user_id=user_id,
        )

    async def signin_link(
        self,
        family: str = "f-higa",
        ttl: timedelta = timedelta(hours=1),
        issued: datetime | None = None,
    ) -> str:
        """A one-time sign-in link, issued at ``issued`` (the hub's time unless said)."""
        token = await issue(
            self.state.store,
            CredentialKind.SIGNIN,
            role="family",
            family_id=family,
            name="test link",
            ttl=ttl,
            now=issued or self.state.clock(),
        )
        return f"{self.url}/signin?token={token}"

    async def set_channels(self, contact_id: str, *urls: str) -> None:
        """A contact's channels, changed through the hub's register (its own reload)."""
        await set_channels(self.state.register, contact_id, *urls)

    def client(self, token: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=10)

    async def until_stored(self, event_id: str, within: float = 10.0) -> None:
        """Wait until ingest has committed ``event_id`` (polling the hub's own counters)."""
        assert self.state.ingest is not None
        async with asyncio.timeout(within):
            while True:
                found = await self.state.store.sightings(
                    [*self.state.registry.person_of_tag, TAG_KAMA_SPARE],
                    datetime(2000, 1, 1, tzinfo=UTC),
                    datetime(2100, 1, 1, tzinfo=UTC),
                    100_000,
                )
                if any(s.event_id == event_id for s in found):
                    return
                await asyncio.sleep(0.02)


async def _serve(server: uvicorn.Server) -> None:
    """uvicorn exits the process when it cannot start (a port taken, say): in a test,
    that is this test's error, not the end of the session's event loop."""
    try:
        await server.serve()
    except SystemExit as exc:
        raise RuntimeError(f"the hub could not start (uvicorn exit {exc.code})") from None


@asynccontextmanager
async def running_hub(
    broker: PrivateBroker,
    tmp_path: Path,
    edit: Callable[[dict[str, Any]], None] | None = None,
    port: int | None = None,
    clock: Clock = system_clock,
) -> AsyncIterator[RunningHub]:
    """A hub on ``tmp_path``'s database; run it again on the same path to restart it.
    ``edit`` may change the test document (``hub_document``) first; its register is
    imported before the hub starts (an import adds and changes, never removes);
    ``clock`` is the hub's (a test whose gateways run on virtual time gives the hub
    the same)."""
    port = port or free_port()
    doc = hub_document(tmp_path, broker.port, port)
    if edit is not None:
        edit(doc)
    config = service_of(doc)
    hub_clock = HubClock(clock)
    store = await open_store(config.hub.database)
    try:  # the register into the database first, as ``mimamori hub import`` does
        await import_register_of(store, doc, hub_clock)
    finally:
        await store.close()
    app = create_app(config, clock=hub_clock)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=2,
        )
    )
    task = asyncio.create_task(_serve(server))
    async with asyncio.timeout(10):
        while not server.started:
            if task.done():
                task.result()  # the reason it could not start, as this test's error
            await asyncio.sleep(0.02)
    state: HubState = app.state.hub
    assert state.ingest is not None
    await asyncio.wait_for(state.ingest.link.connected.wait(), 10)
    try:
        yield RunningHub(f"http://127.0.0.1:{port}", app, state, broker, hub_clock)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


@asynccontextmanager
async def publishing_gateway(broker: PrivateBroker, gw: str) -> AsyncIterator[Gateway]:
    link = MqttLink(LinkSettings("127.0.0.1", broker.port, f"test-{gw}"), name=f"test {gw}")
    task = asyncio.create_task(link.run())
    await asyncio.wait_for(link.connected.wait(), 10)
    yield Gateway(gw, link)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def until(check: Callable[[], Awaitable[Any]], within: float = 10.0) -> Any:
    """Poll ``check`` until it returns something truthy."""
    async with asyncio.timeout(within):
        while not (found := await check()):
            await asyncio.sleep(0.05)
    return found


@asynccontextmanager
async def retained_orders(broker: PrivateBroker) -> AsyncIterator[dict[str, bytes]]:
    """What a gateway subscribed to searches is told: search id -> last payload."""
    seen: dict[str, bytes] = {}

    def got(message: Message) -> None:
        seen[message.topic.rsplit("/", 1)[1]] = message.payload

    link = MqttLink(
        LinkSettings(
            "127.0.0.1", broker.port, "test-orders", subscriptions=((SEARCH_SUBSCRIPTION, 1),)
        ),
        on_message=got,
        name="test orders",
    )
    task = asyncio.create_task(link.run())
    await asyncio.wait_for(link.connected.wait(), 10)
    try:
        yield seen
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def behind_the_store(tmp_path: Path, *, sqlite: list[str], postgres: list[str]) -> None:
    """Run statements on the test's database directly, as an older hub left it."""
    database = database_for(tmp_path)
    if "path" in database:
        with sqlite3.connect(database["path"]) as db:
            for statement in sqlite:
                db.execute(statement)
        return
    pg = database["postgres"]
    conn = await asyncpg.connect(
        host=pg["host"], port=pg["port"], user=pg["user"], database=pg["dbname"]
    )
    try:
        for statement in postgres:
            await conn.execute(statement)
    finally:
        await conn.close()


PASSWORD = "correct horse battery"


async def login(
    client: httpx.AsyncClient, user: str, password: str, address: str | None = None
) -> httpx.Response:
    # The hub trusts X-Forwarded-For from 127.0.0.1 (uvicorn's proxy_headers, as a
    # reverse proxy on the same machine sends it): here, it stands for other addresses.
    # A browser says which page the form came from (the hub refuses other origins).
    headers = {"Origin": str(client.base_url).rstrip("/")}
    if address:
        headers["X-Forwarded-For"] = address
    return await client.post("/login", data={"user": user, "password": password}, headers=headers)


async def open_alert(hub: RunningHub, home_gateway: Gateway) -> int:
    now = datetime.now(UTC)
    await home_gateway.event(EventKind.CHECKIN_MISSED, now, level=1, due=format_ts(now))
    async with hub.client(await hub.token(role="admin")) as admin:

        async def raised() -> Any:
            return (await admin.get("/api/v1/alerts")).json()

        [alert] = await until(raised)
    return int(alert["id"])


async def search_and_share(
    hub: RunningHub, token: str, person: str = "p-tsuru"
) -> tuple[str, int, str]:
    """A search for ``person`` and a link shared for it: (search id, share id, its URL)."""
    async with hub.client(token) as caller:
        search = (await caller.post("/api/v1/searches", json={"person_id": person})).json()
        made = await caller.post(
            f"/api/v1/searches/{search['id']}/shares", json={"label": "宜野湾署"}
        )
        assert made.status_code == 201, made.text
    return str(search["id"]), int(made.json()["id"]), str(made.json()["url"])


SECRET = "a long random secret shared by the two towns"


@asynccontextmanager
async def two_towns(
    ginowan_broker: PrivateBroker,
    urasoe_broker: PrivateBroker,
    root: Path,
    ginowan_edit: Callable[[dict[str, Any]], None] | None = None,
    urasoe_edit: Callable[[dict[str, Any]], None] | None = None,
    *,
    clock: Clock = system_clock,
) -> AsyncIterator[tuple[RunningHub, RunningHub]]:
    """Ginowan's hub and Urasoe's, federated with a shared secret; Urasoe knows nobody
    of Ginowan's, only its own watch point gw-u1. Both run on ``clock``."""
    secret = root / "ginowan-urasoe.secret"
    secret.write_text(SECRET + "\n")
    ginowan_port, urasoe_port = free_port(), free_port()

    def ginowan(doc: dict[str, Any]) -> None:
        doc["hub"]["federation"] = federated("ginowan", "urasoe", urasoe_port, secret)
        if ginowan_edit is not None:
            ginowan_edit(doc)

    def urasoe(doc: dict[str, Any]) -> None:
        doc["hub"]["federation"] = federated("urasoe", "ginowan", ginowan_port, secret)
        doc["gateways"] = [
            {"id": "gw-u1", "name": "浦添 公園前 自販機", "lat": 26.246, "lon": 127.722}
        ]
        doc["people"], doc["households"], doc["families"] = [], [], []
        if urasoe_edit is not None:
            urasoe_edit(doc)

    (root / "a").mkdir(exist_ok=True)
    (root / "b").mkdir(exist_ok=True)
    async with (
        running_hub(ginowan_broker, root / "a", ginowan, ginowan_port, clock=clock) as home_town,
        running_hub(urasoe_broker, root / "b", urasoe, urasoe_port, clock=clock) as next_town,
    ):
        yield home_town, next_town


def federated(town: str, peer: str, port: int, secret: Path) -> dict[str, Any]:
    return {
        "town": town,
        "peers": [{"id": peer, "url": f"http://127.0.0.1:{port}", "secret_file": str(secret)}],
    }


def api_operations(hub: RunningHub) -> list[tuple[str, str]]:
    """(method, path) of every /api/v1 operation in the OpenAPI."""
    return [
        (method.upper(), path)
        for path, operations in hub.app.openapi()["paths"].items()
        if path.startswith("/api/v1")
        for method in operations
    ]


def concrete(path: str, **ids: str) -> str:
    """The path with its parameters filled in: fixed ones, and ``ids`` by name."""
    known = {"person_id": "p-tsuru", "household_id": "hh-1", "alert_id": "1", **ids}
    for name, value in known.items():
        path = path.replace("{" + name + "}", value)
    return path


T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 11:00 in Tokyo
MIN = timedelta(minutes=1)


def alerts_document(tmp_path: Path) -> dict[str, Any]:
    """A home, its gateway and a policy of three steps: the alert engine's test town."""
    for name in ("family", "volunteer", "center"):
        (tmp_path / f"{name}.channels").write_text(
            f"json://127.0.0.1:9/{name}\nmailto://127.0.0.1:9?to={name}@example.jp\n"
        )
    return {
            "hub": {"database": {"path": str(tmp_path / "hub.sqlite3")}, "broker": {"host": "x"}},
            "gateways": [{"id": "gw-home", "name": "自宅", "lat": 26.2, "lon": 127.7,
                          "site": "home"}],
            "recipients": [
                {"id": "r-family", "name": "比嘉 花子",
                 "channels_file": str(tmp_path / "family.channels")},
                {"id": "r-volunteer", "name": "民生委員",
                 "channels_file": str(tmp_path / "volunteer.channels")},
                {"id": "r-center", "name": "地域包括支援センター", "lang": "en",
                 "channels_file": str(tmp_path / "center.channels")},
            ],
            "policies": [
                {
                    "id": "default",
                    "steps": [
                        {"after_min": 0, "notify": ["r-family"]},
                        {"after_min": 120, "notify": ["r-volunteer"]},
                        {"after_min": 360, "notify": ["r-center"]},
                    ],
                    "repeat_min": 30,
                }
            ],
            "households": [{"id": "hh-1", "name": "宮城さん宅", "gateways": ["gw-home"]}],
        }  # fmt: skip


_seq = itertools.count(1)


def event(kind: EventKind, at: datetime, **data: Any) -> Event:
    return EventDraft(kind, at, data).numbered(new_event_id(), next(_seq))


async def engine(tmp_path: Path, store: SqlStore, clock: Clock = system_clock) -> AlertEngine:
    """The alert engine on ``alerts_document``'s town, imported into ``store``."""
    doc = alerts_document(tmp_path)
    await import_register_of(store, doc, clock)
    return AlertEngine(service_of(doc), await load_registry(store), store, clock=clock)


async def change_channels(alerts: AlertEngine, contact_id: str, *urls: str) -> None:
    """A contact's channels changed as the desk changes them, and the engine's registry
    reloaded as a hub's is (at once, in place)."""
    reloader = RegistryReloader(alerts.registry, alerts.store)
    changes = RegisterChanges(alerts.store, alerts.clock, changed=reloader.changed)
    await set_channels(changes, contact_id, *urls)


async def ingest(store: SqlStore, *events: Event) -> None:
    await store.ingest([("gw-home", e) for e in events], [], T0)


def missed(level: int, at: datetime) -> Event:
    return event(EventKind.CHECKIN_MISSED, at, level=level, due=format_ts(T0 - 24 * 60 * MIN))


NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def registry(tmp_path: Path) -> Registry:
    return registry_of_doc(hub_document(tmp_path, 1883, 8080))


def sighting(kind: EventKind, tag: str, at: datetime, seq: int = 1) -> Event:
    return EventDraft(kind, at, {"tag": tag, "receiver": "vm", "rssi": -60}).numbered(
        new_event_id(), seq
    )


async def sight(store: SqlStore, tag: str, *ages: timedelta, gw: str = "gw-a") -> None:
    """One visit (arrived, seen, left) of ``tag`` at each age before NOW."""
    events = [
        sighting(kind, tag, NOW - age + timedelta(minutes=i))
        for age in ages
        for i, kind in enumerate((EventKind.TAG_ARRIVED, EventKind.TAG_SEEN, EventKind.TAG_LEFT))
    ]
    await store.ingest([(gw, e) for e in events], [], NOW)


async def all_tags(store: SqlStore, *tags: str) -> list[datetime]:
    found = await store.sightings(list(tags), NOW - 1000 * DAY, NOW + DAY, 100_000)
    return [s.ts for s in found]
