"""``mimamori check``: every mistake reported as FILE:LINE:COL: key: message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mimamori.check import check_file
from mimamori.edge.config import load_gateway_config
from mimamori.errors import ConfigError
from mimamori.hub.config import load_hub_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "configs").glob("*.yaml"))

GOOD = """\
gateway:
  id: gw-1
  name: 自販機
  lat: 26.28
  lon: 127.78
broker:
  host: localhost
receivers:
  - id: vm
    driver: serial_line
    port: /dev/ttyUSB0
tags:
  allow: ["ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:*"]
data_dir: data
"""


def write(tmp_path: Path, text: str, name: str = "gw.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def lines(tmp_path: Path, text: str) -> list[str]:
    return [str(p) for p in check_file(write(tmp_path, text))]


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_the_example_configs_are_accepted(example: Path) -> None:
    assert check_file(example) == []


def test_a_good_file_loads_and_relative_paths_mean_next_to_the_file(tmp_path: Path) -> None:
    config = load_gateway_config(write(tmp_path, GOOD))
    assert config.data_dir == tmp_path / "data"
    assert config.presence.leave_after_s == 120


def test_an_unknown_key_is_reported_where_it_was_written(tmp_path: Path) -> None:
    text = GOOD.replace("  lon: 127.78\n", "  lon: 127.78\n  lno: 1\n")
    assert lines(tmp_path, text) == [f"{tmp_path}/gw.yaml:6:3: gateway.lno: unknown key"]


def test_a_bad_value_in_a_list_item_points_at_the_item(tmp_path: Path) -> None:
    text = GOOD.replace("    port: /dev/ttyUSB0\n", "    port: /dev/ttyUSB0\n    baudrate: 1234\n")
    [line] = lines(tmp_path, text)
    assert line.startswith(f"{tmp_path}/gw.yaml:12:5: receivers[0].baudrate: ")


def test_a_missing_key_names_the_key_and_points_at_its_parent(tmp_path: Path) -> None:
    text = GOOD.replace("  name: 自販機\n", "")
    assert lines(tmp_path, text) == [
        f"{tmp_path}/gw.yaml:1:1: gateway.name: required key is missing"
    ]


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    text = GOOD.replace("lat: 26.28", "lat: 126.28").replace(
        "host: localhost", "host: localhost\n  prot: 1"
    )
    found = lines(tmp_path, text)
    assert len(found) == 2
    assert ":4:3: gateway.lat: " in found[0]
    assert ":8:3: broker.prot: unknown key" in found[1]


def test_duplicate_keys_are_reported(tmp_path: Path) -> None:
    text = GOOD.replace("  lat: 26.28\n", "  lat: 26.28\n  lat: 26.29\n")
    assert lines(tmp_path, text) == [f"{tmp_path}/gw.yaml:5:3: gateway.lat: duplicate key"]


def test_yaml_syntax_errors_carry_their_position(tmp_path: Path) -> None:
    [line] = lines(tmp_path, "gateway:\n  id: [unclosed\n")
    assert line.startswith(f"{tmp_path}/gw.yaml:3:1: (syntax): ")


def test_an_allow_pattern_of_an_unknown_format_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace('"ibeacon:fda50693', '"airtag:fda50693')
    [line] = lines(tmp_path, text)
    assert ":13:3: tags.allow: " in line and "unknown tag format 'airtag'" in line


def test_hub_files_are_checked_too(tmp_path: Path) -> None:
    [line] = lines(tmp_path, "hub:\n  database: {path: h.db}\n  broker: {host: x, port: 0}\n")
    assert ":3:" in line and "hub.broker.port: Input should be greater than or equal to 1" in line
    # ... and registers to import (mimamori hub import --register FILE)
    text = "\n\n\npeople:\n  - {id: p1, name: A, tags: [nope]}\n"
    [line] = lines(tmp_path, text)
    assert ":5:30: people[0].tags[0]: " in line and "'nope' is not a tag id" in line


def test_a_file_that_is_neither_is_refused(tmp_path: Path) -> None:
    assert lines(tmp_path, "hello: world\n") == [
        f"{tmp_path}/gw.yaml:1:1: (document): not a mimamori file: "
        "expected a top-level 'gateway:' or 'hub:' key"
    ]


def test_the_command_exits_2_on_problems_and_0_when_clean(tmp_path: Path) -> None:
    bad = write(tmp_path, GOOD.replace("lat: 26.28", "lat: north"), "bad.yaml")
    good = write(tmp_path, GOOD, "good.yaml")
    run = [sys.executable, "-m", "mimamori", "check"]
    failed = subprocess.run(
        [*run, str(good), str(bad)], capture_output=True, text=True, check=False
    )
    assert failed.returncode == 2
    assert failed.stdout.strip().splitlines() == [
        f"{bad}:4:3: gateway.lat: "
        "Input should be a valid number, unable to parse string as a number"
    ]
    passed = subprocess.run([*run, str(good)], capture_output=True, text=True, check=False)
    assert passed.returncode == 0


def test_loading_a_bad_file_raises_config_error_with_every_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_gateway_config(write(tmp_path, "gateway: {}\n"))
    keys = {p.key for p in info.value.problems}
    assert {"gateway.id", "broker", "data_dir"} <= keys


PG_HUB = """\
hub:
  database:
    postgres: {host: db.town.example, dbname: mimamori, user: hub, password_file: pg.pw}
  worker_id: w1
  broker: {host: x}
"""


def test_a_hub_on_postgresql_with_workers_is_accepted_and_its_password_file_is_local(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, PG_HUB, "hub.yaml")
    assert check_file(path) == []
    settings = load_hub_config(path).hub.database.postgres
    assert settings is not None and settings.password_file == tmp_path / "pg.pw"
    assert "pw" not in settings.describe() and settings.describe().endswith("/mimamori")


def test_a_password_written_in_the_hub_file_is_refused(tmp_path: Path) -> None:
    text = PG_HUB.replace("password_file: pg.pw", "password: hunter2")
    [line] = lines(tmp_path, text)
    assert line.endswith(":3:68: hub.database.postgres.password: unknown key")


def test_a_hub_database_is_sqlite_or_postgresql_and_workers_need_postgresql(
    tmp_path: Path,
) -> None:
    both = PG_HUB.replace("  database:\n", "  database:\n    path: hub.db\n")
    [line] = lines(tmp_path, both)
    assert "hub.database: " in line and "give either path (SQLite) or postgres" in line
    sqlite = "hub:\n  database: {path: hub.db}\n  worker_id: w1\n  broker: {host: x}\n"
    [line] = lines(tmp_path, sqlite)
    assert "several hub workers need a shared database" in line


HTTP_HUB = """\
hub:
  http: {public_url: "http://mimamori.town.example"}
  database: {path: hub.db}
  broker: {host: x}
  federation:
    town: ginowan
    peers:
      - {id: urasoe, url: "http://hub.urasoe.example", secret_file: u.secret}
      - {id: nishihara, url: "https://hub.nishihara.example", secret_file: n.secret}
      - {id: test, url: "http://127.0.0.1:8081", secret_file: t.secret}
"""


def test_plain_http_to_another_machine_is_warned_of_where_it_is_written(tmp_path: Path) -> None:
    """Sign-in links, cookies and a missing person's sightings would cross the network in
    clear text. A warning, not an error: a trial on a closed network may have no
    certificate yet. Loopback (tests, the demo) is not warned of."""
    path = write(tmp_path, HTTP_HUB, "hub.yaml")
    run = subprocess.run(
        [sys.executable, "-m", "mimamori", "check", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout
    assert run.stdout.splitlines() == [
        f"{path}:2:10: hub.http.public_url: warning: http:// sends sign-in links and session "
        "cookies in clear text and the cookies are not marked Secure: use https://",
        f"{path}:8:22: hub.federation.peers[0].url: warning: http:// sends a missing "
        "person's tags and sightings to this peer in clear text (signed, but readable): "
        "use https://",
        f"{path}: ok",
    ]
    secure = HTTP_HUB.replace("http://mimamori", "https://mimamori").replace(
        "http://hub.urasoe", "https://hub.urasoe"
    )
    assert check_file(write(tmp_path, secure, "hub.yaml")) == []
