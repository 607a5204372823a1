"""Say each step and its changes, and apply them unless it is a dry run.

The technician reads Japanese first and English after, on one line (`` | `` between
them: paths have slashes): what they paste into a support chat should be readable by
everyone (as hub/cli/common.py).
"""

from __future__ import annotations

import logging
from typing import TextIO

from mimamori.edge.install.model import OK, REFUSED, InstallError, Step
from mimamori.edge.install.system import System

log = logging.getLogger(__name__)


def say(out: TextIO, indent: str, ja: str, en: str) -> None:
    out.write(f"{indent}{ja} | {en}\n")


def carry_out(steps: list[Step], system: System, out: TextIO, *, dry_run: bool) -> int:
    """Print every step; apply its changes in order unless ``dry_run``. The first
    change that fails stops the run (what came before stays done: run it again)."""
    total = sum(len(step.changes) for step in steps)
    done = 0
    for number, step in enumerate(steps, 1):
        say(out, f"[{number}/{len(steps)}] ", step.ja, step.en)
        for ja, en in step.notes:
            say(out, "  - ", ja, en)
        if not step.changes:
            say(out, "  = ", "変更なし", "nothing to change")
        for change in step.changes:
            say(out, "  + ", change.ja, change.en)
            for line in change.detail:
                out.write(f"      {line}\n")
            if dry_run:
                continue
            try:
                change.apply(system)
            except (InstallError, OSError) as exc:
                ja, en = _why(exc)
                say(out, "  ! ", f"失敗しました: {ja}", f"failed: {en}")
                say(
                    out,
                    "",
                    f"{done} 件を変更したところで止まりました。直してから、もう一度実行してください"
                    "（済んだ手順は飛ばします）",
                    f"stopped after {done} change(s): fix it and run again "
                    "(what is done is skipped)",
                )
                log.warning("install stopped at %r: %s", change.en, en)
                return REFUSED
            done += 1
    if total == 0:
        say(out, "", "変更はありません。すべて設定済みです", "nothing to change: all in place")
    elif dry_run:
        say(
            out,
            "",
            f"{total} 件を変更します（--dry-run なので何も変えていません）",
            f"{total} change(s) to make (dry run: nothing was changed)",
        )
    else:
        say(out, "", f"{total} 件を変更しました", f"{total} change(s) made")
    return OK


def _why(exc: InstallError | OSError) -> tuple[str, str]:
    if isinstance(exc, InstallError):
        return exc.ja, exc.en
    where = f" ({exc.filename})" if exc.filename else ""
    return f"ファイルを書けません{where}: {exc.strerror}", f"cannot write{where}: {exc.strerror}"
