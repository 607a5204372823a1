"""``hub.line`` in the hub's YAML: secrets only by file, LINE's API over https, a push
pace within LINE's limit, and without the section the hub has no LINE at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from mimamori.check import check_file

pytestmark = pytest.mark.sqlite_only  # files only: nothing of the database's

HUB = """\
hub:
  database: {path: hub.db}
  broker: {host: x}
  line:
    channel_secret_file: line.secret
    access_token_file: line.token
"""


def test_the_access_token_and_the_secret_are_refused_in_the_yaml(tmp_path: Path) -> None:
    path = tmp_path / "hub.yaml"
    path.write_text(HUB + "    access_token: abc\n    monthly_allowance: 0\n")
    problems = [str(p) for p in check_file(path)]
    assert any("hub.line.access_token" in p for p in problems), problems
    assert any("hub.line.monthly_allowance" in p for p in problems), problems


def test_line_over_plain_http_to_another_machine_is_warned_of(tmp_path: Path) -> None:
    path = tmp_path / "hub.yaml"
    path.write_text(HUB + "    api_url: http://line.example.jp\n")
    [warning] = [str(p) for p in check_file(path)]
    assert "hub.line.api_url: warning: http:// sends the channel access token" in warning
    path.write_text(HUB + "    api_url: http://127.0.0.1:8099\n")  # a test's local LINE
    assert check_file(path) == []
    path.write_text(HUB)  # LINE's own, https
    assert check_file(path) == []


def test_a_push_pace_over_lines_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "hub.yaml"
    path.write_text(HUB + "    push_per_s: 2500\n")  # LINE allows 2,000 a second
    problems = [str(p) for p in check_file(path)]
    assert any("hub.line.push_per_s" in p for p in problems), problems
    path.write_text(HUB + "    push_per_s: 0\n")
    assert any("hub.line.push_per_s" in str(p) for p in check_file(path))
    path.write_text(HUB + "    push_per_s: 500\n")  # one of four workers' share
    assert check_file(path) == []
