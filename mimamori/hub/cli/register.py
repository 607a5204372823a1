"""``mimamori hub import``: move a YAML register into the database, once.

    mimamori hub import --config hub.yaml [--register FILE] [--dry-run]

The register is read from the hub file's own keys beside ``hub:`` (a file written
before the register moved), or from ``--register FILE``. Every entry goes through the
register's change functions (validated, checked, audited as the import's), all in one
transaction; what the database holds already, the same, is skipped, so running it
again changes nothing. It prints what it added, changed and skipped, and where the
entries that name no area went. See docs/config.md#the-register.
"""

from __future__ import annotations

import argparse
import getpass
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mimamori.hub.cli.common import USAGE, CommandError, Invocation, command

if TYPE_CHECKING:
    from mimamori.configfile import YamlDocument
    from mimamori.hub.register.importing import ImportReport


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"cli:uid {os.getuid()}"


def _register_doc(run: Invocation) -> tuple[YamlDocument, bool]:
    """The register's YAML, and whether it came from the hub file itself."""
    from mimamori import configfile

    _, own = run.service_config()
    given = run.args.register
    if given is not None:
        if own is not None:
            raise CommandError(
                f"{run.args.config} にも登録簿の項目があります: どちらか一つにしてください",
                f"{run.args.config} holds register keys too: import one or the other",
                code=USAGE,
            )
        return configfile.read_yaml(Path(given)), False
    if own is None:
        raise CommandError(
            f"{run.args.config} に登録簿の項目（people, households...）がありません: "
            "--register FILE で取り込むファイルを指定してください",
            f"{run.args.config} holds no register (people, households...): "
            "give the file to import with --register FILE",
            code=USAGE,
        )
    return own, True


async def _import(run: Invocation) -> None:
    from mimamori import configfile
    from mimamori.errors import ChangeRefused, ConfigError
    from mimamori.hub.model.register import Actor
    from mimamori.hub.register.changes import RegisterChanges
    from mimamori.hub.register.importing import import_register
    from mimamori.hub.register.schema import READ_AT
    from mimamori.hub.register.yaml_format import RegisterFile
    from mimamori.settings import context_for

    doc, own = _register_doc(run)
    now = datetime.now(UTC)  # a command's "now" is the system clock
    path = Path(doc.file)
    register = configfile.validate(doc, RegisterFile, {**context_for(path), READ_AT: now})
    changes = RegisterChanges(await run.store(), lambda: now)
    by = Actor(_operator(), "admin", "import")
    try:
        report = await import_register(register, changes, by, dry_run=run.args.dry_run)
    except ChangeRefused as exc:
        raise ConfigError(
            [doc.problem(_path(p.field), f"{p.ja} / {p.en}") for p in exc.problems]
        ) from None
    _say(report, run.args.config if own else None)


def _path(field: str) -> tuple[str | int, ...]:
    return tuple(int(part) if part.isdigit() else part for part in field.split(".") if part)


def _say(report: ImportReport, hub_file: Any) -> None:
    verb_ja, verb_en = (
        (
            "取り込みます（試しに: 何も書き込んでいません）",
            "would import (dry run: nothing written)",
        )
        if report.dry_run
        else ("取り込みました", "imported")
    )
    area = report.default_area
    print(f"登録簿を{verb_ja} / {verb_en} the register")
    print(
        f"地域のない項目の地域: {area.id}（{area.name}） / "
        f"entries that name no area: in {area.id} ({area.name})"
    )
    for label_ja, label_en, entries in (
        ("追加", "added", report.added),
        ("変更", "changed", report.changed),
        ("変更なし", "skipped (unchanged)", report.unchanged),
    ):
        for entity, entry_id in entries:
            print(f"  {label_ja} / {label_en}\t{entity.value}\t{entry_id}")
    print(
        f"追加 {len(report.added)}、変更 {len(report.changed)}、変更なし {len(report.unchanged)} / "
        f"added {len(report.added)}, changed {len(report.changed)}, "
        f"skipped {len(report.unchanged)}"
    )
    if report.register_version is not None:
        print(f"登録簿の版 {report.register_version} / register version {report.register_version}")
    if hub_file is not None and not report.dry_run:
        print(
            f"次に {hub_file} から登録簿の項目（hub: 以外）を消してから、ハブを起動してください / "
            f"now delete the register's keys (all but hub:) from {hub_file}, then start the hub"
        )


def add_parser(actions: Any) -> None:
    importing = actions.add_parser(
        "import", help="move a YAML register (people, households...) into the database"
    )
    importing.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    importing.add_argument(
        "--register", metavar="FILE", help="the register's YAML (default: the keys of --config)"
    )
    importing.add_argument("--dry-run", action="store_true", help="say what it would do only")
    importing.set_defaults(func=command("hub import", _import))
