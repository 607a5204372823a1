"""Every ``mimamori hub`` command says what went wrong one way (hub/cli/common.py):
the same words and exit code whichever command met it, Japanese then English, each
line naming the command, never a traceback."""

from __future__ import annotations

import asyncio
import re
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from mimamori.cli import main
from mimamori.hub.model.quarantine import Quarantined
from mimamori.protocol.topics import ID_PATTERN
from tests.hub.eid_helpers import eid_config
from tests.hub.helpers import PASSWORD, database_for, open_test_store

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

# Each command that reads the hub's config, with arguments it would accept.
CONFIG_COMMANDS: dict[str, list[str]] = {
    "hub link": ["link", "--family", "f-higa"],
    "hub token create": ["token", "create", "--admin", "--name", "ops"],
    "hub token list": ["token", "list"],
    "hub token revoke": ["token", "revoke", "ops"],
    "hub session list": ["session", "list"],
    "hub session revoke": ["session", "revoke", "--family", "f-higa"],
    "hub user add": ["user", "add", "--id", "u1", "--name", "U", "--role", "staff",
                     "--area", "default"],
    "hub user areas": ["user", "areas", "--id", "u1", "--area", "default"],
    "hub user list": ["user", "list"],
    "hub user disable": ["user", "disable", "--id", "u1"],
    "hub tag add": ["tag", "add", "eid:tsuru"],
    "hub tag list": ["tag", "list"],
    "hub purge": ["purge", "--dry-run"],
    "hub person forget": ["person", "forget", "p-tsuru", "--dry-run"],
    "hub person export": ["person", "export", "p-tsuru"],
    "hub quarantine list": ["quarantine", "list"],
    "hub quarantine show": ["quarantine", "show", "1"],
    "hub quarantine clear": ["quarantine", "clear", "--up-to", "1"],
    "hub gateway enroll": ["gateway", "enroll", "gw-a"],
}
# ... and those that read it but never open the database.
NO_STORE = {
    "hub tag kek": ["tag", "kek"],
    "hub gateway add": ["gateway", "add", "gw-x"],
    "hub broker-account": ["broker-account"],
}


def run(name: str, args: list[str], config: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    extra = ["--password-file", str(config.with_name("pw"))] if name == "hub user add" else []
    code = main(["hub", *args, *extra, "--config", str(config)])
    said = capsys.readouterr()
    assert "Traceback" not in said.err, name
    prefix = f"mimamori {name}: "
    lines = said.err.splitlines()
    assert lines[0].startswith(prefix) and lines[1].startswith(prefix), said.err
    # What is said, without the command's name: the same for every command.
    return code, [line.removeprefix(prefix) for line in lines]


def test_every_command_says_a_config_file_it_cannot_read_the_same_way(
    tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path_factory.mktemp("nowhere") / "hub.yaml"  # never written
    config.with_name("pw").write_text(PASSWORD)
    said = {name: run(name, args, config, capsys) for name, args in CONFIG_COMMANDS.items()}
    said |= {name: run(name, args, config, capsys) for name, args in NO_STORE.items()}
    first, *_ = said.values()
    assert first[0] == 2
    assert first[1][:2] == ["設定ファイルに誤りがあります", "the config file has mistakes"]
    assert first[1][2].startswith(f"{config}:1:1: (file): cannot read")
    assert all(s == first for s in said.values()), said


def unreachable(tmp_path: Path) -> dict[str, Any]:
    """A database section naming a database nobody can open: SQLite in a directory
    that is a file, or a PostgreSQL server on a port where nothing listens."""
    database = database_for(tmp_path)
    if "path" in database:
        blocker = tmp_path / "not-a-directory"
        blocker.write_text("")
        return {"path": str(blocker / "hub.sqlite3")}
    with socket.socket() as probe:  # a free port, closed again: connections are refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return {"postgres": {**database["postgres"], "port": port}}


def test_every_command_says_a_database_it_cannot_open_the_same_way(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = eid_config(tmp_path).model_dump(mode="json", exclude_unset=True)
    doc["hub"]["database"] = unreachable(tmp_path)
    config = tmp_path / "hub.yaml"
    config.write_text(yaml.safe_dump(doc, allow_unicode=True))
    config.with_name("pw").write_text(PASSWORD)
    said = {name: run(name, args, config, capsys) for name, args in CONFIG_COMMANDS.items()}
    first, *_ = said.values()
    assert first[0] == 1
    assert first[1][0] == "データベースを使えません（理由は次の行）"
    assert first[1][1].startswith("cannot open the database")
    assert all(s == first for s in said.values()), said


async def set_aside(tmp_path: Path, item: Quarantined) -> None:
    store = await open_test_store(tmp_path)
    try:
        await store.quarantine([item], T0)
    finally:
        await store.close()


def test_the_quarantine_is_listed_shown_and_cleared_and_a_missing_entry_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Not a coroutine: the command runs its own event loop, as from a shell.
    item = Quarantined("mqtt", "not_json", "not JSON", False, "gw-a", "t", b"\xff{")
    asyncio.run(set_aside(tmp_path, item))
    doc = eid_config(tmp_path).model_dump(mode="json", exclude_unset=True)
    config = tmp_path / "hub.yaml"
    config.write_text(yaml.safe_dump(doc, allow_unicode=True))
    hub = ["--config", str(config)]
    assert main(["hub", "quarantine", "list", *hub]) == 0
    [row] = capsys.readouterr().out.splitlines()
    entry_id, _, *said = row.split("\t")
    assert said == ["refused", "mqtt", "gw-a", "not_json", "not JSON"]
    assert main(["hub", "quarantine", "show", entry_id, *hub]) == 0
    assert "payload:\n\\\\xff{" in capsys.readouterr().out
    assert main(["hub", "quarantine", "show", "999", *hub]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "mimamori hub quarantine show: 隔離された項目 999 はありません",
        "mimamori hub quarantine show: no entry 999 in the quarantine",
    ]
    assert main(["hub", "quarantine", "clear", "--up-to", entry_id, *hub]) == 0
    assert capsys.readouterr().out == "1 entries cleared\n"
    assert main(["hub", "quarantine", "list", *hub]) == 0
    assert capsys.readouterr().out == "the quarantine is empty\n"


@pytest.mark.parametrize(
    "command",
    [
        ["gateway", "add", "--config", "hub.yaml"],
        ["gateway", "enroll", "--config", "hub.yaml"],
        ["pki", "client", "--dir", "ca"],
    ],
)
def test_a_gateway_id_the_wire_would_refuse_is_refused_before_anything_is_made(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    too_long = "g" * 64  # the topics' ids have at most 63 characters
    assert re.match(ID_PATTERN, too_long) is None
    with pytest.raises(SystemExit) as stopped:
        main(["hub", *command, too_long])
    assert stopped.value.code == 2
    assert f"{too_long!r} is not a gateway id" in capsys.readouterr().err
