"""The unit files pass ``systemd-analyze verify`` without a single warning."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = sorted((ROOT / "systemd").glob("*.service"))


def verify(root: Path, unit: Path) -> subprocess.CompletedProcess[str]:
    """Verify ``unit`` inside a throw-away root holding systemd's own units and a
    stand-in for the program it starts, so the check needs no installation."""
    (root / "etc/systemd/system").mkdir(parents=True, exist_ok=True)
    shutil.copytree(
        "/usr/lib/systemd/system",
        root / "usr/lib/systemd/system",
        symlinks=True,
        dirs_exist_ok=True,
    )
    shutil.copy(unit, root / "etc/systemd/system" / unit.name)
    for match in re.finditer(r"^ExecStart=(\S+)", unit.read_text(), re.MULTILINE):
        program = root / match.group(1).lstrip("/")
        program.parent.mkdir(parents=True, exist_ok=True)
        program.write_text("#!/bin/sh\n")
        program.chmod(0o755)
    return subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", unit.name],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed"
)
@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_the_unit_file_verifies_cleanly(unit: Path, tmp_path: Path) -> None:
    result = verify(tmp_path, unit)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed"
)
def test_the_check_catches_a_broken_unit(tmp_path: Path) -> None:
    broken = tmp_path / "broken.service"
    broken.write_text(UNITS[0].read_text().replace("Restart=on-failure", "Restart=sometimes"))
    result = verify(tmp_path / "root", broken)
    assert "broken.service:21: Failed to parse" in result.stderr


def test_there_are_units_for_edge_and_hub() -> None:
    assert {u.name for u in UNITS} == {"mimamori-edge.service", "mimamori-hub.service"}
