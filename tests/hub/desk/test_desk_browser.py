"""Issue 14's "done when", in a real headless Chromium: staff sign in, register a person
with consent, a tag, a household and two emergency contacts in order; the contacts'
confirmation mail reaches a real SMTP server (aiosmtpd) and the link in it confirms;
the family then sees that person on the map. No YAML is edited on the way. The
screenshots are the staff guide's (docs/desk.md; ``shots.py``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from tests.hub.desk.shots import VIEWPORT, shot
from tests.hub.helpers import RunningHub, until
from tests.hub.receivers import smtp_server
from tests.hub.web.browser import sign_in_as_staff

pytestmark = pytest.mark.browser
TAG = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:9"


async def fill(page: Page, values: dict[str, str]) -> None:
    for name, value in values.items():
        field = page.locator(f"#in-{name}")
        if await field.evaluate("e => e.tagName") == "SELECT":
            await field.select_option(value)
        else:
            await field.fill(value)


async def test_staff_register_a_person_and_the_family_sees_her_on_the_map(
    hub: RunningHub, browser: Browser, tmp_path: Path
) -> None:
    await hub.account("higa", "staff")
    context = await browser.new_context(viewport=VIEWPORT, locale="ja-JP")
    with smtp_server() as box:
        page = await sign_in_as_staff(hub, context)
        mail = f"mailto://127.0.0.1:{box.port}?from=hub@example.jp&mode=insecure"
        contacts = (
            ("r-son", "宇良 一郎", "長男", "son"),
            ("r-daughter", "宇良 花子", "長女", "daughter"),
        )
        for cid, name, relation, to in contacts:
            await page.goto(f"{hub.url}/desk/contacts/new")
            channels = f"{mail}&to={to}@example.jp"
            await fill(page, {"id": cid, "name": name, "relation": relation, "channels": channels})
            await page.click("#save")
            await page.wait_for_url("**/desk/contacts")
        await page.goto(f"{hub.url}/desk/households/new")
        await fill(page, {"id": "hh-ura", "name": "宇良さん宅", "address": "宜野湾市野嵩1-2-3"})
        await page.check("input[name=evacuation_support]")
        await page.click("#save")
        await page.wait_for_url("**/desk/households")

        await page.goto(f"{hub.url}/desk/people/new")
        await fill(page, {"id": "p-uto", "name": "宇良 ウト", "reading": "うら うと",
                          "household": "hh-ura", "tags": TAG,
                          "description": "身長150cm、白い帽子、ゆっくり話す",
                          "review_on": hub.clock().date().isoformat()})  # fmt: skip
        await shot(page, "person-new", tmp_path)
        await page.click("#save")
        await page.wait_for_url("**/desk/people/p-uto")
        assert await page.locator("#no-consent").count() == 1
        await page.locator("#consent-form").scroll_into_view_if_needed()
        await shot(page, "consent", tmp_path)
        await page.select_option("#consent-form select[name=purpose]", "location")
        await page.fill("#consent-form input[name=by]", "宇良 一郎")
        await page.select_option("#consent-form select[name=relation]", "family")
        await page.fill("#consent-form input[name=record]", "第1センター 書庫A")
        await page.click("#record-consent")
        await page.wait_for_url("**/desk/people/p-uto")
        assert await page.locator('#consents tr[data-purpose="location"]').count() == 1
        for cid in ("r-son", "r-daughter"):
            await page.select_option("#add-contact select[name=contact]", cid)
            await page.click("#add-contact-button")
            await page.wait_for_url("**/desk/people/p-uto")
        names = await page.locator("#contacts li .name").all_inner_texts()
        assert names == ["宇良 一郎", "宇良 花子"]
        await shot(page, "person", tmp_path)
        await page.goto(f"{hub.url}/desk/people")
        await shot(page, "people", tmp_path)
        await page.goto(f"{hub.url}/desk/reviews")
        await page.wait_for_url("**/desk/people?review=month")
        assert "宇良 ウト" in await page.locator("main").inner_text()  # her review is due
        await shot(page, "reviews", tmp_path)
        await page.goto(f"{hub.url}/desk/households/hh-ura")
        await shot(page, "household", tmp_path)

        # Each contact is told, by mail, who registered them and for whom.
        await until(lambda: _two(box.messages), within=20)
        texts = {str(m["To"]): m.get_body(("plain",)).get_content() for m in box.messages}
        son = texts["son@example.jp"]
        assert "宇良 ウト さんの緊急連絡先" in son and "higa さん" in son
        [link] = re.findall(r"https?://\S+/confirm\?token=\S+", son)
        confirm = await context.new_page()
        await confirm.goto(link)
        await confirm.click("#confirm")
        assert await confirm.locator("#confirmed").count() == 1

    # The family of 比嘉 may now see her: the family's entry, changed at the desk.
    await page.goto(f"{hub.url}/desk/families/f-higa")
    people = await page.locator("#in-people").input_value()
    await page.fill("#in-people", people + "\np-uto")
    await page.click("#save")
    await page.wait_for_url("**/desk/families")
    family = await browser.new_page(locale="ja-JP")
    await family.goto(await hub.signin_link(family="f-higa"))
    await family.wait_for_url("**/map")
    # The map's script fills its list of people from the page's data.
    await family.locator("#person option", has_text="宇良 ウト").wait_for(
        state="attached", timeout=5000
    )
    await context.close()


async def _two(messages: list[object]) -> bool:
    return len(messages) >= 2
