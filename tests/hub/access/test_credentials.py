"""Every credential ends: bearer tokens expire and are listed and revoked from the CLI,
sessions are revoked per family and per account, disabling an account ends them for
good, and a sign-in link's lifetime is bounded."""

from __future__ import annotations

import asyncio
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mimamori.cli import main
from mimamori.hub.access.auth import short_id, token_hash
from mimamori.hub.model.accounts import Credential, CredentialKind
from mimamori.hub.store.migrations import version_at
from mimamori.hub.store.schema import MIGRATIONS
from mimamori.hub.store.sql import POSTGRES
from tests.hub.helpers import (
    PASSWORD,
    RunningHub,
    behind_the_store,
    hub_document,
    hub_files,
    login,
    open_test_store,
)


def write_config(tmp_path: Path) -> Path:
    """The running hub's config as a YAML file, for the CLI (same database)."""
    return hub_files(tmp_path, hub_document(tmp_path, 1883, 8080))


async def hub_cli(config: Path, *args: str) -> tuple[int, str, str]:
    """``mimamori hub ARGS --config FILE`` as a process of its own, beside the hub."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mimamori", "hub", *args, "--config", str(config),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def people(hub: RunningHub, token: str) -> int:
    async with hub.client(token) as client:
        return (await client.get("/api/v1/people")).status_code


@pytest.mark.parametrize("hours", ["876000", "nan", "inf", "-1", "0", "soon"])
def test_a_sign_in_link_lifetime_out_of_bounds_is_refused_with_a_message(
    hours: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    args = ["hub", "link", "--config", str(config), "--family", "f-higa", "--ttl-hours", hours]
    with pytest.raises(SystemExit) as stopped:
        main(args)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert (
        f"argument --ttl-hours: '{hours}' is not a number of hours above 0 and at most 720" in err
    )
    assert "Traceback" not in err


def test_a_sign_in_link_within_bounds_is_made(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    assert (
        main(["hub", "link", "--config", str(config), "--family", "f-higa", "--ttl-hours", "720"])
        == 0
    )
    assert "/signin?token=" in capsys.readouterr().out


async def test_bearer_tokens_expire_and_are_listed_and_revoked_from_the_cli(
    hub: RunningHub, tmp_path: Path
) -> None:
    config = write_config(tmp_path)
    code, tablet, err = await hub_cli(
        config, "token", "create", "--family", "f-higa", "--name", "tablet", "--ttl-days", "2"
    )
    assert code == 0, err
    tablet = tablet.strip()
    assert f"Its id is {short_id(token_hash(tablet))}" in err and "ends in 2 days" in err
    code, ops, err = await hub_cli(config, "token", "create", "--admin", "--name", "ops")
    ops = ops.strip()
    assert code == 0 and "ends in 90 days" in err

    code, listing, _ = await hub_cli(config, "token", "list")
    assert code == 0
    lines = listing.splitlines()
    assert lines[0] == "ID\tNAME\tROLE\tFOR\tCREATED\tEXPIRES"
    rows = {line.split("\t")[1]: line.split("\t") for line in lines[1:]}
    today = datetime.now(UTC)
    assert rows["tablet"][:4] == [short_id(token_hash(tablet)), "tablet", "family", "family:f-higa"]
    assert rows["tablet"][5].startswith((today + timedelta(days=2)).strftime("%Y-%m-%d"))
    assert rows["ops"][2:4] == ["admin", "-"]
    assert rows["ops"][5].startswith((today + timedelta(days=90)).strftime("%Y-%m-%d"))
    for secret in (tablet, ops):  # never the token, nor its whole hash
        assert secret not in listing and token_hash(secret) not in listing

    assert await people(hub, tablet) == await people(hub, ops) == 200
    hub.clock.now = lambda: datetime.now(UTC) + timedelta(days=2, minutes=1)
    assert await people(hub, tablet) == 401  # expired
    assert await people(hub, ops) == 200
    hub.clock.now = lambda: datetime.now(UTC)
    code, listing, _ = await hub_cli(config, "token", "list")
    assert "(expired)" not in listing

    code, out, _ = await hub_cli(config, "token", "revoke", short_id(token_hash(ops)))
    assert code == 0 and out.strip() == f"revoked token {short_id(token_hash(ops))} (ops)"
    assert await people(hub, ops) == 401  # at once
    code, out, _ = await hub_cli(config, "token", "revoke", "tablet")  # by its name
    assert code == 0 and await people(hub, tablet) == 401
    code, _, err = await hub_cli(config, "token", "revoke", "tablet")
    assert code == 1 and "no token named or numbered 'tablet'" in err


async def test_token_lifetimes_are_bounded_and_two_tokens_of_one_name_need_an_id(
    hub: RunningHub, tmp_path: Path
) -> None:
    config = write_config(tmp_path)
    for days in ("366", "nan", "inf", "0"):
        code, _, err = await hub_cli(
            config, "token", "create", "--admin", "--name", "x", "--ttl-days", days
        )
        assert code == 2 and "is not a number of days above 0 and at most 365" in err, days
    made = [
        (await hub_cli(config, "token", "create", "--admin", "--name", "twin"))[1].strip()
        for _ in range(2)
    ]
    code, _, err = await hub_cli(config, "token", "revoke", "twin")
    assert code == 1 and "2 tokens match 'twin'" in err and "give the id of one" in err
    assert [await people(hub, t) for t in made] == [200, 200]


async def test_sessions_are_revoked_per_family_and_per_account_from_the_cli(
    hub: RunningHub, tmp_path: Path
) -> None:
    config = write_config(tmp_path)
    await hub.account("yamashiro", "volunteer", households=("hh-1",))
    spare_link = await hub.signin_link()  # sent, not opened yet
    async with hub.client() as family, hub.client() as volunteer:
        assert (await family.get(await hub.signin_link())).status_code == 303
        assert (await login(volunteer, "yamashiro", PASSWORD)).status_code == 303
        assert (await family.get("/api/v1/people")).status_code == 200
        assert (await volunteer.get("/api/v1/households")).status_code == 200

        code, listing, _ = await hub_cli(config, "session", "list")
        whose = sorted(line.split("\t")[3] for line in listing.splitlines()[1:])
        assert code == 0 and whose == ["family:f-higa", "user:yamashiro"]

        code, out, _ = await hub_cli(config, "session", "revoke", "--family", "f-higa")
        assert code == 0
        assert out.strip() == "ended 1 session(s) and 1 unused sign-in link(s) of family f-higa"
        assert (await family.get("/api/v1/people")).status_code == 401  # at once
        assert (await volunteer.get("/api/v1/households")).status_code == 200  # not theirs
        async with hub.client() as someone:
            assert (await someone.get(spare_link)).status_code == 401

        code, out, _ = await hub_cli(config, "session", "revoke", "--user", "yamashiro")
        assert code == 0 and out.strip() == "ended 1 session(s) of account yamashiro"
        assert (await volunteer.get("/api/v1/households")).status_code == 401


async def test_disabling_an_account_ends_its_sessions_and_tokens_for_good(
    hub: RunningHub, tmp_path: Path
) -> None:
    config = write_config(tmp_path)
    token = await hub.account("yamashiro", "volunteer", households=("hh-1",))
    async with hub.client() as browser:
        assert (await login(browser, "yamashiro", PASSWORD)).status_code == 303
        assert (await browser.get("/api/v1/households")).status_code == 200
        code, out, _ = await hub_cli(config, "user", "disable", "--id", "yamashiro")
        assert code == 0 and "its sessions and tokens ended" in out
        assert (await browser.get("/api/v1/households")).status_code == 401
        assert await people(hub, token) == 401
        code, _, err = await hub_cli(
            config, "token", "create", "--user", "yamashiro", "--name", "while-off"
        )
        assert code == 1 and "the account 'yamashiro' is disabled" in err
        code, _, _ = await hub_cli(config, "user", "disable", "--id", "yamashiro", "--enable")
        assert code == 0
        # Enabled again: what was stolen before stays dead; a new sign-in works.
        assert (await browser.get("/api/v1/households")).status_code == 401
        assert await people(hub, token) == 401
        assert (await login(browser, "yamashiro", PASSWORD)).status_code == 303
        assert (await browser.get("/api/v1/households")).status_code == 200


async def test_tokens_made_before_expiry_existed_get_one_at_the_upgrade(tmp_path: Path) -> None:
    store = await open_test_store(tmp_path)
    old = Credential(CredentialKind.TOKEN, "admin", None, "old", datetime.now(UTC), None)
    await store.add_credential("h-old", old)
    await store.close()
    # The database as the hub before this upgrade left it (found by what the upgrade
    # adds, not by its number, which may change when upgrades are merged).
    before = next(i for i, m in enumerate(MIGRATIONS) if "signin_attempts" in m.sql)
    # ... and without the columns later upgrades add (ALTER TABLE cannot be run twice).
    later = "\n".join(m.sql for m in MIGRATIONS[before:])
    added = re.findall(r"ALTER TABLE (\w+) ADD COLUMN (\w+)", later)
    undo = [f"ALTER TABLE {table} DROP COLUMN {column}" for table, column in added]
    await behind_the_store(
        tmp_path,
        sqlite=["DROP TABLE signin_attempts", *undo, f"PRAGMA user_version = {before}"],
        postgres=[
            "DROP TABLE signin_attempts",
            *undo,
            f"UPDATE schema_version SET version = {version_at(POSTGRES, before)}",
        ],
    )
    store = await open_test_store(tmp_path)
    try:
        now = datetime.now(UTC)
        [(_, upgraded)] = await store.credentials([CredentialKind.TOKEN])
        assert upgraded.expires_at is not None
        assert abs(upgraded.expires_at - (now + timedelta(days=90))) < timedelta(minutes=5)
        assert await store.find_credential(CredentialKind.TOKEN, "h-old", now) is not None
        later = now + timedelta(days=91)
        assert await store.find_credential(CredentialKind.TOKEN, "h-old", later) is None
    finally:
        await store.close()


async def test_a_staff_sign_in_link_opens_the_desk_as_that_account(
    hub: RunningHub, tmp_path: Path
) -> None:
    await hub.account("kinjo", "staff")  # of the test town's one area
    config = write_config(tmp_path)
    code, out, err = await hub_cli(config, "link", "--user", "kinjo")
    assert code == 0, err
    link = out.strip()
    assert "/signin?token=" in link
    code, _, err = await hub_cli(config, "link", "--user", "nobody")
    assert code == 1 and "no account 'nobody'" in err
    async with hub.client() as browser:
        signed_in = await browser.get("/signin" + link.split("/signin", 1)[1])
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/desk"
        people = await browser.get("/desk/people")
        # The session acts as the account: staff of the area, who see its people.
        assert people.status_code == 200 and "比嘉 ツル" in people.text
