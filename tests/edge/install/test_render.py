"""The files the installer writes: the udev rule as documented, and the unit and the
BlueZ drop-in as systemd reads them (``systemd-analyze verify`` in a throw-away root)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath

import pytest

from mimamori.edge.install.model import UsbIds
from mimamori.edge.install.render import (
    bluez_drop_in,
    bluez_exec_start,
    edge_unit,
    packaged_unit,
    udev_rule,
)
from tests.deploy.test_systemd import verify
from tests.edge.install.helpers import BLUEZ_UNIT

ROOT = Path(__file__).resolve().parents[3]
needs_systemd_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed"
)


def test_the_udev_rule_names_the_receiver_and_keeps_modemmanager_away() -> None:
    assert udev_rule(UsbIds("10c4", "ea60", "0001")).splitlines()[-1] == (
        'SUBSYSTEM=="tty", ATTRS{idVendor}=="10c4", ATTRS{idProduct}=="ea60", '
        'ATTRS{serial}=="0001", SYMLINK+="mimamori-receiver", GROUP="dialout", MODE="0660", '
        'ENV{ID_MM_DEVICE_IGNORE}="1"'
    )
    without_serial = udev_rule(UsbIds("0403", "6001")).splitlines()
    assert without_serial[-1].startswith(
        'SUBSYSTEM=="tty", ATTRS{idVendor}=="0403", ATTRS{idProduct}=="6001", SYMLINK+='
    )
    assert all(line.startswith("#") for line in without_serial[:-1])  # comments, then one rule


def test_the_drop_in_restarts_bluez_with_its_own_command_and_experimental_features() -> None:
    assert bluez_exec_start(BLUEZ_UNIT) == "/usr/libexec/bluetooth/bluetoothd"
    assert bluez_exec_start("[Service]\nExecStart = /usr/sbin/bluetoothd -n  \n") == (
        "/usr/sbin/bluetoothd -n"
    )
    assert bluez_exec_start("[Service]\nType=dbus\n") is None
    lines = bluez_drop_in("/usr/libexec/bluetooth/bluetoothd").splitlines()
    assert lines[-3:] == [
        "[Service]",
        "ExecStart=",
        "ExecStart=/usr/libexec/bluetooth/bluetoothd --experimental",
    ]


def verify_bluez_with(root: Path, drop_in: str) -> str:
    """What ``systemd-analyze verify`` says of bluez's unit with ``drop_in`` beside it."""
    path = root / "etc/systemd/system/bluetooth.service.d/mimamori.conf"
    path.parent.mkdir(parents=True)
    path.write_text(drop_in)
    unit = root.parent / f"{root.name}-unit" / "bluetooth.service"
    unit.parent.mkdir()
    unit.write_text(BLUEZ_UNIT)
    result = verify(root, unit)  # also makes the program each ExecStart= names
    return f"exit {result.returncode}: {result.stderr}"


@needs_systemd_analyze
def test_systemd_takes_the_drop_in_over_bluezs_own_unit(tmp_path: Path) -> None:
    drop_in = bluez_drop_in("/usr/libexec/bluetooth/bluetoothd")
    assert verify_bluez_with(tmp_path / "good", drop_in) == "exit 0: "
    # Without the empty ExecStart= that clears bluez's own, systemd refuses the unit.
    said = verify_bluez_with(tmp_path / "bad", drop_in.replace("ExecStart=\n", ""))
    assert "more than one ExecStart=" in said


@needs_systemd_analyze
def test_the_unit_starting_another_program_still_verifies_cleanly(tmp_path: Path) -> None:
    unit = tmp_path / "mimamori-edge.service"
    unit.write_text(edge_unit(PurePosixPath("/srv/gateway/venv/bin/mimamori")))
    result = verify(tmp_path / "root", unit)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""
    starts = [line for line in unit.read_text().splitlines() if line.startswith("ExecStart=")]
    assert starts == [
        "ExecStart=/srv/gateway/venv/bin/mimamori edge --config /etc/mimamori/gateway.yaml"
    ]


def test_the_unit_ships_inside_the_package_and_systemd_links_to_it() -> None:
    link = ROOT / "systemd/mimamori-edge.service"
    assert link.is_symlink()
    assert link.resolve() == ROOT / "mimamori/edge/install/mimamori-edge.service"
    assert packaged_unit() == link.read_text()
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["*"]
    assert any(fnmatch("mimamori-edge.service", pattern) for pattern in patterns)


@needs_systemd_analyze
def test_the_rendered_unit_keeps_the_exposure_of_the_packaged_one(tmp_path: Path) -> None:
    unit = tmp_path / "mimamori-edge.service"
    unit.write_text(edge_unit(PurePosixPath("/opt/mimamori/bin/mimamori")))
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", str(unit)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "SYSTEMD_COLORS": "0"},
    )
    assert "Overall exposure level for mimamori-edge.service: 1.5 OK" in result.stdout
