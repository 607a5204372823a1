"""The desk's change log: who changed what and when, each field before and after, with
the personal values of an entry masked for a reader who may not see that entry
(staff of another area), shown to staff of its area and admins; families and
volunteers never read it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.access.policy import Principal
from mimamori.hub.desk.audit import MASK, shown
from mimamori.hub.model.register import Entity, RegisterAuditEntry
from tests.hub.access.test_areas import NORTH, SOUTH, staff, two_areas
from tests.hub.helpers import HubClock, hub_document, registry_of_doc, running_hub

TSURU = {"id": "p-tsuru", "area": NORTH, "name": "比嘉 ツル", "phone": "098-892-1111"}


def change(before: dict[str, object] | None, after: dict[str, object] | None) -> RegisterAuditEntry:
    return RegisterAuditEntry(
        1, datetime(2031, 5, 12, tzinfo=UTC), "kinjo (kinjo)", "staff", "desk", "update",
        Entity.PERSON, "p-tsuru",
        None if before is None else json.dumps(before, ensure_ascii=False),
        None if after is None else json.dumps(after, ensure_ascii=False), 7,
    )  # fmt: skip


def test_personal_values_are_masked_for_staff_of_another_area_only(tmp_path: Path) -> None:
    doc = hub_document(tmp_path, 1883, 8080)
    two_areas(doc)
    registry = registry_of_doc(doc)
    moved = change(TSURU, {**TSURU, "phone": "098-892-2222", "policy": "night"})
    theirs = shown(registry, staff(NORTH), moved)
    assert not theirs.masked
    assert [(f.name, f.before, f.after) for f in theirs.fields] == [
        ("phone", "098-892-1111", "098-892-2222"), ("policy", "", "night"),
    ]  # fmt: skip
    other = shown(registry, staff(SOUTH), moved)
    assert other.masked
    assert [(f.name, f.before, f.after) for f in other.fields] == [
        ("phone", MASK, MASK), ("policy", "", "night"),
    ]  # fmt: skip
    admin = shown(registry, Principal("admin", None, "root"), moved)
    assert not admin.masked and admin.fields == theirs.fields
    # Moved between areas: only who may see both sides reads it.
    across = change(TSURU, {**TSURU, "area": SOUTH})
    assert shown(registry, staff(NORTH), across).masked
    assert not shown(registry, staff(NORTH, SOUTH), across).masked
    forgotten = shown(registry, staff(NORTH), change(None, None))
    assert forgotten.forgotten and forgotten.fields == ()


async def test_the_change_log_page_masks_another_areas_person_and_refuses_families(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, two_areas, clock=HubClock()) as hub:
        north = await hub.account("kinjo", "staff", areas=(NORTH,))
        south = await hub.account("arakaki", "staff", areas=(SOUTH,))
        family = await hub.account("higa", "family", family="f-higa")
        async with hub.client(north) as client:
            person = (await client.get("/api/v1/register/people/p-tsuru")).json()
            entry = {**person["entry"], "address": "宜野湾市大山 9-9-9"}
            changed = await client.put(
                "/api/v1/register/people/p-tsuru", params={"version": 1}, json=entry
            )
            assert changed.status_code == 200, changed.text
            page = await client.get("/desk/audit", params={"kind": "person"})
            assert page.status_code == 200 and "宜野湾市大山 9-9-9" in page.text
        async with hub.client(south) as client:
            page = await client.get("/desk/audit")
            assert page.status_code == 200
            assert "p-tsuru" in page.text and "宜野湾市大山 9-9-9" not in page.text
            assert MASK in page.text and "個人の情報は表示しません" in page.text
        async with hub.client(family) as client:
            assert (await client.get("/desk/audit")).status_code == 403
