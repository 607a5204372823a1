"""Mosquitto as the project ships it: the demo's private broker lets anyone in, so it
listens on loopback only and says so; no broker the project configures runs as root;
and the account files keep the owner Mosquitto reads them as."""

from __future__ import annotations

import os
import pwd
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from mimamori.demo.mosquitto import PrivateBroker, run_user
from mimamori.errors import BrokerError

REPO = Path(__file__).parents[2]
USER_ROOT = re.compile(r"^\s*user\s+root\s*$", re.MULTILINE)


def uid_of(pid: int) -> int:
    """The real user id of a running process."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^Uid:\s+(\d+)", status, re.MULTILINE).group(1))  # type: ignore[union-attr]


def test_no_broker_config_the_project_ships_runs_mosquitto_as_root(tmp_path: Path) -> None:
    shipped = {
        str(path.relative_to(REPO)): path.read_text(encoding="utf-8")
        for folder in ("configs", "systemd")
        for path in sorted((REPO / folder).iterdir())
    }
    assert "configs/mosquitto.conf" in shipped
    with PrivateBroker(tmp_path / "broker") as demo:  # as `mimamori demo` starts it
        shipped["the demo's broker"] = demo.config_path.read_text(encoding="utf-8")
        assert demo.pid is not None
        deadline = time.monotonic() + 5  # it drops root as it starts its listener
        while (uid := uid_of(demo.pid)) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    for where, text in shipped.items():
        assert not USER_ROOT.search(text), f"{where} runs Mosquitto as root"
    assert uid != 0, "the demo's broker runs as root"
    if os.geteuid() == 0:
        assert uid == pwd.getpwnam(run_user()).pw_uid


def test_the_demo_broker_lets_anyone_in_on_loopback_only_and_says_so(tmp_path: Path) -> None:
    for host in ("0.0.0.0", "192.0.2.10", "::"):
        with pytest.raises(BrokerError, match="loopback only"):
            PrivateBroker(tmp_path / "open", host=host)
    with PrivateBroker(tmp_path / "broker") as demo:
        config = demo.config_path.read_text(encoding="utf-8")
    assert f"listener {demo.port} 127.0.0.1\n" in config
    assert "allow_anonymous true" in config
    assert "for the demo and the tests only, on a loopback address" in config
    assert "use_username_as_clientid" not in config  # nothing to bind without accounts


@pytest.mark.skipif(
    os.geteuid() != 0, reason="giving a file to another user needs root (as ./run test runs)"
)
def test_rewriting_the_account_files_keeps_the_owner_mosquitto_reads_them_as(
    tmp_path: Path,
) -> None:
    """Mosquitto 2.0 opens its password and ACL files after dropping root: files
    handed to its user once must stay its own after every ``gateway add``."""
    config = tmp_path / "hub.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "hub": {
                    "database": {"path": "hub.sqlite3"},
                    "broker": {"host": "127.0.0.1"},
                    "mosquitto": {"password_file": "passwd", "acl_file": "acl"},
                }
            }
        )
    )

    def add(gw: str) -> None:
        args = ["hub", "gateway", "add", "--config", str(config), gw]
        subprocess.run([sys.executable, "-m", "mimamori", *args], check=True, capture_output=True)

    add("gw-a")
    broker_user = pwd.getpwnam(run_user())
    for name in ("passwd", "acl"):
        os.chown(tmp_path / name, broker_user.pw_uid, broker_user.pw_gid)
    add("gw-b")
    for name in ("passwd", "acl"):
        st = (tmp_path / name).stat()
        assert (st.st_uid, st.st_gid) == (broker_user.pw_uid, broker_user.pw_gid), name
        assert st.st_mode & 0o077 == 0, name  # still its owner's only
    assert "gw-b:" in (tmp_path / "passwd").read_text()
