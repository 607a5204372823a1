"""A partner link's LINE at the desk, in a real headless Chromium against a hub whose
LINE is the local LINE server: staff of the partner's area issue the link's one-time
code (shown with its QR), the local LINE sends it as the link's holder, and the
partner's page shows the link 連携済み; an unfollow shows it unlinked."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.model.cases import Partner, PartnerKind, link_recipient
from tests.hub.helpers import RunningHub, running_hub, until
from tests.hub.line.conftest import with_line
from tests.hub.web.browser import sign_in_as_staff
from tests.line_server import LocalLine, user_id

# The page and its SQL are the same on both engines (the bindings are tested on both in
# test_partner_line.py): one browser walk is enough.
pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]
WEBHOOK = "/api/v1/line/webhook"


async def _state(hub: RunningHub, recipient: str, wanted: str) -> bool:
    found = [b for b in await hub.state.store.line_bindings() if b.recipient_id == recipient]
    return bool(found) and found[-1].state == wanted


async def test_staff_link_a_partners_line_by_code_and_the_page_shows_it_linked(
    own_broker: PrivateBroker, browser: Browser, tmp_path: Path, line: LocalLine
) -> None:
    async with running_hub(own_broker, tmp_path, with_line(tmp_path, line)) as hub:
        await hub.account("higa", "staff")
        store = hub.state.store
        await store.add_partner(
            Partner("news", "新聞販売店", PartnerKind.NEWSPAPER, ("default",), hub.clock())
        )
        link = await store.add_partner_link(
            "news", "配達員 山田", channel=None, lang="ja", token_hash="t", at=hub.clock()
        )
        context = await browser.new_context(locale="ja-JP")
        page = await sign_in_as_staff(hub, context, "higa")
        partner_page = f"{hub.url}/desk/partners/news"
        await page.goto(partner_page)
        row = page.locator(f"tr[data-link='{link.id}']")
        await row.locator(".line-state[data-state=none]").wait_for()

        await row.locator(".line-code-issue").click()
        code = (await page.locator("#line-code").inner_text()).strip()
        assert len(code.replace(" ", "")) == 8 and code.replace(" ", "").isdigit()
        assert "配達員 山田" in await page.locator("h2").inner_text()
        await page.locator("#line-qr svg").wait_for()

        user = user_id()  # the deliverer, sending the code as LINE would
        await line.webhook(hub.url + WEBHOOK, line.follow(user), line.text(user, code))
        await until(lambda: _state(hub, link_recipient(link.id), "bound"))
        await page.goto(partner_page)
        await row.locator(".line-state[data-state=bound]").wait_for()
        assert "連携済み" in await row.locator(".line-state").inner_text()

        await line.webhook(hub.url + WEBHOOK, line.unfollow(user))
        await until(lambda: _state(hub, link_recipient(link.id), "unfollowed"))
        await page.reload()
        await row.locator(".line-state[data-state=unfollowed]").wait_for()
        await context.close()
