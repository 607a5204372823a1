"""``mimamori edge install`` as the technician types it: options refused with a clear
message, a dry run that leaves this machine as it was, and the real commands
(``useradd --root``, ``systemctl --root``) run on a throw-away tree, never on ``/``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from mimamori.cli import main
from mimamori.edge.install.model import InstallError
from mimamori.edge.install.system import Accounts, HostSystem
from tests.edge.install.helpers import make_tree, snapshot

MIMAMORI = [sys.executable, "-m", "mimamori"]
# As root, the test drops to nobody to be a technician without sudo.
AS_TECHNICIAN = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
# What an installer on / would touch: each path's mode, size and time of change.
SYSTEM_PATHS = [
    "/etc/passwd",
    "/etc/group",
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/mimamori",
    "/var/lib/mimamori",
    "/etc/udev/rules.d",
    "/etc/systemd/system",
]


def system_state() -> dict[str, tuple[int, int, int] | None]:
    found: dict[str, tuple[int, int, int] | None] = {}
    for top in map(Path, SYSTEM_PATHS):
        paths = [top, *sorted(top.rglob("*"))] if top.is_dir() else [top]
        for path in paths:
            try:
                st = path.lstat()
            except FileNotFoundError:
                found[str(path)] = None
                continue
            found[str(path)] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return found


@pytest.mark.parametrize(
    ("options", "ja", "en"),
    [
        (["--usb-vendor", "10c4"], "二つとも指定してください", "go together"),
        (["--usb-serial", "0001"], "二つとも指定してください", "go together"),
        (["--usb-vendor", "10c", "--usb-product", "ea60"], "16 進 4 桁", "4 hexadecimal"),
        (["--usb-vendor", "10c4", "--usb-product", "ea6z"], "16 進 4 桁", "4 hexadecimal"),
        (
            ["--usb-vendor", "10c4", "--usb-product", "ea60", "--usb-serial", 'A1"*'],
            "使えない文字があります",
            "only letters, digits",
        ),
        (["--program", "mimamori"], "絶対パス", "absolute path"),
        (["--program", "/opt/mimamori/bin/mimamori edge"], "絶対パス", "absolute path"),
        (["--program", "/home/pi/venv/bin/mimamori"], "ProtectHome", "ProtectHome"),
        (["--program", "/opt/other/bin/mimamori"], "がありません", "missing"),
    ],
)
def test_bad_options_are_refused_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], ja: str, en: str
) -> None:
    tree = make_tree(tmp_path / "root")
    before = snapshot(tree)
    code = main(["edge", "install", "--dry-run", "--root", str(tree), *options])
    said = capsys.readouterr()
    assert code == 2
    first, second = said.err.splitlines()
    assert first.startswith("mimamori edge install: ") and ja in first  # Japanese first
    assert second.startswith("mimamori edge install: ") and en in second
    assert said.out == "" and snapshot(tree) == before


def test_a_root_that_is_not_a_directory_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["edge", "install", "--dry-run", "--root", str(tmp_path / "none")])
    assert code == 2
    assert "ディレクトリではありません" in capsys.readouterr().err


def test_a_dry_run_on_this_machine_prints_each_step_and_changes_nothing() -> None:
    before = system_state()
    done = subprocess.run(
        [
            *MIMAMORI,
            "edge",
            "install",
            "--dry-run",
            "--usb-vendor",
            "10c4",
            "--usb-product",
            "ea60",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert system_state() == before
    lines = done.stdout.splitlines()
    assert lines[0].startswith("/ に入れます（--dry-run: 何も変えません）")
    for number in range(1, 6):
        assert any(line.startswith(f"[{number}/5] ") for line in lines)
    assert "/etc/udev/rules.d/99-mimamori.rules" in done.stdout
    assert (
        "（--dry-run なので何も変えていません）" in done.stdout or "変更はありません" in done.stdout
    )


@pytest.mark.skipif(
    os.geteuid() != 0 or not (shutil.which("useradd") and shutil.which("systemctl")),
    reason="useradd --root works only as root (it chroots)",
)
def test_the_real_commands_install_into_a_throwaway_tree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = make_tree(tmp_path / "root", bluez=True)
    host = Path("/etc/passwd").read_bytes(), Path("/etc/group").read_bytes()
    argv = ["edge", "install", "--root", str(tree), "--usb-vendor", "10c4", "--usb-product", "ea60"]
    assert main([*argv, "--ble"]) == 0
    first = capsys.readouterr().out
    assert (Path("/etc/passwd").read_bytes(), Path("/etc/group").read_bytes()) == host
    accounts = Accounts.read(tree)
    uid, gid = accounts.users["mimamori"], accounts.groups["mimamori"]
    assert accounts.in_group("mimamori", "dialout") and accounts.in_group("mimamori", "bluetooth")
    assert ":/nonexistent:/usr/sbin/nologin" in (tree / "etc/passwd").read_text()
    for path, owner in [
        ("etc/mimamori", (0, gid)),
        ("etc/mimamori/tls", (0, gid)),
        ("var/lib/mimamori", (uid, gid)),
        ("etc/systemd/system/mimamori-edge.service", (0, 0)),
    ]:
        st = (tree / path).stat()
        assert (st.st_uid, st.st_gid) == owner, path
    wants = tree / "etc/systemd/system/multi-user.target.wants/mimamori-edge.service"
    assert os.readlink(wants) == "/etc/systemd/system/mimamori-edge.service"
    assert "8 件を変更しました" in first
    assert main([*argv, "--ble"]) == 0
    assert "変更はありません。すべて設定済みです" in capsys.readouterr().out


def test_the_host_runner_says_why_a_command_failed(tmp_path: Path) -> None:
    system = HostSystem(tmp_path)
    system.run(["true"])
    with pytest.raises(InstallError) as failed:
        system.run(["sh", "-c", "echo useradd: group bluetooth does not exist >&2; exit 6"])
    assert failed.value.ja == "sh が失敗しました（終了コード 6）"
    assert failed.value.en.endswith("(exit code 6): useradd: group bluetooth does not exist")
    with pytest.raises(InstallError) as missing:
        system.run([str(tmp_path / "no-such-command")])
    assert "を実行できません" in missing.value.ja


def test_the_host_runner_names_owners_as_the_tree_does(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/passwd").write_text(f"someone:x:{os.getuid()}:{os.getgid()}::/:/bin/sh\n")
    (tmp_path / "etc/group").write_text(f"crew:x:{os.getgid()}:\n")
    path = tmp_path / "file"
    path.write_text("")
    system = HostSystem(tmp_path)
    assert system.owner(path) == ("someone", "crew")
    system.chown(path, "someone", "crew")  # giving a file to its owner: allowed to anyone
    with pytest.raises(InstallError) as refused:
        system.chown(path, "mimamori", "crew")
    assert "mimamori:crew がいません" in refused.value.ja


@pytest.fixture
def open_tree() -> Iterator[Path]:
    """A tree that a user without privileges may walk (pytest's tmp_path is root's alone)."""
    with tempfile.TemporaryDirectory() as top:
        Path(top).chmod(0o755)
        tree = make_tree(Path(top) / "root")
        (tree / "etc/mimamori").mkdir(mode=0o700)  # installed: not for everyone to read
        yield tree


@pytest.mark.skipif(
    os.geteuid() == 0 and shutil.which("setpriv") is None, reason="setpriv drops root's rights"
)
def test_without_root_the_install_is_refused_and_a_dry_run_asks_for_sudo(open_tree: Path) -> None:
    prefix = AS_TECHNICIAN if os.geteuid() == 0 else []

    def run(*options: str) -> subprocess.CompletedProcess[str]:
        argv = [*prefix, *MIMAMORI, "edge", "install", "--root", str(open_tree), *options]
        return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)

    before = snapshot(open_tree)
    refused = run()
    assert refused.returncode == 1
    assert refused.stderr.splitlines()[0].endswith(
        "root で実行してください（sudo を付けて）。見るだけなら --dry-run を付けます"
    )
    looked = run("--dry-run")
    assert looked.returncode == 1
    assert "tls を読む権限がありません。sudo を付けて実行してください" in looked.stderr
    assert snapshot(open_tree) == before
