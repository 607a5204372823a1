"""Issue 18's "done when", in a real headless Chromium on a phone-sized screen: staff
print a sheet at the desk; a passer-by scans its code, shares the phone's position
and taps 保護しています; the daughter's notice arrives by real SMTP (aiosmtpd) with a
link to the thread; she answers; the finder's page shows the answer by itself; she
marks her mother safe and the finder's page closes. The screenshots are the guide's
(docs/found.md; ``./run screenshots``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser

from mimamori.demo.mosquitto import PrivateBroker
from tests.hub.desk.shots import VIEWPORT, shot
from tests.hub.found.town import SOUTH, link_in, town
from tests.hub.helpers import running_hub, until
from tests.hub.receivers import Mailbox, smtp_server
from tests.hub.web.browser import sign_in_as_staff

# The pages are the same on either engine (the store's tests run on both).
pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]
PHONE = {"width": 390, "height": 844}  # a common phone's CSS pixels
WHERE = {"latitude": 26.28123, "longitude": 127.77456}


async def test_a_finder_scans_and_the_family_answers_then_marks_safe(
    own_broker: PrivateBroker, browser: Browser, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, town) as hub:
        await hub.account("arakaki", "staff", areas=(SOUTH,))
        with smtp_server() as box:
            mail = f"mailto://127.0.0.1:{box.port}?from=hub@example.jp&mode=insecure"
            await hub.set_channels("r-miyagi", f"{mail}&to=hanako@example.jp")
            desk = await browser.new_context(viewport=VIEWPORT, locale="ja-JP")
            staff = await sign_in_as_staff(hub, desk, "arakaki")
            await staff.goto(f"{hub.url}/desk/people/p-kama")
            await staff.click("#found-stickers")
            await staff.click("#issue-sheet")
            await staff.locator("#sheet-url").wait_for()
            url = await staff.locator("#sheet-url").inner_text()
            await shot(staff, "found-sheet", tmp_path)

            phone = await browser.new_context(
                viewport=PHONE, locale="ja-JP", is_mobile=True,
                geolocation=WHERE, permissions=["geolocation"],
            )  # fmt: skip
            finder = await phone.new_page()
            await finder.goto(url)
            assert await finder.locator("#call-119").get_attribute("href") == "tel:119"
            assert await finder.locator("#call-110").get_attribute("href") == "tel:110"
            await finder.click("#share-position")
            await finder.locator("#position-status[data-shared=yes]").wait_for()
            await finder.fill("#in-message", "駅の前のベンチで休んでいます")
            await shot(finder, "found-finder", tmp_path)
            await finder.click("#protect")
            await finder.locator("#told").wait_for()

            await until(lambda: _count(box, 1), within=15)
            notice = box.messages[0]
            assert str(notice["To"]) == "hanako@example.jp"
            body = notice.get_body(("plain",)).get_content()
            assert "宮城 カマさん" in str(notice["Subject"]) + body
            assert "26.28123" in body and "駅の前" not in body  # the message waits in the thread
            family = await browser.new_context(viewport=PHONE, locale="ja-JP", is_mobile=True)
            daughter = await family.new_page()
            await daughter.goto(link_in(body))
            said = await daughter.locator("#messages").inner_text()
            assert "駅の前のベンチで休んでいます" in said
            await daughter.fill("#in-answer", "すぐ向かいます、そこにいてください")
            await daughter.click("#answer")
            await daughter.locator("#messages li[data-side=family]").wait_for()

            answer = finder.locator("#messages li[data-side=family]")
            await answer.wait_for(timeout=15_000)  # the page follows the thread by itself
            assert "すぐ向かいます、そこにいてください" in await answer.inner_text()
            await answer.scroll_into_view_if_needed()
            await shot(finder, "found-thread", tmp_path)
            # The care centre's staff read the same thread at the desk, from the stickers page.
            await staff.goto(f"{hub.url}/desk/people/p-kama/stickers")
            await staff.click("a.thread-link")
            read = await staff.locator("#desk-thread #messages").inner_text()
            assert "駅の前のベンチで休んでいます" in read and "すぐ向かいます" in read
            assert await staff.locator("#desk-thread form").count() == 0  # read-only
            await daughter.click("#mark-safe")
            await daughter.locator("#closed").wait_for()
            await finder.locator("#closed").wait_for(timeout=15_000)
            assert await finder.locator("#say-form").is_hidden()
            assert "ありがとうございました" in await finder.locator("#closed").inner_text()
            for context in (desk, phone, family):
                await context.close()


async def _count(box: Mailbox, n: int) -> bool:
    return len(box.messages) >= n
