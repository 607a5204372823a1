"""``mimamori hub import``: a YAML register into the database, through the change
functions, once; the real command as a process, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mimamori.demo import write_files
from mimamori.errors import ChangeRefused
from mimamori.hub.model.register import Actor, Entity
from mimamori.hub.register.changes import RegisterChanges
from mimamori.hub.register.importing import import_register
from mimamori.hub.register.loading import load_registry
from mimamori.hub.register.schema import READ_AT
from mimamori.hub.register.yaml_format import RegisterFile
from mimamori.hub.store.sql_store import SqlStore
from tests.hub.helpers import TAG_TSURU, HubClock, database_for, dump, query

ROOT = Path(__file__).resolve().parents[3]
IMPORTER = Actor("cli:test", "admin", "import")


def mimamori(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mimamori", *args],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def service_file(tmp_path: Path, **more: Any) -> Path:
    path = tmp_path / "hub.yaml"
    doc = {"hub": {"database": database_for(tmp_path), "broker": {"host": "127.0.0.1"}}}
    path.write_text(yaml.safe_dump({**doc, **more}, allow_unicode=True), encoding="utf-8")
    return path


def example_register(tmp_path: Path) -> Path:
    """configs/register.yaml, its channel files made here instead of in /etc."""
    channels = tmp_path / "channels"
    channels.mkdir()
    for name in (
        "higa-family",
        "miyagi-family",
        "volunteer-0001",
        "care-center",
        "on-call",
        "technician",
    ):
        (channels / name).write_text(f"# {name}\nmailto://{name}:pw@example.jp\n")
    text = (ROOT / "configs" / "register.yaml").read_text(encoding="utf-8")
    path = tmp_path / "register.yaml"
    path.write_text(text.replace("/etc/mimamori/channels/", f"{channels}/"), encoding="utf-8")
    return path


async def test_the_example_register_is_imported_once_and_a_second_run_changes_nothing(
    tmp_path: Path,
) -> None:
    hub, register = service_file(tmp_path), example_register(tmp_path)
    dry = mimamori("hub", "import", "--config", str(hub), "--register", str(register), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dry run: nothing written" in dry.stdout
    empty = await dump(tmp_path)  # the dry run made the tables, and wrote nothing in them
    assert await query(tmp_path, "SELECT count(*) FROM people") == [(0,)]
    first = mimamori("hub", "import", "--config", str(hub), "--register", str(register))
    assert first.returncode == 0, first.stderr
    said = first.stdout.splitlines()
    assert said[0] == "登録簿を取り込みました / imported the register"
    assert "entries that name no area: in ginowan-1" in said[1]
    added = [line.split("\t")[1:] for line in said if line.startswith("  追加 / added")]
    assert ["person", "p-0001"] in added and ["household", "hh-0001"] in added
    assert len(added) == 2 + 3 + 6 + 1 + 3 + 1 + 2  # areas ... families
    assert dry.stdout.count("\n  追加 / added\t") == len(added)  # the dry run said the same
    again = mimamori("hub", "import", "--config", str(hub), "--register", str(register))
    assert again.returncode == 0, again.stderr
    assert "追加 0、変更 0、変更なし 18 / added 0, changed 0, skipped 18" in again.stdout
    rows = await query(
        tmp_path, "SELECT via, action, count(*) FROM register_audit GROUP BY via, action"
    )
    assert rows == [("import", "add", 18)]
    assert await dump(tmp_path) != empty
    store_rows = await query(tmp_path, "SELECT channels FROM contacts WHERE id = 'r-higa-family'")
    assert json.loads(store_rows[0][0]) == ["mailto://higa-family:pw@example.jp"]


async def test_the_demo_register_is_imported_and_read_back_as_the_demo_had_it(
    tmp_path: Path, store: SqlStore
) -> None:
    files = write_files(tmp_path, broker_port=1883, http_port=8080)
    doc = yaml.safe_load(files["register"].read_text(encoding="utf-8"))
    register = RegisterFile.model_validate(doc, context={READ_AT: HubClock()()})
    report = await import_register(register, RegisterChanges(store, HubClock()), IMPORTER)
    assert report.default_area.id == "ginowan-1" and not report.changed
    registry = await load_registry(store)
    assert registry.families["f-demo"].households == ["hh-demo"]
    assert registry.households["hh-demo"].people == ["p-demo-home"]
    assert registry.people["p-demo"].consents_to("location")
    assert registry.gateways["gw-demo-home"].site == "home"


async def test_a_changed_entry_is_updated_and_audited_with_what_it_was(
    tmp_path: Path, store: SqlStore
) -> None:
    doc: dict[str, Any] = {
        "people": [{"id": "p-1", "name": "比嘉 ツル", "tags": [TAG_TSURU]}],
        "families": [{"id": "f-1", "name": "比嘉家", "people": ["p-1"]}],
    }
    changes = RegisterChanges(store, HubClock())
    await import_register(RegisterFile.model_validate(doc), changes, IMPORTER)
    doc["people"][0]["name"] = "比嘉 ツル子"
    report = await import_register(RegisterFile.model_validate(doc), changes, IMPORTER)
    assert report.changed == [(Entity.PERSON, "p-1")]
    assert sorted(report.unchanged) == [(Entity.AREA, "default"), (Entity.FAMILY, "f-1")]
    [(before, after)] = await query(
        tmp_path, "SELECT before_doc, after_doc FROM register_audit WHERE action = 'update'"
    )
    assert (json.loads(before)["name"], json.loads(after)["name"]) == ("比嘉 ツル", "比嘉 ツル子")


async def test_an_import_refused_anywhere_writes_nothing_and_says_where(
    tmp_path: Path, store: SqlStore
) -> None:
    changes = RegisterChanges(store, HubClock())
    await changes.add_area({"id": "default", "name": "既定の地域"}, IMPORTER)
    await changes.add_person({"id": "p-9", "area": "default", "name": "x", "tags": [TAG_TSURU]},
                             IMPORTER)  # fmt: skip
    before = await dump(tmp_path)
    doc = {
        "gateways": [{"id": "gw-1", "name": "自販機", "lat": 26.28, "lon": 127.78}],
        "people": [
            {"id": "p-1", "name": "比嘉 ツル"},
            {"id": "p-2", "name": "宮城 カマ", "tags": [TAG_TSURU]},  # p-9 holds it
        ],
    }
    with pytest.raises(ChangeRefused) as refused:
        await import_register(RegisterFile.model_validate(doc), changes, IMPORTER)
    [problem] = refused.value.problems
    assert (problem.field, problem.en) == (
        "people.1.tags",
        f"held by another person: {TAG_TSURU} (p-9)",
    )
    assert await dump(tmp_path) == before
    # The command says it at its place in the file, and writes nothing either.
    path = tmp_path / "register.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    refused_run = mimamori(
        "hub", "import", "--config", str(service_file(tmp_path)), "--register", str(path)
    )
    assert refused_run.returncode == 2
    assert (
        f"{path}:" in refused_run.stderr
        and "people[1].tags: ほかの人のものです" in refused_run.stderr
    )
    assert await dump(tmp_path) == before


def test_a_hub_started_with_register_keys_in_its_file_refuses_and_names_the_import(
    tmp_path: Path,
) -> None:
    people = [{"id": "p-1", "name": "比嘉 ツル"}]
    hub = service_file(tmp_path, people=people)
    refused = mimamori("hub", "--config", str(hub))
    assert refused.returncode == 2
    assert f"'mimamori hub import --config {hub}'" in refused.stderr
    moved = mimamori("hub", "import", "--config", str(hub))  # the file's own keys
    assert moved.returncode == 0, moved.stderr
    assert f"now delete the register's keys (all but hub:) from {hub}" in moved.stdout
    assert "  追加 / added\tperson\tp-1" in moved.stdout
