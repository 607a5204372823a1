"""The hub's YAML: its register (people, consent...) is read on the hub's clock."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from mimamori.errors import ConfigError
from mimamori.hub.config import load_hub_config

HUB = """\
hub:
  database: {path: hub.sqlite3}
  broker: {host: 127.0.0.1}
people:
  - id: p-1
    name: 比嘉 ツル
    tags: ["ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:1"]
    consent: {by: 本人, at: 2026-12-01, purposes: [location]}
"""


def test_a_consent_is_dated_against_the_hubs_clock_not_the_machines(tmp_path: Path) -> None:
    path = tmp_path / "hub.yaml"
    path.write_text(HUB, encoding="utf-8")
    signed = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo, the day it was signed
    assert load_hub_config(path, lambda: signed).people[0].consent is not None
    # Read a week before (the hub's clock, whatever the machine's says): still to come.
    with pytest.raises(ConfigError) as refused:
        load_hub_config(path, lambda: datetime(2026, 11, 24, tzinfo=UTC))
    [problem] = refused.value.problems
    assert (problem.line, problem.column) == (8, 5)
    assert problem.message == "consent given on 2026-12-01, a day still to come"
