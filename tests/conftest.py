"""Fixtures shared by every test folder: a real Mosquitto, a real PostgreSQL, unique ids."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.demo.postgres import PrivatePostgres
from tests.pg import PgDatabases

_counter = itertools.count(1)


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateBroker]:
    """One private Mosquitto for the session, on a free loopback port."""
    with PrivateBroker(tmp_path_factory.mktemp("broker")) as running:
        yield running


@pytest.fixture
def own_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateBroker]:
    """A broker of the test's own, for tests that stop or restart it."""
    broker = PrivateBroker(tmp_path_factory.mktemp("own-broker"))
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def unique_id() -> str:
    """An id no other test in the session uses (topics on the shared broker stay apart)."""
    return f"t{next(_counter):04d}"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PrivatePostgres]:
    """One private PostgreSQL cluster for the session (started when first asked for)."""
    with PrivatePostgres() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def pg_databases(postgres: PrivatePostgres) -> PgDatabases:
    return PgDatabases(postgres)
