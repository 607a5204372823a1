"""A real hub for the tests: uvicorn on a free loopback port, its own database,
ingesting from its own Mosquitto; plus a test-side gateway that publishes v1.

Every test here that has a database runs twice, on SQLite and on PostgreSQL (the
``engine`` parameter; a fresh database of the session's cluster each time), but for
those marked ``sqlite_only`` (SQLite's own files and migrations).
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser, async_playwright

from mimamori.demo.mosquitto import PrivateBroker, free_port
from mimamori.hub.access.auth import hash_password, issue
from mimamori.hub.config import DatabaseSettings, HubConfig
from mimamori.hub.model.accounts import CredentialKind, Role, User
from mimamori.hub.model.clock import Clock, system_clock
from mimamori.hub.server.app import create_app
from mimamori.hub.server.state import HubState
from mimamori.hub.store.opening import open_store
from mimamori.hub.store.sql_store import SqlStore
from mimamori.mqtt import LinkSettings, MqttLink
from mimamori.protocol import EventDraft, EventKind, encode_batch, encode_status, new_event_id
from mimamori.protocol.status import GatewayStatus
from tests.pg import PgDatabases

TOWN = "fda50693-a4e2-4fb1-afcf-c6eb07647825"
TAG_TSURU = f"ibeacon:{TOWN}:1:1"
TAG_KAMA = f"ibeacon:{TOWN}:1:2"
TAG_KAMA_SPARE = "eddystone-uid:00112233445566778899:a1b2c3d4e5f6"
# Recorded consent (docs/privacy.md): without it the hub keeps no sightings of a person.
CONSENT = {"by": "本人", "at": "2026-10-01", "purposes": ["location", "search"]}


ENGINES = ("sqlite", "postgres")


@dataclass
class _Current:
    """The running test's engine, and the PostgreSQL database of each hub directory."""

    engine: str = "sqlite"
    pg: PgDatabases | None = None
    databases: dict[Path, dict[str, Any]] = field(default_factory=dict)


_current = _Current()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    uses_db = {"store", "hub", "tmp_path"} & set(metafunc.fixturenames)
    if uses_db and metafunc.definition.get_closest_marker("sqlite_only") is None:
        metafunc.parametrize("engine", ENGINES, indirect=True)


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture(autouse=True)
def _database_engine(engine: str, request: pytest.FixtureRequest) -> Iterator[None]:
    pg = request.getfixturevalue("pg_databases") if engine == "postgres" else None
    _current.engine, _current.pg, _current.databases = engine, pg, {}
    yield
    _current.engine, _current.pg, _current.databases = "sqlite", None, {}


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


def hub_config(tmp_path: Path, broker_port: int, http_port: int, **hub: Any) -> HubConfig:
    channels = tmp_path / "miyagi.channels"  # tests write apprise URLs here
    if not channels.exists():
        channels.write_text("")
    return HubConfig.model_validate(
        {
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
    )


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


@dataclass
class RunningHub:
    url: str
    app: FastAPI
    state: HubState
    broker: PrivateBroker

    async def token(self, role: Role = "family", family: str | None = "f-higa") -> str:
        return await issue(
            self.state.store,
            CredentialKind.TOKEN,
            role=role,
            family_id=None if role == "admin" else family,
            name="test",
            ttl=timedelta(days=1),
        )

    async def account(
        self,
        user_id: str,
        role: Role,
        *,
        family: str | None = None,
        households: tuple[str, ...] = (),
        password: str = "correct horse battery",
    ) -> str:
        """Create an account; returns a bearer token that acts as it."""
        user = User(user_id, f"{user_id} さん", role, family, households)
        await self.state.store.add_user(user, hash_password(password), datetime.now(UTC))
        return await issue(
            self.state.store,
            CredentialKind.TOKEN,
            role=role,
            family_id=family,
            name=user_id,
            ttl=timedelta(days=1),
            user_id=user_id,
        )

    async def signin_link(self, family: str = "f-higa", ttl: timedelta = timedelta(hours=1)) -> str:
        token = await issue(
            self.state.store,
            CredentialKind.SIGNIN,
            role="family",
            family_id=family,
            name="test link",
            ttl=ttl,
        )
        return f"{self.url}/signin?token={token}"

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


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    """The hub's store on a real database (SQLite file or PostgreSQL), without a server."""
    opened = await open_test_store(tmp_path)
    yield opened
    await opened.close()


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
    ``edit`` may change the test config (as a plain document) first; ``clock`` is the
    hub's (a test whose gateways run on virtual time gives the hub the same)."""
    port = port or free_port()
    config = hub_config(tmp_path, broker.port, port)
    if edit is not None:
        doc = config.model_dump(mode="json", exclude_unset=True)
        edit(doc)
        config = HubConfig.model_validate(doc)
    app = create_app(config, clock=clock)
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
        yield RunningHub(f"http://127.0.0.1:{port}", app, state, broker)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


@pytest.fixture
async def hub(own_broker: PrivateBroker, tmp_path: Path) -> AsyncIterator[RunningHub]:
    async with running_hub(own_broker, tmp_path) as running:
        yield running


@asynccontextmanager
async def publishing_gateway(broker: PrivateBroker, gw: str) -> AsyncIterator[Gateway]:
    link = MqttLink(LinkSettings("127.0.0.1", broker.port, f"test-{gw}"), name=f"test {gw}")
    task = asyncio.create_task(link.run())
    await asyncio.wait_for(link.connected.wait(), 10)
    yield Gateway(gw, link)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


@pytest.fixture
async def gateway(own_broker: PrivateBroker) -> AsyncIterator[Gateway]:
    async with publishing_gateway(own_broker, "gw-a") as gw:
        yield gw


@pytest.fixture
async def home_gateway(own_broker: PrivateBroker) -> AsyncIterator[Gateway]:
    async with publishing_gateway(own_broker, "gw-home") as gw:
        yield gw


CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling out on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()
