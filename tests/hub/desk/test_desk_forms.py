"""The desk's forms on a real hub: a person registered and changed through the pages,
errors per field in the visitor's language, a stale edit refused and said, emergency
contacts kept in order, channels never shown back."""

from __future__ import annotations

import re

import httpx

from tests.hub.helpers import RunningHub

PERSON = {
    "id": "p-uto",
    "area": "default",
    "name": "宇良 ウト",
    "reading": "うら うと",
    "birth_date": "1941-03-02",
    "household": "hh-1",
    "tags": "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:9",
    "description": "身長150cm、白い帽子",
}


def browser(hub: RunningHub, token: str) -> httpx.AsyncClient:
    """A client as a signed-in browser's page: its forms come from the hub's origin."""
    return httpx.AsyncClient(
        base_url=hub.url,
        headers={"Authorization": f"Bearer {token}", "Origin": hub.url},
        timeout=10,
    )


def version(page: str) -> int:
    return int(re.findall(r'name="version" value="(\d+)"', page)[0])


async def test_staff_register_a_person_and_a_stale_edit_is_refused_not_written(
    hub: RunningHub,
) -> None:
    token = await hub.account("kinjo", "staff")
    async with browser(hub, token) as desk:
        made = await desk.post("/desk/people/new", data=PERSON)
        assert made.status_code == 303 and made.headers["location"] == "/desk/people/p-uto"
        page = await desk.get("/desk/people/p-uto")
        assert page.status_code == 200 and "宇良 ウト" in page.text and "宮城さん宅" in page.text
        form = await desk.get("/desk/people/p-uto/edit")
        read = version(form.text)
        first = await desk.post(
            "/desk/people/p-uto/edit", data={**PERSON, "name": "宇良 ウトさん", "version": read}
        )
        assert first.status_code == 303
        late = await desk.post(
            "/desk/people/p-uto/edit", data={**PERSON, "notes": "古い画面から", "version": read}
        )
        assert late.status_code == 409 and 'id="stale"' in late.text
        assert "古い画面から" in late.text  # what was typed stays on the form
    person = hub.state.registry.people["p-uto"]
    assert person.name == "宇良 ウトさん" and person.notes is None


async def test_a_wrong_field_is_said_at_that_field_in_the_visitors_language(
    hub: RunningHub,
) -> None:
    token = await hub.account("kinjo", "staff")
    async with browser(hub, token) as desk:
        wrong = {**PERSON, "reading": "Ura Uto", "household": "hh-9"}
        said = await desk.post("/desk/people/new", data=wrong)
        assert said.status_code == 422
        assert re.search(r'id="error-reading">書き方が正しくありません<', said.text)
        unborn = await desk.post("/desk/people/new", data={**PERSON, "birth_date": "2099-01-01"})
        assert "生年月日がまだ来ていない日です" in unborn.text  # the entry's own rule, at the top
        wrong = {**PERSON, "household": "hh-9"}
        said_en = await desk.post("/desk/people/new?lang=en", data=wrong)
        assert 'id="error-household">no such household: hh-9<' in said_en.text
    assert "p-uto" not in hub.state.registry.people


async def test_emergency_contacts_keep_their_order_and_channels_are_never_shown(
    hub: RunningHub,
) -> None:
    token = await hub.account("kinjo", "staff")
    async with browser(hub, token) as desk:
        for cid, name in (("r-son", "宇良 一郎"), ("r-daughter", "宇良 花子")):
            made = await desk.post(
                "/desk/contacts/new",
                data={"id": cid, "name": name, "lang": "ja",
                      "channels": f"mailto://127.0.0.1:9?to={cid}@example.jp"},
            )  # fmt: skip
            assert made.status_code == 303, made.text
        assert (await desk.post("/desk/people/new", data=PERSON)).status_code == 303
        for cid in ("r-son", "r-daughter"):
            page = await desk.get("/desk/people/p-uto")
            sent = {"how": "add", "contact": cid, "version": version(page.text)}
            assert (await desk.post("/desk/people/p-uto/contacts", data=sent)).status_code == 303
        page = await desk.get("/desk/people/p-uto")
        sent = {"how": "up", "contact": "r-daughter", "version": version(page.text)}
        assert (await desk.post("/desk/people/p-uto/contacts", data=sent)).status_code == 303
        edit = await desk.get("/desk/contacts/r-son")
        assert "example.jp" not in edit.text and 'id="channels-set"' in edit.text
        kept = await desk.post(
            "/desk/contacts/r-son",
            data={"name": "宇良 一郎", "relation": "長男", "lang": "ja", "channels": "",
                  "version": version(edit.text)},
        )  # fmt: skip
        assert kept.status_code == 303
    assert hub.state.registry.people["p-uto"].contacts == ["r-daughter", "r-son"]
    assert await hub.state.store.contact_channels("r-son") == [
        "mailto://127.0.0.1:9?to=r-son@example.jp"
    ]


async def test_staff_set_a_persons_days_not_seen_before_a_case(hub: RunningHub) -> None:
    token = await hub.account("kinjo", "staff")
    async with browser(hub, token) as desk:
        zero = await desk.post("/desk/people/new", data={**PERSON, "not_seen_days": "0"})
        assert zero.status_code == 422 and 'id="error-not_seen_days"' in zero.text
        made = await desk.post("/desk/people/new", data={**PERSON, "not_seen_days": "5"})
        assert made.status_code == 303
        assert hub.state.registry.people["p-uto"].not_seen_days == 5
        form = await desk.get("/desk/people/p-uto/edit")
        assert "「N日見かけない」の日数" in form.text and 'value="5"' in form.text
        emptied = await desk.post(  # an empty field: the area's N, or the rule's default
            "/desk/people/p-uto/edit",
            data={**PERSON, "not_seen_days": "", "version": version(form.text)},
        )
        assert emptied.status_code == 303
    assert hub.state.registry.people["p-uto"].not_seen_days is None
