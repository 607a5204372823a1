"""The register's change functions on a real store (SQLite and PostgreSQL): each one
validated field by field, one transaction, one audit row with the entry before and
after, and refused whole when the version it names is stale."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from mimamori.errors import ChangeRefused, StaleVersion, StoreError
from mimamori.hub.model.register import Actor, Entity, PeopleQuery, RegisterWrite
from mimamori.hub.register.changes import RegisterChanges
from mimamori.hub.register.records import record_of
from mimamori.hub.register.schema import AreaEntry, PersonEntry, Recipient
from mimamori.hub.store.sql_store import SqlStore
from tests.hub.helpers import TAG_KAMA, TAG_TSURU, HubClock, dump, query

STAFF = Actor("k-tamaki", "staff", "desk")
CONSENT = {"purpose": "location", "by": "本人", "at": "2031-04-01", "record": "同意書 12"}


def changes(store: SqlStore) -> RegisterChanges:
    return RegisterChanges(store, HubClock())  # in 2031


async def town(register: RegisterChanges) -> None:
    """An area, a contact, a policy, a watch point, a home, one person, a family."""
    await register.add_area({"id": "ginowan-1", "name": "宜野湾市 第1地域"}, STAFF)
    await register.add_contact(
        {"id": "c-hanako", "name": "宮城 花子", "relation": "長女",
         "channels": ["mailto://hanako:secret-pw@example.jp", "json://127.0.0.1:9/x"]},
        STAFF,
    )  # fmt: skip
    await register.add_policy(
        {"id": "default", "steps": [{"after_min": 0, "notify": ["c-hanako"]}]}, STAFF
    )
    await register.add_watch_point(
        {"id": "gw-home", "area": "ginowan-1", "name": "自宅", "lat": 26.28, "lon": 127.77,
         "site": "home", "installed_on": "2031-03-01"},
        STAFF,
    )  # fmt: skip
    await register.add_household(
        {"id": "hh-1", "area": "ginowan-1", "name": "宮城さん宅", "gateways": ["gw-home"],
         "evacuation_support": True},
        STAFF,
    )  # fmt: skip
    await register.add_person(
        {"id": "p-kama", "area": "ginowan-1", "name": "宮城 カマ", "reading": "ミヤギ カマ",
         "birth_date": "1938-02-11", "household": "hh-1", "tags": [TAG_KAMA],
         "consents": [CONSENT], "contacts": ["c-hanako"], "review_on": "2031-05-31",
         "description": "身長145cm、杖、方言で話す"},
        STAFF,
    )  # fmt: skip
    await register.add_family({"id": "f-miyagi", "name": "宮城家", "people": ["p-kama"]}, STAFF)


async def audit_rows(tmp_path: Path) -> list[tuple[Any, ...]]:
    return await query(
        tmp_path,
        "SELECT who, role, via, action, entity, entity_id, before_doc, after_doc, at "
        "FROM register_audit ORDER BY id",
    )


async def test_each_change_leaves_exactly_one_audit_row_with_before_and_after(
    store: SqlStore, tmp_path: Path
) -> None:
    register = changes(store)
    await town(register)
    rows = await audit_rows(tmp_path)
    assert [(r[4], r[5], r[3]) for r in rows] == [
        ("area", "ginowan-1", "add"),
        ("contact", "c-hanako", "add"),
        ("policy", "default", "add"),
        ("watch_point", "gw-home", "add"),
        ("household", "hh-1", "add"),
        ("person", "p-kama", "add"),
        ("family", "f-miyagi", "add"),
    ]
    assert all(r[:3] == ("k-tamaki", "staff", "desk") and r[6] is None for r in rows)
    assert {r[8] for r in rows} == {int(HubClock()().timestamp() * 1000)}  # the hub's clock
    person, version = await register.read(Entity.PERSON, "p-kama", PersonEntry)
    steps: list[tuple[str, Any]] = [
        ("update", register.update_person({**person.model_dump(), "phone": "098-892-1111"},
                                          version, STAFF)),
        ("consent.record", register.record_consent(
            "p-kama", {**CONSENT, "purpose": "checkin"}, version + 1, STAFF)),
        ("consent.withdraw", register.withdraw_consent(
            "p-kama", "location", date(2031, 5, 10), version + 2, STAFF)),
        ("contacts.set", register.set_contacts("p-kama", [], version + 3, STAFF)),
    ]  # fmt: skip
    for action, change in steps:
        before = len(await audit_rows(tmp_path))
        await change
        rows = await audit_rows(tmp_path)
        assert len(rows) == before + 1
        last = rows[-1]
        assert (last[3], last[4], last[5]) == (action, "person", "p-kama")
        assert json.loads(last[6]) != json.loads(last[7])
    after = json.loads(rows[-1][7])
    assert after["phone"] == "098-892-1111" and after["contacts"] == []
    assert {c["purpose"]: c["withdrawn_at"] for c in after["consents"]} == {
        "location": "2031-05-10",
        "checkin": None,
    }
    person, version = await register.read(Entity.PERSON, "p-kama", PersonEntry)
    assert not person.consents_to("location") and person.consents_to("checkin")
    assert version == 5
    for entity, entry_id in [
        (Entity.FAMILY, "f-miyagi"),
        (Entity.PERSON, "p-kama"),
        (Entity.HOUSEHOLD, "hh-1"),
        (Entity.WATCH_POINT, "gw-home"),
        (Entity.POLICY, "default"),
        (Entity.CONTACT, "c-hanako"),
        (Entity.AREA, "ginowan-1"),
    ]:
        [stored] = await store.register_entries(entity, [entry_id])
        before = len(await audit_rows(tmp_path))
        await register.remove(entity, entry_id, stored.version, STAFF)
        rows = await audit_rows(tmp_path)
        assert len(rows) == before + 1
        assert (rows[-1][3], rows[-1][6], rows[-1][7]) == ("remove", stored.doc, None)
    snapshot = await store.register_snapshot()
    assert all(not entries for entries in snapshot.entries.values())
    assert snapshot.version == 7 + 4 + 7  # every change moved the register's version


async def test_a_stale_version_is_refused_and_nothing_is_written(
    store: SqlStore, tmp_path: Path
) -> None:
    register = changes(store)
    await town(register)
    person, version = await register.read(Entity.PERSON, "p-kama", PersonEntry)
    # Two members of staff opened the same person; the first one saves.
    await register.update_person({**person.model_dump(), "notes": "鍵は隣の家"}, version, STAFF)
    before = await dump(tmp_path)
    with pytest.raises(StaleVersion) as refused:
        await register.update_person(
            {**person.model_dump(), "notes": "上書きしてはならない"}, version, STAFF
        )
    assert (refused.value.read, refused.value.now) == (1, 2)
    with pytest.raises(StaleVersion):
        await register.record_consent("p-kama", {**CONSENT, "purpose": "search"}, 1, STAFF)
    with pytest.raises(StaleVersion):
        await register.remove_family("f-miyagi", 7, STAFF)
    assert await dump(tmp_path) == before
    person, _ = await register.read(Entity.PERSON, "p-kama", PersonEntry)
    assert person.notes == "鍵は隣の家"


async def test_validation_errors_name_each_field_in_japanese_and_english(
    store: SqlStore, tmp_path: Path
) -> None:
    register = changes(store)
    await town(register)
    before = await dump(tmp_path)
    with pytest.raises(ChangeRefused) as refused:
        await register.add_person(
            {"id": "p-2", "area": "ginowan-1", "name": "x" * 101, "phone": "call me",
             "reading": "higa", "consents": [{**CONSENT, "at": "2031-06-01"}],
             "shoe_size": 24},
            STAFF,
        )  # fmt: skip
    problems = {p.field: p for p in refused.value.problems}
    assert set(problems) == {"name", "phone", "reading", "consents.0", "shoe_size"}
    assert problems["name"].ja == "長すぎます（100 文字まで）"
    assert problems["consents.0"].en == "consent given on 2031-06-01, a day still to come"
    assert problems["shoe_size"].ja == "この項目は使えません"
    with pytest.raises(ChangeRefused) as refused:
        await register.add_person(
            {"id": "p-2", "area": "ginowan-9", "name": "比嘉 ツル", "household": "hh-9",
             "contacts": ["c-nobody"], "tags": [TAG_KAMA]},
            STAFF,
        )  # fmt: skip
    problems = {p.field: p for p in refused.value.problems}
    assert set(problems) == {"area", "household", "contacts", "tags"}
    assert problems["household"].ja == "登録されていない世帯です: hh-9"
    assert problems["tags"].en == f"held by another person: {TAG_KAMA} (p-kama)"
    with pytest.raises(ChangeRefused) as refused:
        await register.add_area({"id": "ginowan-1", "name": "二度目"}, STAFF)
    assert refused.value.problems[0].field == "id"
    assert await dump(tmp_path) == before


async def test_what_is_still_named_cannot_be_removed(store: SqlStore, tmp_path: Path) -> None:
    register = changes(store)
    await town(register)
    before = await dump(tmp_path)
    for entity, entry_id, naming in [
        (Entity.CONTACT, "c-hanako", "policy default; person p-kama"),
        (Entity.HOUSEHOLD, "hh-1", "person p-kama"),
        (Entity.PERSON, "p-kama", "family f-miyagi"),
        (Entity.AREA, "ginowan-1", "watch point gw-home; household hh-1; person p-kama"),
    ]:
        [stored] = await store.register_entries(entity, [entry_id])
        with pytest.raises(ChangeRefused) as refused:
            await register.remove(entity, entry_id, stored.version, STAFF)
        assert refused.value.problems[0].en == f"still named by {naming}: change those first"
    assert await dump(tmp_path) == before


async def test_a_change_that_fails_in_the_middle_leaves_nothing(
    store: SqlStore, tmp_path: Path
) -> None:
    register = changes(store)
    await register.add_area({"id": "ginowan-1", "name": "宜野湾市 第1地域"}, STAFF)
    before = await dump(tmp_path)
    person = PersonEntry(id="p-tsuru", area="ginowan-1", name="比嘉 ツル", tags=[TAG_TSURU])
    area = AreaEntry(id="ginowan-2", name="第2地域")
    writes = [
        RegisterWrite(Entity.AREA, "ginowan-2", "add", None, record_of(Entity.AREA, area)),
        RegisterWrite(Entity.PERSON, "p-tsuru", "add", None, record_of(Entity.PERSON, person)),
        # The third names a household the database does not have: its key refuses it.
        RegisterWrite(
            Entity.PERSON,
            "p-kama",
            "add",
            None,
            record_of(
                Entity.PERSON,
                PersonEntry(id="p-kama", area="ginowan-1", name="宮城 カマ", household="hh-9"),
            ),
        ),
    ]
    with pytest.raises(StoreError):
        await store.write_register(writes, actor=STAFF, at=HubClock()())
    assert await dump(tmp_path) == before
    assert await store.tag_holders([TAG_TSURU]) == {}


async def test_channels_are_kept_secret_and_kept_when_a_form_leaves_them_out(
    store: SqlStore, tmp_path: Path
) -> None:
    register = changes(store)
    await town(register)
    [stored] = await store.register_entries(Entity.CONTACT, ["c-hanako"])
    everything_shown = stored.doc + "".join(str(r) for r in await audit_rows(tmp_path))
    assert "secret-pw" not in everything_shown and "127.0.0.1" not in everything_shown
    assert json.loads(stored.doc)["channels"] == ["mailto://…", "json://…"]
    await register.update_contact({"id": "c-hanako", "name": "宮城 花子（長女）"}, 1, STAFF)
    assert await store.contact_channels("c-hanako") == [
        "mailto://hanako:secret-pw@example.jp",
        "json://127.0.0.1:9/x",
    ]
    [stored] = await store.register_entries(Entity.CONTACT, ["c-hanako"])
    assert json.loads(stored.doc)["channels"] == ["mailto://…", "json://…"]
    await register.update_contact(
        {"id": "c-hanako", "name": "宮城 花子", "channels": ["line://token/user"]}, 2, STAFF
    )
    assert await store.contact_channels("c-hanako") == ["line://token/user"]
    with pytest.raises(ChangeRefused) as refused:
        await register.update_contact(
            {"id": "c-hanako", "name": "宮城 花子", "channels": ["not a url"]}, 3, STAFF
        )
    assert refused.value.problems[0].field == "channels.0"
    assert "not a url" not in str(refused.value)
    # What a form was shown (masked) sent back as it was would replace the real URLs.
    shown, version = await register.read(Entity.CONTACT, "c-hanako", Recipient)
    with pytest.raises(ChangeRefused) as refused:
        await register.update_contact(shown.model_dump(), version, STAFF)
    assert refused.value.problems[0].en.startswith("a masked channel")
    assert await store.contact_channels("c-hanako") == ["line://token/user"]


async def test_people_are_listed_by_reading_and_found_by_name_reading_tag_home_and_review(
    store: SqlStore,
) -> None:
    register = changes(store)
    await town(register)
    for n, (name, reading) in enumerate([("比嘉 ツル", "ひが つる"), ("安里 ウシ", "アサト ウシ")]):
        await register.add_person(
            {"id": f"p-{n}", "area": "ginowan-1", "name": name, "reading": reading,
             "review_on": f"2031-0{n + 6}-01", "tags": [TAG_TSURU] if n == 0 else []},
            STAFF,
        )  # fmt: skip

    async def ids(**asked: Any) -> list[str]:
        return [p.id for p in await store.find_people(PeopleQuery(**asked))]

    assert await ids() == ["p-1", "p-0", "p-kama"]  # あさと, ひが, みやぎ
    assert await ids(text="ひが") == await ids(text="ヒガ") == await ids(text="比嘉") == ["p-0"]
    assert await ids(tag=TAG_TSURU) == ["p-0"]
    assert await ids(household="hh-1") == ["p-kama"]
    assert await ids(review_by=date(2031, 6, 30)) == ["p-0", "p-kama"]
    assert await ids(areas=("ginowan-2",)) == []
    assert await ids(limit=1, offset=1) == ["p-0"]
    assert await store.count_people(PeopleQuery(areas=("ginowan-1",))) == 3


async def test_an_area_names_an_existing_contact_as_its_centre_which_then_stays(
    store: SqlStore,
) -> None:
    register = changes(store)
    await town(register)
    [area] = await store.register_entries(Entity.AREA, ["ginowan-1"])
    with pytest.raises(ChangeRefused) as refused:
        await register.update_area(
            {"id": "ginowan-1", "name": "宜野湾市 第1地域", "centre": "c-nobody"},
            area.version, STAFF,
        )  # fmt: skip
    assert refused.value.problems[0].field == "centre"
    await register.add_contact({"id": "c-centre", "name": "第1地域包括支援センター"}, STAFF)
    await register.update_area(
        {"id": "ginowan-1", "name": "宜野湾市 第1地域", "centre": "c-centre"}, area.version, STAFF
    )
    [contact] = await store.register_entries(Entity.CONTACT, ["c-centre"])
    with pytest.raises(ChangeRefused) as refused:
        await register.remove(Entity.CONTACT, "c-centre", contact.version, STAFF)
    assert refused.value.problems[0].en == "still named by area ginowan-1: change those first"
