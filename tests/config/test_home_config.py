"""A home gateway's config: household, schedule, ladder and buttons, as ``check`` sees it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from mimamori.check import check_file
from mimamori.edge.config import load_gateway_config

HOME = """\
gateway:
  id: gw-home-1
  name: 自宅
  site: home
  lat: 26.28
  lon: 127.78
broker:
  host: localhost
household:
  id: hh-1
  schedule:
    by: "09:30"
buttons:
  - id: door
    driver: serial_button
    port: /dev/ttyUSB0
data_dir: data
"""


def lines(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "home.yaml"
    path.write_text(text, encoding="utf-8")
    return [str(p) for p in check_file(path)]


def test_a_home_with_a_button_needs_no_receivers_or_tags(tmp_path: Path) -> None:
    assert lines(tmp_path, HOME) == []
    path = tmp_path / "home.yaml"
    config = load_gateway_config(path)
    assert config.household is not None
    schedule = config.household.build_schedule()
    # 09:30 in Tokyo (the default zone) is 00:30 UTC.
    assert schedule.due_after(datetime(2026, 11, 23, tzinfo=UTC)) == datetime(
        2026, 11, 23, 0, 30, tzinfo=UTC
    )
    assert [s.level for s in config.household.build_steps()] == [0, 1, 2]


def test_an_unknown_time_zone_is_reported_at_its_line(tmp_path: Path) -> None:
    text = HOME.replace("  id: hh-1\n", "  id: hh-1\n  timezone: Asia/Tokio\n")
    [line] = lines(tmp_path, text)
    assert ":11:3: household.timezone: " in line and "unknown time zone 'Asia/Tokio'" in line


def test_a_due_time_must_be_a_clock_time(tmp_path: Path) -> None:
    [line] = lines(tmp_path, HOME.replace('"09:30"', '"25:00"'))
    assert ":12:5: household.schedule.by: " in line


def test_a_due_time_may_name_its_seconds(tmp_path: Path) -> None:
    path = tmp_path / "home.yaml"
    path.write_text(HOME.replace('"09:30"', '"09:30:15"'), encoding="utf-8")
    household = load_gateway_config(path).household
    assert household is not None
    assert household.build_schedule().due_after(datetime(2026, 11, 23, tzinfo=UTC)) == datetime(
        2026, 11, 23, 0, 30, 15, tzinfo=UTC
    )
    assert lines(tmp_path, HOME.replace('"09:30"', '"09:30:60"')) != []


def test_weekdays_and_every_n_days_do_not_mix(tmp_path: Path) -> None:
    text = HOME.replace('    by: "09:30"\n', "    days: [mon]\n    every_n_days: 2\n")
    [line] = lines(tmp_path, text)
    assert "household.schedule: " in line and "either 'days' or 'every_n_days'" in line


def test_every_n_days_needs_its_start(tmp_path: Path) -> None:
    [line] = lines(tmp_path, HOME.replace('    by: "09:30"\n', "    every_n_days: 3\n"))
    assert "'every_n_days' needs 'start'" in line


def test_a_ladder_must_rise(tmp_path: Path) -> None:
    text = HOME.replace(
        "buttons:\n",
        "  ladder:\n    - {after_h: 23, level: 1}\n    - {after_h: 2, level: 2}\nbuttons:\n",
    )
    [line] = lines(tmp_path, text)
    assert "household.ladder: " in line and "must rise" in line


def test_a_weekday_is_a_known_name(tmp_path: Path) -> None:
    [line] = lines(tmp_path, HOME.replace('    by: "09:30"\n', "    days: [mon, funday]\n"))
    assert "household.schedule.days[1]: " in line


def test_buttons_need_a_household_and_a_household_needs_buttons(tmp_path: Path) -> None:
    no_home = HOME.replace('household:\n  id: hh-1\n  schedule:\n    by: "09:30"\n', "")
    assert any("'buttons' need 'household'" in line for line in lines(tmp_path, no_home))
    no_buttons = HOME.replace(
        "buttons:\n  - id: door\n    driver: serial_button\n    port: /dev/ttyUSB0\n", ""
    )
    assert lines(tmp_path, no_buttons) == [
        f"{tmp_path}/home.yaml:1:1: (document): a gateway needs 'receivers', 'buttons', or both"
    ]


def test_a_bthome_address_must_be_a_mac(tmp_path: Path) -> None:
    text = HOME.replace(
        "    driver: serial_button\n    port: /dev/ttyUSB0\n",
        "    driver: bthome\n    address: 3C-2E-F5\n",
    )
    [line] = lines(tmp_path, text)
    assert ":16:5: buttons[0].address: " in line
