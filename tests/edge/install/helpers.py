"""A gateway's file tree to install into, and a recorder standing in for the commands.

``Recorder`` is the installer's ``System`` port replaced at the outside edge: it never
runs ``useradd``, ``systemctl`` or ``udevadm``, it writes down what was asked and makes
in the tree the change the real command would (a line in ``etc/passwd``, the wants link
of ``systemctl enable``), so that a second run sees the first one's work. Owners live
in it too: a test need not be root to check that ``/etc/mimamori`` went to
``root:mimamori``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mimamori.edge.install.model import InstallError

PROGRAM = "/opt/mimamori/bin/mimamori"
# What Debian 12 (bookworm) ships in bluez's unit, the line that matters.
BLUEZ_UNIT = """[Unit]
Description=Bluetooth service

[Service]
Type=dbus
BusName=org.bluez
ExecStart=/usr/libexec/bluetooth/bluetoothd
NotifyAccess=main

[Install]
WantedBy=bluetooth.target
Alias=dbus-org.bluez.service
"""


def make_tree(root: Path, *, bluez: bool = False) -> Path:
    """A fresh Debian 12: base-passwd's users and groups, os-release, the mimamori
    command in /opt/mimamori (as pip put it there) and, if asked, bluez's unit."""
    (root / "etc").mkdir(parents=True)
    (root / "etc/passwd").write_text(
        "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    )
    (root / "etc/group").write_text("root:x:0:\ndaemon:x:1:\ndialout:x:20:\n")
    (root / "etc/shadow").write_text("root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n")
    (root / "etc/gshadow").write_text("root:*::\ndaemon:*::\ndialout:*::\n")
    (root / "etc/os-release").write_text(
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'
    )
    program = root / PROGRAM.lstrip("/")
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    if bluez:
        add_bluez(root)
    return root


def add_bluez(root: Path) -> None:
    unit = root / "usr/lib/systemd/system/bluetooth.service"
    unit.parent.mkdir(parents=True, exist_ok=True)
    unit.write_text(BLUEZ_UNIT)
    with (root / "etc/group").open("a") as f:
        f.write("bluetooth:x:111:\n")


def snapshot(root: Path) -> dict[str, tuple[int, bytes | str | None]]:
    """Every path under ``root``: its mode and its content (a link's target)."""
    found: dict[str, tuple[int, bytes | str | None]] = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode):
            content: bytes | str | None = os.readlink(path)
        elif stat.S_ISREG(st.st_mode):
            content = path.read_bytes()
        else:
            content = None
        found[str(path.relative_to(root))] = (st.st_mode, content)
    return found


@dataclass
class Recorder:
    """The ``System`` port of a test: records, and acts out the commands in the tree."""

    root: Path
    commands: list[list[str]] = field(default_factory=list)
    chowns: dict[str, tuple[str, str]] = field(default_factory=dict)  # by path in the tree
    fail: str | None = None  # the command that fails, as a broken one would

    def run(self, argv: Sequence[str]) -> None:
        argv = list(argv)
        self.commands.append(argv)
        if argv[0] == self.fail:
            raise InstallError(f"{argv[0]} が失敗しました", f"{argv[0]} failed (recorded)")
        if argv[0] == "groupadd":
            self._add_group(argv[-1], [])
        elif argv[0] == "useradd":
            self._useradd(argv)
        elif argv[0] == "usermod":
            for group in argv[argv.index("--groups") + 1].split(","):
                self._join(group, argv[-1])
        elif argv[0] == "systemctl" and "enable" in argv:
            unit = argv[-1]
            wants = self.root / "etc/systemd/system/multi-user.target.wants" / unit
            wants.parent.mkdir(parents=True, exist_ok=True)
            wants.symlink_to(f"/etc/systemd/system/{unit}")

    def chown(self, path: Path, user: str, group: str) -> None:
        self.chowns[self._key(path)] = (user, group)

    def owner(self, path: Path) -> tuple[str, str]:
        # What the installer made without a chown is root's, as in a real run as root.
        return self.chowns.get(self._key(path), ("root", "root"))

    def _key(self, path: Path) -> str:
        return "/" + str(path.relative_to(self.root))

    def _useradd(self, argv: list[str]) -> None:
        user = argv[-1]
        uid = 999 - len(self.commands)
        with (self.root / "etc/passwd").open("a") as f:
            f.write(f"{user}:x:{uid}:{uid}::/nonexistent:/usr/sbin/nologin\n")
        if "--user-group" in argv:
            self._add_group(user, [])
        for group in argv[argv.index("--groups") + 1].split(","):
            self._join(group, user)

    def _add_group(self, group: str, members: list[str]) -> None:
        with (self.root / "etc/group").open("a") as f:
            f.write(f"{group}:x:{900 + len(self.commands)}:{','.join(members)}\n")

    def _join(self, group: str, user: str) -> None:
        path = self.root / "etc/group"
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            fields = line.split(":")
            if fields[0] == group:
                members = [m for m in fields[3].split(",") if m]
                fields[3] = ",".join([*members, user])
                lines[i] = ":".join(fields)
        path.write_text("\n".join(lines) + "\n")
