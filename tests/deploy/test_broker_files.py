"""The broker's account files as an install lays them out (docs/deploy.md, "Broker
files"): a setgid directory of group ``mosquitto`` owned by the hub's user, the files
0640. The hub's process (no capabilities, not in that group) rewrites them from the
desk, root's ``gateway add`` too, and each rewrite keeps what Mosquitto needs to read
them: owner, group and the group-read bit, never a world bit."""

from __future__ import annotations

import asyncio
import ctypes
import os
import pwd
import stat
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from mimamori.demo.mosquitto import free_port, run_user, wait_for_port
from mimamori.hub.broker.accounts import accounts, set_account
from mimamori.hub.broker.gateway_accounts import provision
from mimamori.hub.config import load_hub_config
from mimamori.hub.web.catalogue.desk_en import TEXT
from tests.deploy.test_broker_acl import connected

as_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="files of other users and groups need root (as ./run test runs)"
)
# Stands in for the hub's user: in no group of the broker's, and its own group is not
# the id an unmapped group shows as in a user namespace (65534), so the comparison of
# ids under PrivateUsers=yes is not passed by chance.
HUB_USER = pwd.getpwnam("daemon")
CLONE_NEWUSER = 0x10000000  # <linux/sched.h>
PR_SET_DUMPABLE = 4  # <linux/prctl.h>


def broker_gid() -> int:
    return pwd.getpwnam(run_user()).pw_gid


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@as_root
def test_a_rewritten_file_keeps_its_group_and_group_read_mode(tmp_path: Path) -> None:
    passwd = tmp_path / "passwd"
    passwd.write_text("")
    os.chown(passwd, -1, broker_gid())
    passwd.chmod(0o640)
    set_account(passwd, "gw-a")
    assert (passwd.stat().st_gid, mode_of(passwd)) == (broker_gid(), 0o640)
    passwd.chmod(0o644)  # someone opened it to the world: the rewrite closes it again
    set_account(passwd, "gw-b")
    assert (passwd.stat().st_gid, mode_of(passwd)) == (broker_gid(), 0o640)
    assert accounts(passwd) == {"gw-a", "gw-b"}


def test_a_new_file_is_its_owners_only(tmp_path: Path) -> None:
    passwd = tmp_path / "new" / "passwd"
    set_account(passwd, "gw-a")
    assert mode_of(passwd) == 0o600
    set_account(passwd, "gw-b")
    assert mode_of(passwd) == 0o600


@pytest.fixture
def installed() -> Iterator[Path]:
    """A town's broker directory made with docs/deploy.md's one-time commands (with
    ``daemon`` as the hub's user), and a hub config naming it, readable by that user."""
    with tempfile.TemporaryDirectory(prefix="mimamori-broker-") as name:
        root = Path(name)
        root.chmod(0o755)
        broker = root / "mosquitto"
        owner = ["-o", HUB_USER.pw_name, "-g", str(broker_gid())]
        subprocess.run(["install", "-d", *owner, "-m", "2750", broker], check=True)
        for file in ("passwd", "acl"):
            made = ["install", *owner, "-m", "0640", "/dev/null", broker / file]
            subprocess.run(made, check=True)
        config = root / "hub.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "hub": {
                        "database": {"path": str(root / "hub.sqlite3")},
                        "broker": {"host": "127.0.0.1"},
                        "mosquitto": {
                            "password_file": str(broker / "passwd"),
                            "acl_file": str(broker / "acl"),
                        },
                    }
                }
            )
        )
        config.chmod(0o644)
        yield config


def gateway_add(config: Path, gw: str) -> str:
    """``mimamori hub gateway add`` run by root (the technician); the password."""
    out = subprocess.run(
        [sys.executable, "-m", "mimamori", "hub", "gateway", "add", "--config", str(config), gw],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return next(line for line in out.stdout.splitlines() if line and not line.startswith("#"))


def private_users() -> None:
    """Enter a user namespace that maps the hub's user alone (as the hub's unit does
    with PrivateUsers=yes, which maps root and the unit's user): every other owner and
    group, ``mosquitto`` among them, then shows as the overflow id."""
    libc = ctypes.CDLL(None, use_errno=True)
    # setuid() made the process undumpable, which gives /proc/self to root: undo it.
    if libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0 or libc.unshare(CLONE_NEWUSER) != 0:
        raise OSError(ctypes.get_errno(), "prctl or unshare(CLONE_NEWUSER)")
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"{HUB_USER.pw_uid} {HUB_USER.pw_uid} 1")
    Path("/proc/self/gid_map").write_text(f"{HUB_USER.pw_gid} {HUB_USER.pw_gid} 1")


def desk_add(config: Path, gw: str, *, in_namespace: bool) -> str:
    """``provision`` as the desk calls it, in a process of the hub's user with no
    other group (forked: that user cannot reach this Python under /root)."""
    hub = load_hub_config(config)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit code
        code = 1
        try:
            os.setgroups([])
            os.setgid(HUB_USER.pw_gid)
            os.setuid(HUB_USER.pw_uid)
            if in_namespace:
                private_users()
            os.write(write, provision(hub, gw).password.encode())
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as answer:
        password = answer.read().decode()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the hub's user could not write the files"
    return password


async def connects(port: int, passwords: dict[str, str]) -> None:
    for gw, password in passwords.items():
        async with connected(port, gw, password) as (link, _):
            assert link.connected.is_set(), gw


@as_root
@pytest.mark.parametrize("in_namespace", [False, True], ids=["plain", "private-users"])
def test_the_hubs_user_and_root_both_rewrite_the_files_and_mosquitto_reads_them(
    installed: Path, in_namespace: bool
) -> None:
    broker = installed.parent / "mosquitto"
    # Root first (it leaves nothing the hub's user cannot open), then the hub's user,
    # who cannot chown to the broker's group: the setgid bit gives it.
    passwords = {"gw-root": gateway_add(installed, "gw-root")}
    passwords["gw-hub"] = desk_add(installed, "gw-hub", in_namespace=in_namespace)
    for file in ("passwd", "acl"):
        st = (broker / file).stat()
        assert (st.st_uid, st.st_gid, mode_of(broker / file)) == (
            HUB_USER.pw_uid, broker_gid(), 0o640,
        ), file  # fmt: skip
    assert accounts(broker / "passwd") == {"gw-root", "gw-hub"}
    assert not list(broker.glob("*.tmp")) and not list(broker.glob("*.lock"))
    # Mosquitto, as its own user, reads both files through its group.
    port = free_port()
    conf = installed.parent / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous false\nuser {run_user()}\n"
        f"password_file {broker / 'passwd'}\nacl_file {broker / 'acl'}\n"
    )
    conf.chmod(0o644)
    proc = subprocess.Popen(
        ["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_for_port("127.0.0.1", port, 10)
        asyncio.run(connects(port, passwords))
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert b"Error" not in err, err.decode(errors="replace")


def test_the_command_says_what_the_desk_page_says_about_the_reload(tmp_path: Path) -> None:
    config = tmp_path / "hub.yaml"
    broker = {"password_file": str(tmp_path / "passwd"), "acl_file": str(tmp_path / "acl")}
    config.write_text(
        yaml.safe_dump(
            {"hub": {"database": {"path": "hub.sqlite3"}, "broker": {"host": "127.0.0.1"},
                     "mosquitto": broker}}
        )
    )  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-m", "mimamori", "hub", "gateway", "add", "--config", str(config), "gw"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "mimamori-broker-reload.path" in TEXT["desk_broker_reload"]
    assert f"# {TEXT['desk_broker_reload']}" in out.stdout.splitlines()
