"""Directories and files with an owner and a mode: what each needs, as changes.

A plan reads; only a change's ``apply`` writes. A file is written whole to a
temporary name next to it, given its mode, then renamed over the old one, so a
power cut leaves the old file or the new one, never half of either.
"""

from __future__ import annotations

import difflib
import os
import stat
from pathlib import Path, PurePosixPath

from mimamori.edge.install.model import Change, InstallError, Target
from mimamori.edge.install.system import System

MAX_DIFF_LINES = 40  # a rewritten file's diff shown to the technician, at most


def _owned(owner: tuple[str, str]) -> str:
    return f"{owner[0]}:{owner[1]}"


def ensure_dir(
    target: Target, path: PurePosixPath, *, owner: tuple[str, str], mode: int, system: System
) -> list[Change]:
    """What makes ``path`` a directory owned by ``owner`` with ``mode``."""
    where = target.path(path)
    said = f"{_owned(owner)} {mode:04o}"
    if not where.exists() and not where.is_symlink():

        def create(system: System) -> None:
            where.mkdir(parents=True, exist_ok=True)
            where.chmod(mode)  # mkdir's mode is cut by the umask
            system.chown(where, *owner)

        return [Change(f"ディレクトリを作る {path}（{said}）", f"create {path}/ ({said})", create)]
    if where.is_symlink() or not where.is_dir():
        raise InstallError(
            f"{path} がディレクトリではありません。確かめて、片づけてからもう一度実行してください",
            f"{path} is not a directory: look at it, move it away and run again",
        )
    return _fix_owner_and_mode(where, path, owner, mode, system)


def ensure_file(
    target: Target,
    path: PurePosixPath,
    content: str,
    *,
    owner: tuple[str, str],
    mode: int,
    system: System,
) -> list[Change]:
    """What makes ``path`` hold ``content``, owned by ``owner`` with ``mode``."""
    where = target.path(path)
    said = f"{_owned(owner)} {mode:04o}"
    data = content.encode()

    def write(system: System) -> None:
        _write_atomically(where, data, mode)
        system.chown(where, *owner)

    if not where.exists() and not where.is_symlink():
        return [Change(f"ファイルを作る {path}（{said}）", f"create {path} ({said})", write)]
    if where.is_symlink() or not where.is_file():
        raise InstallError(
            f"{path} が普通のファイルではありません。"
            "確かめて、片づけてからもう一度実行してください",
            f"{path} is not a regular file: look at it, move it away and run again",
        )
    try:
        old = where.read_bytes()
    except OSError as exc:
        raise InstallError(
            f"{path} を読めません（{exc.strerror}）", f"cannot read {path}: {exc.strerror}"
        ) from exc
    if old != data:
        diff = _diff(old, data, str(path))
        return [
            Change(
                f"ファイルを書き換える {path}（{said}、違いは下のとおり）",
                f"rewrite {path} ({said}; the difference below)",
                write,
                detail=tuple(diff),
            )
        ]
    return _fix_owner_and_mode(where, path, owner, mode, system)


def _fix_owner_and_mode(
    where: Path, path: PurePosixPath, owner: tuple[str, str], mode: int, system: System
) -> list[Change]:
    changes: list[Change] = []
    current = stat.S_IMODE(where.stat().st_mode)
    if current != mode:
        changes.append(
            Change(
                f"{path} の権限を {current:04o} から {mode:04o} にする",
                f"change the mode of {path} from {current:04o} to {mode:04o}",
                lambda _system: where.chmod(mode),
            )
        )
    had = system.owner(where)
    if had != owner:
        changes.append(
            Change(
                f"{path} の持ち主を {_owned(had)} から {_owned(owner)} にする",
                f"give {path} to {_owned(owner)} (now {_owned(had)})",
                lambda system: system.chown(where, *owner),
            )
        )
    return changes


def _write_atomically(where: Path, data: bytes, mode: int) -> None:
    where.parent.mkdir(parents=True, exist_ok=True)
    tmp = where.with_name(f".{where.name}.mimamori-install")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "wb") as f:
        os.fchmod(fd, mode)  # O_CREAT's mode is cut by the umask, and an old tmp kept its own
        f.write(data)
        f.flush()
        os.fsync(fd)
    os.replace(tmp, where)


def _diff(old: bytes, new: bytes, name: str) -> list[str]:
    lines = list(
        difflib.unified_diff(
            old.decode("utf-8", errors="replace").splitlines(),
            new.decode().splitlines(),
            f"{name} (now)",
            f"{name} (new)",
            lineterm="",
        )
    )
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... ({len(lines) - MAX_DIFF_LINES} more lines)"]
    return lines
