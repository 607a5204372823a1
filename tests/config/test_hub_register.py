"""The register is kept in the database: a hub file that still holds it is refused,
naming the command that moves it; a register file to import is read on the hub's
clock (a consent may not be dated in the future)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from mimamori import configfile
from mimamori.check import check_file
from mimamori.errors import ConfigError
from mimamori.hub.config import load_hub_config
from mimamori.hub.register.schema import READ_AT
from mimamori.hub.register.yaml_format import RegisterFile

SERVICE = """\
hub:
  database: {path: hub.sqlite3}
  broker: {host: 127.0.0.1}
"""
REGISTER = """\
people:
  - id: p-1
    name: 比嘉 ツル
    tags: ["ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:1"]
    consent: {by: 本人, at: 2026-12-01, purposes: [location]}
"""


def test_a_hub_file_that_still_holds_the_register_is_refused_naming_the_import(
    tmp_path: Path,
) -> None:
    path = tmp_path / "hub.yaml"
    path.write_text(SERVICE + REGISTER, encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_hub_config(path)
    [problem] = refused.value.problems
    assert (problem.line, problem.column, problem.key) == (4, 1, "people")
    assert f"'mimamori hub import --config {path}'" in problem.message
    # mimamori check says the same, where it is written
    assert [str(p) for p in check_file(path)] == [str(problem)]
    path.write_text(SERVICE, encoding="utf-8")
    assert load_hub_config(path).hub.broker.host == "127.0.0.1"


def test_a_consent_is_dated_against_the_hubs_clock_not_the_machines(tmp_path: Path) -> None:
    path = tmp_path / "register.yaml"
    path.write_text(REGISTER, encoding="utf-8")
    signed = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo, the day it was signed
    register = configfile.load(path, RegisterFile, {READ_AT: signed})
    assert register.people[0].consent is not None
    # Read a week before (the hub's clock, whatever the machine's says): still to come.
    with pytest.raises(ConfigError) as refused:
        configfile.load(path, RegisterFile, {READ_AT: datetime(2026, 11, 24, tzinfo=UTC)})
    [problem] = refused.value.problems
    assert (problem.line, problem.column) == (5, 5)
    assert problem.message == "consent given on 2026-12-01, a day still to come"
