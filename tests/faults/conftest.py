"""Fault tests: the end-to-end harness of tests/e2e, and a summary of every tally."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Protocol

import pytest

from tests.conftest import TALLY
from tests.e2e.conftest import Processes, http_port, procs
from tests.faults.site import Site

__all__ = ["http_port", "procs"]  # fixtures shared with tests/e2e


class Line(Protocol):
    def line(self) -> str: ...


class Report:
    """Where a test leaves its tally and what it did, for the end-of-run summary
    (tests/conftest.py prints it; a user property reaches it from any worker)."""

    def __init__(self, node: pytest.Item) -> None:
        self.node = node

    def add(self, tally: Line, faults: str) -> None:
        print(f"{self.node.name}: {tally.line()}; faults: {faults}")
        self.node.user_properties.append(
            (TALLY, {"test": self.node.name, "line": tally.line(), "faults": faults})
        )


@pytest.fixture
def seed() -> int:
    """The seed of a test's random faults: printed with its tally; set
    MIMAMORI_FAULT_SEED to replay the same choices (process timing still varies)."""
    return int(os.environ.get("MIMAMORI_FAULT_SEED") or random.randrange(1 << 32))


@pytest.fixture
def site(tmp_path: Path, procs: Processes, http_port: int) -> Site:
    return Site(tmp_path, procs, http_port)


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Report:
    assert isinstance(request.node, pytest.Item)
    return Report(request.node)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A fault test waits up to a minute for a gateway's backoff to drain, more than once:
    300 s each (not the suite's 120 s), so a slow machine does not cut one short."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(300))
