"""``mimamori hub tag kek|add|list`` and ``mimamori tag eid``, run as the real commands."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import yaml

from mimamori.protocol.eid import compute_eid
from tests.hub.eid_helpers import eid_document
from tests.hub.helpers import hub_files


def mimamori(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "MIMAMORI_EID_KEK"} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "mimamori", *args],
        capture_output=True,
        text=True,
        check=False,
        env=environ,
        timeout=60,
    )


def config_file(tmp_path: Path, with_kek_file: bool = True) -> Path:
    doc = eid_document(tmp_path)
    if not with_kek_file:
        doc["hub"]["eid"]["kek_file"] = None
    return hub_files(tmp_path, doc)


def test_a_new_tag_gets_a_key_and_everything_its_tag_or_the_simulator_needs(
    tmp_path: Path,
) -> None:
    path = config_file(tmp_path)
    (tmp_path / "eid.kek").unlink()  # written by eid_config; make a real one
    made = mimamori("hub", "tag", "kek", "--config", str(path))
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE((tmp_path / "eid.kek").stat().st_mode) == 0o600
    again = mimamori("hub", "tag", "kek", "--config", str(path))
    assert again.returncode != 0 and "exists" in again.stderr

    added = mimamori("hub", "tag", "add", "--config", str(path), "eid:tsuru", "--exponent", "8")
    assert added.returncode == 0, added.stderr
    printed = yaml.safe_load(added.stdout)
    key = bytes.fromhex(printed["identity_key"])
    assert printed["rotation_exponent"] == 8 and printed["time_counter"] == 65_280
    assert printed["eid"] == compute_eid(key, 8, 65_280).hex()
    sim = printed["firmware_sim"]
    assert sim["identity_key"] == printed["identity_key"] and sim["exponent"] == 8
    assert "比嘉 ツル" in added.stdout and "shown only this once" in added.stdout

    check = mimamori(
        "tag", "eid", "--key", printed["identity_key"], "--exponent", "8", "--counter", "65280"
    )
    assert check.stdout == printed["eid"] + "\n"

    twice = mimamori("hub", "tag", "add", "--config", str(path), "eid:tsuru")
    assert twice.returncode != 0 and "has a key already" in twice.stderr

    listed = mimamori("hub", "tag", "list", "--config", str(path))
    assert listed.returncode == 0
    row = listed.stdout.splitlines()[1].split("\t")
    assert row[:3] == ["eid:tsuru", "p-tsuru", "8"] and row[4] == "256"  # a period either way
    assert printed["identity_key"] not in listed.stdout


def test_an_existing_tags_key_is_registered_from_a_file_with_its_counter(tmp_path: Path) -> None:
    path = config_file(tmp_path)
    key_file = tmp_path / "tag.key"
    key_file.write_text("00112233445566778899AABBCCDDEEFF\n")
    added = mimamori(
        "hub", "tag", "add", "--config", str(path), "eid:tsuru",
        "--key-file", str(key_file), "--exponent", "12", "--counter", "1518080946",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    printed = yaml.safe_load(added.stdout)
    assert printed["eid"] == "7dd8169dae94258c"  # the published vector (eid_vectors.json)
    replaced = mimamori(
        "hub", "tag", "add", "--config", str(path), "eid:tsuru", "--replace",
    )  # fmt: skip
    assert replaced.returncode == 0
    assert yaml.safe_load(replaced.stdout)["identity_key"] != printed["identity_key"]


def test_provisioning_refuses_what_it_cannot_do_safely(tmp_path: Path) -> None:
    path = config_file(tmp_path, with_kek_file=False)
    no_kek = mimamori("hub", "tag", "add", "--config", str(path), "eid:tsuru")
    assert no_kek.returncode != 0 and "MIMAMORI_EID_KEK" in no_kek.stderr
    nobody = mimamori(
        "hub", "tag", "add", "--config", str(path), "eid:nobody",
        env={"MIMAMORI_EID_KEK": "ab" * 32},
    )  # fmt: skip
    assert nobody.returncode != 0 and "no person" in nobody.stderr
    bad = mimamori("hub", "tag", "add", "--config", str(path), "eddystone-eid:0011")
    assert bad.returncode == 2 and "eid:NAME" in bad.stderr
    big = mimamori(
        "hub", "tag", "add", "--config", str(path), "eid:tsuru", "--exponent", "16",
        env={"MIMAMORI_EID_KEK": "ab" * 32},
    )  # fmt: skip
    assert big.returncode != 0 and "0-15" in big.stderr


def test_a_hub_with_eid_tags_and_no_kek_refuses_to_start_and_says_why(tmp_path: Path) -> None:
    path = config_file(tmp_path, with_kek_file=False)
    refused = mimamori("hub", "--config", str(path))
    assert refused.returncode == 1
    assert "not starting" in refused.stderr and "MIMAMORI_EID_KEK" in refused.stderr


def test_the_technicians_check_refuses_a_bad_key() -> None:
    bad = mimamori("tag", "eid", "--key", "0011", "--exponent", "3", "--counter", "1")
    assert bad.returncode == 2 and "32 hex digits" in bad.stderr
