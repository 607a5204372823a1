"""A real hub for the tests: uvicorn on a free loopback port, its own database,
ingesting from its own Mosquitto; plus a test-side gateway that publishes v1.

Every test here that has a database runs twice, on SQLite and on PostgreSQL (the
``engine`` parameter; a fresh database of the session's cluster each time), but for
those marked ``sqlite_only`` (SQLite's own files and migrations) and the walks in
Chromium: a page's queries are the store's, tested on both engines by the store's and
the API's tests, and a page drawn from PostgreSQL is the same page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.store.sql_store import SqlStore
from tests.hub.helpers import (
    ENGINES,
    Gateway,
    RunningHub,
    _current,
    open_test_store,
    publishing_gateway,
    running_hub,
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    uses_db = {"store", "hub", "tmp_path"} & set(metafunc.fixturenames)
    # A walk in Chromium runs once: its page's queries are the store's, tested on both.
    once = "browser" in metafunc.fixturenames
    if uses_db and not once and metafunc.definition.get_closest_marker("sqlite_only") is None:
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


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    """The hub's store on a real database (SQLite file or PostgreSQL), without a server."""
    opened = await open_test_store(tmp_path)
    yield opened
    await opened.close()


@pytest.fixture
async def hub(own_broker: PrivateBroker, tmp_path: Path) -> AsyncIterator[RunningHub]:
    async with running_hub(own_broker, tmp_path) as running:
        yield running


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
