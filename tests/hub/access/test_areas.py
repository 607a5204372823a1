"""Staff work in care-centre areas: they see and change the people, households and
watch points of their areas only; admins see all; families and volunteers never
change the register (issue 14: 調布 has 8 centres, 所沢 14)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from mimamori.hub.access.policy import (
    Principal,
    Verdict,
    can_see,
    can_see_household,
    may_change,
    verdict,
    visible_gateways,
    visible_households,
    visible_people,
)
from tests.hub.helpers import (
    PASSWORD,
    RunningHub,
    database_for,
    hub_document,
    hub_files,
    registry_of_doc,
    running_hub,
)

NORTH, SOUTH = "ginowan-north", "ginowan-south"


def two_areas(doc: dict[str, Any]) -> None:
    """The test town split in two: 比嘉 ツル lives in the north; 宮城 カマ, her home
    and its gateway in the south; the street's watch points stand in the north."""
    doc["areas"] = [
        {"id": NORTH, "name": "宜野湾市 北地域包括支援センター"},
        {"id": SOUTH, "name": "宜野湾市 南地域包括支援センター"},
    ]
    for gateway in doc["gateways"]:
        gateway["area"] = SOUTH if gateway["id"] == "gw-home" else NORTH
    doc["households"][0]["area"] = SOUTH
    for person in doc["people"]:
        person["area"] = NORTH if person["id"] == "p-tsuru" else SOUTH


def staff(*areas: str) -> Principal:
    return Principal("staff", None, "比嘉 (地域包括)", areas=areas)


def test_staff_see_the_people_homes_and_home_gateways_of_their_areas_only(
    tmp_path: Path,
) -> None:
    doc = hub_document(tmp_path, 1883, 8080)
    two_areas(doc)
    registry = registry_of_doc(doc)
    north, south, both = staff(NORTH), staff(SOUTH), staff(NORTH, SOUTH)
    admin = Principal("admin", None, "root")
    assert [p.id for p in visible_people(registry, north)] == ["p-tsuru"]
    assert [p.id for p in visible_people(registry, south)] == ["p-kama"]
    assert [p.id for p in visible_people(registry, both)] == ["p-tsuru", "p-kama"]
    assert [p.id for p in visible_people(registry, admin)] == ["p-tsuru", "p-kama"]
    assert visible_households(registry, north) == []
    assert [h.id for h in visible_households(registry, south)] == ["hh-1"]
    assert can_see(registry, north, "p-tsuru") and not can_see(registry, north, "p-kama")
    assert not can_see_household(registry, north, "hh-1")
    assert can_see_household(registry, south, "hh-1")
    # Where a home gateway stands is where somebody lives: not another area's staff's.
    assert [g.id for g in visible_gateways(registry, north)] == ["gw-a", "gw-b"]
    assert [g.id for g in visible_gateways(registry, south)] == ["gw-a", "gw-b", "gw-home"]
    assert not can_see(registry, staff(), "p-tsuru")  # a staff account with no area: no one


def test_only_staff_of_the_area_and_admins_may_change_an_entry() -> None:
    admin = Principal("admin", None, "root")
    family = Principal("family", "f-higa", "比嘉家")
    volunteer = Principal("volunteer", None, "山城", households=("hh-1",))
    assert may_change(staff(NORTH), NORTH)
    assert not may_change(staff(NORTH), SOUTH)
    assert not may_change(staff(NORTH), NORTH, SOUTH)  # moved to an area not theirs
    assert may_change(admin, NORTH, SOUTH)
    assert not may_change(family, NORTH) and not may_change(volunteer, NORTH)
    assert verdict(staff(NORTH), [NORTH]) is Verdict.OK
    assert verdict(staff(NORTH), [SOUTH]) is Verdict.FORBIDDEN
    assert verdict(staff(NORTH), None) is Verdict.MISSING
    # Families and volunteers: forbidden before anything is looked up (no hint of
    # who exists).
    assert verdict(family, None) is Verdict.FORBIDDEN
    assert verdict(volunteer, [NORTH]) is Verdict.FORBIDDEN


async def test_staff_of_one_area_are_forbidden_another_areas_person_in_the_api(
    own_broker: Any, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, two_areas) as hub:
        north = await hub.account("kinjo", "staff", areas=(NORTH,))
        family = await hub.account("miyagi", "family", family="f-miyagi")
        async with hub.client(north) as client:
            mine = await client.get("/api/v1/people/p-tsuru/location")
            theirs = await client.get("/api/v1/people/p-kama/location")
            home = await client.get("/api/v1/households/hh-1")
            people = [p["id"] for p in (await client.get("/api/v1/people")).json()]
        assert mine.status_code == 200
        assert theirs.status_code == 403 and home.status_code == 403
        assert people == ["p-tsuru"]
        async with hub.client(family) as client:  # a family still learns nothing
            assert (await client.get("/api/v1/people/p-tsuru/location")).status_code == 404
        await _areas_follow_the_account(hub)


async def _areas_follow_the_account(hub: RunningHub) -> None:
    """A change of an account's areas holds from its next request on."""
    token = await hub.account("arakaki", "staff", areas=(SOUTH,))
    async with hub.client(token) as client:
        assert (await client.get("/api/v1/people/p-tsuru/location")).status_code == 403
        assert await hub.state.store.set_areas("arakaki", (NORTH, SOUTH))
        assert (await client.get("/api/v1/people/p-tsuru/location")).status_code == 200


def test_the_cli_gives_staff_their_areas_and_refuses_unknown_ones(tmp_path: Path) -> None:
    doc = hub_document(tmp_path, 1883, 8080)
    two_areas(doc)
    doc["hub"] = {"database": database_for(tmp_path), "broker": {"host": "127.0.0.1"}}
    config = hub_files(tmp_path, doc)
    secret = tmp_path / "pw"
    secret.write_text(PASSWORD + "\n")

    def hub_cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mimamori", "hub", *args, "--config", str(config)],
            capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip

    add = ("user", "add", "--id", "kinjo", "--name", "金城", "--role", "staff",
           "--password-file", str(secret))  # fmt: skip
    none = hub_cli(*add)
    assert none.returncode == 1 and "staff need --area" in none.stderr
    assert f"areas: {NORTH}, {SOUTH}" in none.stderr
    unknown = hub_cli(*add, "--area", "chofu-8")
    assert unknown.returncode == 1 and "unknown: chofu-8" in unknown.stderr
    added = hub_cli(*add, "--area", NORTH)
    assert added.returncode == 0, added.stderr
    assert hub_cli("user", "list").stdout == f"kinjo\tstaff\t{NORTH}\t金城\n"
    both = hub_cli("user", "areas", "--id", "kinjo", "--area", NORTH, "--area", SOUTH)
    assert both.returncode == 0, both.stderr
    assert hub_cli("user", "list").stdout == f"kinjo\tstaff\t{NORTH},{SOUTH}\t金城\n"
    family = hub_cli("user", "add", "--id", "f1", "--name", "x", "--role", "family",
                     "--family", "f-higa", "--area", NORTH,
                     "--password-file", str(secret))  # fmt: skip
    assert family.returncode == 1 and "--area goes with --role staff" in family.stderr
