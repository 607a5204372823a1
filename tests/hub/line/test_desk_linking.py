"""The desk's LINE linking in a real headless Chromium, against a hub whose LINE is the
local LINE server: staff open a contact, issue a one-time code (shown with its QR), the
local LINE sends the code as the user, and the contact's page (after a reload) shows it
linked; an unfollow shows it unlinked."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser

from mimamori.demo.mosquitto import PrivateBroker
from tests.hub.helpers import RunningHub, running_hub, until
from tests.hub.line.conftest import with_line
from tests.hub.web.browser import sign_in_as_staff
from tests.line_server import LocalLine, user_id

# The page and its SQL are the same on both engines (the bindings are tested on both in
# test_linking.py): one browser walk is enough.
pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]
WEBHOOK = "/api/v1/line/webhook"


async def _state(hub: RunningHub, wanted: str) -> bool:
    found = [b for b in await hub.state.store.line_bindings() if b.recipient_id == "r-miyagi"]
    return bool(found) and found[-1].state == wanted


async def test_staff_link_a_contact_by_code_and_the_page_shows_linked_then_unlinked(
    own_broker: PrivateBroker, browser: Browser, tmp_path: Path, line: LocalLine
) -> None:
    async with running_hub(own_broker, tmp_path, with_line(tmp_path, line)) as hub:
        await hub.account("higa", "staff")
        context = await browser.new_context(locale="ja-JP")
        page = await sign_in_as_staff(hub, context, "higa")
        contact = f"{hub.url}/desk/contacts/r-miyagi"
        await page.goto(contact)
        await page.locator("#line-state[data-state=none]").wait_for()

        await page.click("#line-code-issue")
        code = (await page.locator("#line-code").inner_text()).strip()
        assert len(code.replace(" ", "")) == 8 and code.replace(" ", "").isdigit()
        await page.locator("#line-qr svg").wait_for()
        assert "1回だけ" in await page.locator("#line-expires").inner_text()

        user = user_id()  # the family member, sending the code as LINE would
        await line.webhook(hub.url + WEBHOOK, line.follow(user), line.text(user, code))
        await until(lambda: _state(hub, "bound"))
        await page.goto(contact)
        await page.locator("#line-state[data-state=bound]").wait_for()
        assert "登録済み" in await page.locator("#line-state").inner_text()

        await line.webhook(hub.url + WEBHOOK, line.unfollow(user))
        await until(lambda: _state(hub, "unfollowed"))
        await page.reload()
        await page.locator("#line-state[data-state=unfollowed]").wait_for()
        await context.close()
