"""Fixtures shared by every test folder: a real Mosquitto, a real PostgreSQL, unique ids."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.demo.postgres import PrivatePostgres
from tests.pg import PgDatabases

_counter = itertools.count(1)

# A fault test's tally of events accepted vs stored, left as a user property of its
# report so that it reaches the end-of-run summary from whichever worker ran the test.
TALLY = "tally"
_TALLIES: list[dict[str, str]] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests that run real processes (marked slow) run one after another on one
    worker when the suite runs on both cores (``./run test``: pytest-xdist with
    ``--dist loadgroup``), the rest beside them: two fault tests at once on two cores
    would measure each other."""
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(pytest.mark.xdist_group("processes"))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        _TALLIES.extend(value for name, value in report.user_properties if name == TALLY)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _TALLIES:
        return
    terminalreporter.write_sep("-", "total-queue check: events accepted vs stored at the hub")
    for tally in _TALLIES:
        terminalreporter.write_line(f"{tally['test']}: {tally['line']}")
        terminalreporter.write_line(f"    faults: {tally['faults']}")


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
