"""The installer's one port to the outside: the commands it runs (``useradd``,
``systemctl``, ``udevadm``) and the owners of files. Tests replace it with a recorder;
everything else the installer does is plain file work inside the target tree.

Owners are names as the *tree's* ``/etc/passwd`` and ``/etc/group`` say them: an SD
card's ``mimamori`` may have another uid than the machine preparing it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mimamori.edge.install.model import InstallError

# useradd and udevadm answer in milliseconds; `systemctl try-restart bluetooth` waits
# for BlueZ to stop and start (seconds). A minute means something hangs.
COMMAND_TIMEOUT_S = 60.0
MAX_DB_BYTES = 4 * 1024 * 1024  # a user database bigger than this is not a Pi's


class System(Protocol):
    def run(self, argv: Sequence[str]) -> None:
        """Run a command; InstallError (with its output) if it fails."""
        ...

    def chown(self, path: Path, user: str, group: str) -> None: ...

    def owner(self, path: Path) -> tuple[str, str]:
        """The user and group owning ``path`` (numbers when the tree has no name)."""
        ...


@dataclass(frozen=True)
class Accounts:
    """The users and groups of a tree, read from its ``etc/passwd`` and ``etc/group``."""

    users: dict[str, int]
    groups: dict[str, int]
    members: dict[str, frozenset[str]]  # supplementary members of each group

    @classmethod
    def read(cls, root: Path) -> Accounts:
        users = {fields[0]: int(fields[2]) for fields in _records(root / "etc/passwd")}
        groups: dict[str, int] = {}
        members: dict[str, frozenset[str]] = {}
        for fields in _records(root / "etc/group"):
            groups[fields[0]] = int(fields[2])
            listed = fields[3].split(",") if len(fields) > 3 else []
            members[fields[0]] = frozenset(m for m in listed if m)
        return cls(users, groups, members)

    def in_group(self, user: str, group: str) -> bool:
        return user in self.members.get(group, frozenset())


def _records(path: Path) -> list[list[str]]:
    """The colon-separated records of a passwd-like file (none if it is missing);
    lines that are not records (comments, NIS ``+`` lines) are passed over."""
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_DB_BYTES)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise InstallError(
            f"{path} を読めません（{exc.strerror}）", f"cannot read {path}: {exc.strerror}"
        ) from exc
    records = []
    for line in raw.decode("utf-8", errors="replace").splitlines():
        fields = line.split(":")
        if len(fields) >= 3 and fields[0] and fields[2].isdigit():
            records.append(fields)
    return records


class HostSystem:
    """The real thing: subprocesses, and ``os.chown`` by the tree's names."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def run(self, argv: Sequence[str]) -> None:
        try:
            done = subprocess.run(
                list(argv), capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise InstallError(
                f"{argv[0]} を実行できません", f"cannot run {argv[0]}: {exc}"
            ) from exc
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip()[-500:]
            raise InstallError(
                f"{argv[0]} が失敗しました（終了コード {done.returncode}）",
                f"{' '.join(argv)} failed (exit code {done.returncode}): {said}",
            )

    def chown(self, path: Path, user: str, group: str) -> None:
        accounts = Accounts.read(self.root)
        if user not in accounts.users or group not in accounts.groups:
            raise InstallError(
                f"{path} の持ち主にする {user}:{group} がいません",
                f"cannot give {path} to {user}:{group}: no such user or group in "
                f"{self.root / 'etc'}",
            )
        os.chown(path, accounts.users[user], accounts.groups[group], follow_symlinks=False)

    def owner(self, path: Path) -> tuple[str, str]:
        accounts = Accounts.read(self.root)
        st = path.lstat()
        user = next((n for n, uid in accounts.users.items() if uid == st.st_uid), str(st.st_uid))
        group = next((n for n, gid in accounts.groups.items() if gid == st.st_gid), str(st.st_gid))
        return user, group
