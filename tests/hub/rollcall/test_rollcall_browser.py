"""The roll-call's pages in a real headless Chromium: staff start one from the desk's
menu and read the live list (the support list first, the counts, a status kept, a
search); a family answers 元気です on the one-time link's page on a phone; a
volunteer opens their list on a phone from the dashboard (their household only, the
phone to call), records a visit; staff end it and read the report."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.rollcall.asking import ANSWER_PATH
from tests.hub.helpers import query, running_hub
from tests.hub.rollcall.test_rollcall_api import MESSAGE, two_homes
from tests.hub.web.browser import sign_in_as_staff

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}  # a common phone's CSS pixels
DESK = {"width": 1280, "height": 900}


async def fits(page: Page) -> bool:
    """Nothing on the page is wider than its screen (no sideways scrolling)."""
    wide = await page.evaluate("document.documentElement.scrollWidth")
    return int(wide) <= PHONE["width"]


async def order(page: Page) -> list[str]:
    found: list[str] = await page.locator("#rc-list tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.household)"
    )
    return found


# The pages' queries run on both engines in test_rollcall_page.py and the API tests;
# the browser adds the pages' behaviour, the same on either.
@pytest.mark.sqlite_only
async def test_staff_a_family_and_a_volunteer_work_a_roll_call_in_the_browser(
    own_broker: PrivateBroker, browser: Browser, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, two_homes(tmp_path)) as hub:
        await hub.account("kita", "staff", areas=("north",))
        await hub.account("yamashiro", "volunteer", households=("hh-1",))
        desk = await browser.new_context(viewport=DESK, locale="ja-JP")
        staff = await sign_in_as_staff(hub, desk, "kita")
        await staff.goto(f"{hub.url}/desk/people")
        await staff.click('nav a[href="/rollcall"]')
        await staff.select_option("#rc-start select[name=area]", "north")
        await staff.fill("#rc-start textarea[name=message]", MESSAGE)
        await staff.click("#rc-start-button")
        await staff.wait_for_url("**/rollcall/*")
        rollcall_url = staff.url
        assert await staff.locator("#rc-message").inner_text() == MESSAGE
        assert await order(staff) == ["hh-1", "hh-2"]  # the support list first
        assert "未回答 2" in await staff.locator("#rc-counts").inner_text()
        assert "要支援者" in await staff.locator('tr[data-household="hh-1"]').inner_text()

        # The family answers on the link's page, on a phone.
        [(body,)] = await query(
            tmp_path, "SELECT body FROM notifications WHERE recipient_id = 'r-miyagi'"
        )
        link = hub.url + ANSWER_PATH + body.rsplit(ANSWER_PATH, 1)[1]
        family = await browser.new_context(viewport=PHONE, locale="ja-JP", is_mobile=True)
        answer = await family.new_page()
        await answer.goto(link)
        assert MESSAGE in await answer.locator("main").inner_text()
        fine = answer.get_by_role("button", name="元気です")
        box = await fine.bounding_box()
        assert box is not None and box["height"] >= 44  # a big button for older hands
        await fine.click()
        await answer.get_by_text("「元気です」を受け付けました").wait_for()
        assert await fits(answer)
        await family.close()

        await staff.reload()
        assert await order(staff) == ["hh-1", "hh-2"]  # the answered go last
        assert "無事 1" in await staff.locator("#rc-counts").inner_text()
        await staff.click('#rc-filter a[data-status="safe"]')
        await staff.wait_for_url("**status=safe**")
        assert await order(staff) == ["hh-2"]
        await staff.click("#rc-find")
        await staff.fill("#rc-find-text", "比嘉")
        await staff.click("#rc-find-form button")
        await staff.wait_for_url("**find=**")
        assert await order(staff) == ["hh-2"]
        assert "1 件" in await staff.locator("#rc-found").inner_text()

        # The volunteer, on a phone: from the dashboard to their one household.
        handheld = await browser.new_context(viewport=PHONE, locale="ja-JP", is_mobile=True)
        mine = await sign_in_as_staff(hub, handheld, "yamashiro")
        await mine.click("#to-rollcall")
        await mine.click("#rc-calls a")
        await mine.wait_for_url("**/rollcall/*")
        assert await order(mine) == ["hh-1"]
        call = mine.locator('tr[data-household="hh-1"] a[href^="tel:"]').first
        assert await call.get_attribute("href") == "tel:098-000-0000"
        assert await fits(mine)
        await mine.click('tr[data-household="hh-1"] a[href*="/visit"]')
        await mine.click("#rc-visit-safe")
        await mine.wait_for_url(lambda at: at.rstrip("/").endswith(rollcall_url.rsplit("/", 1)[1]))
        row = mine.locator('tr[data-household="hh-1"]')
        assert await row.get_attribute("data-status") == "safe"
        assert "無事" in await row.inner_text() and "yamashiro" in await row.inner_text()
        assert await fits(mine)
        await handheld.close()

        # Staff end it from a household's visit page; the list shows the report.
        await staff.goto(rollcall_url)
        await staff.click('tr[data-household="hh-1"] a[href*="/visit"]')
        await staff.click("#rc-end button")
        await staff.wait_for_url(rollcall_url)
        report = staff.locator("#rc-report")
        assert "対象 2 世帯" in await report.inner_text()
        assert await report.locator('li[data-kind="safe_link"]').inner_text() == "無事（リンク）: 1"
        assert await report.locator('li[data-kind="safe_visit"]').inner_text() == "無事（訪問）: 1"
        assert await report.locator('li[data-kind="none"]').inner_text() == "回答なし: 0"
        await desk.close()
