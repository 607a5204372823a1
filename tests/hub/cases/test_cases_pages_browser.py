"""The cases' other pages in a real headless Chromium, each on the screen its people
use: a partner's QR card on a phone (the code whole on the screen, nothing but the
card on paper) and the report form its code leads to (the emergency numbers on the
first screen, nothing wider than the phone); the month's figures at the desk (the
staff's areas only, the CSV of the month shown); a volunteer's "my cases" on a phone
(what to do where, no way into the desk, nothing wider than the phone)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.model.cases import CaseState, Partner, PartnerKind, Step
from mimamori.hub.store.port_cases import CaseChange
from tests.hub.cases.test_assignment import with_minsei
from tests.hub.cases.test_figures import month
from tests.hub.cases.town import NORTH, SOUTH
from tests.hub.helpers import PASSWORD, running_hub
from tests.hub.web.browser import sign_in_as_staff

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}  # a common phone's CSS pixels
DESKTOP = {"width": 1200, "height": 900}


async def _sign_in(context: BrowserContext, url: str, user: str) -> Page:
    page = await context.new_page()
    await page.goto(f"{url}/login")
    await page.fill("input[name=user]", user)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login")
    await page.wait_for_url(lambda at: "/login" not in at)
    return page


async def _fits(page: Page) -> bool:
    """Nothing on the page is wider than its screen (no sideways scrolling)."""
    wide = await page.evaluate("document.documentElement.scrollWidth")
    return int(wide) <= int(page.viewport_size["width"] if page.viewport_size else 0)


async def test_the_card_the_figures_and_my_cases_read_well_on_their_screens(
    own_broker: PrivateBroker, browser: Browser, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, with_minsei(tmp_path)) as hub:
        store = hub.state.store
        await month(store)  # May 2031 in both areas; hh-1's case decided (triaged)
        shop = Partner("shop", "野嵩商店", PartnerKind.STORE, (SOUTH,), hub.clock())
        await store.add_partner(shop)
        await hub.account("arakaki", "staff", areas=(SOUTH,))
        await hub.account("yamashiro", "volunteer", households=("hh-1",))
        [home_case] = [c for c in await store.cases([SOUTH], 50) if c.household_id == "hh-1"]
        assign = CaseChange((CaseState.NEW, CaseState.TRIAGED), Step.ASSIGN, "arakaki",
                            "yamashiro", assigned_to="yamashiro")  # fmt: skip
        assert await store.change_case(home_case.id, assign, hub.clock())

        # The QR card, on the staff member's phone (shown to a carrier to scan).
        handheld = await browser.new_context(viewport=PHONE, locale="ja-JP", is_mobile=True)
        page = await _sign_in(handheld, hub.url, "arakaki")
        await page.goto(f"{hub.url}/desk/partners/shop")
        await page.fill("#in-label", "配達員 山田")
        await page.click("#issue-link")
        card = await page.locator("#made-card").get_attribute("href")  # a new tab, to print
        await page.goto(f"{hub.url}{card}")
        await page.locator("#card-qr svg").wait_for()
        code = await page.locator("#card-qr svg").bounding_box()
        assert code is not None and code["x"] >= 0 and code["x"] + code["width"] <= PHONE["width"]
        assert code["width"] >= 120  # big enough for a camera at arm's length
        assert await _fits(page)
        assert "119 / 110" in await page.locator("#card").inner_text()
        await page.emulate_media(media="print")  # on paper: the card alone
        assert not await page.locator(".no-print").is_visible()
        assert await page.locator("#card-qr svg").is_visible()
        link = await page.locator("#card-url").inner_text()
        await handheld.close()

        # What the code leads to, on the carrier's phone.
        phone = await browser.new_context(viewport=PHONE, locale="ja-JP", is_mobile=True)
        carrier = await phone.new_page()
        await carrier.goto(link)
        call = await carrier.locator("#call-119").bounding_box()
        assert call is not None and call["y"] + call["height"] <= PHONE["height"]  # first screen
        assert await carrier.locator("#report-form").count() == 1
        assert await _fits(carrier)
        await phone.close()

        # The month's figures at the desk: the south's, not the north's; the CSV's link.
        desk = await browser.new_context(viewport=DESKTOP, locale="ja-JP")
        staff = await sign_in_as_staff(hub, desk, "arakaki")
        await staff.goto(f"{hub.url}/desk/figures/cases")
        await staff.fill("#in-month", "2031-05")
        await staff.locator("#month-form button[type=submit]").click()
        await staff.wait_for_url("**/desk/figures/cases?month=2031-05")
        south = staff.locator(f"section.figures[data-area={SOUTH}]")
        assert await south.locator("tr[data-figure=opened] td").inner_text() != ""
        assert await south.locator("tr[data-figure=noticed]").count() >= 1
        assert await staff.locator(f"section.figures[data-area={NORTH}]").count() == 0
        sheet = await staff.request.get(
            f"{hub.url}{await staff.locator('#csv').get_attribute('href')}"
        )
        assert sheet.ok and (await sheet.text()).lstrip("\ufeff").startswith("month,area,figure")
        assert await _fits(staff)
        await desk.close()

        # The volunteer's own cases, on their phone.
        volunteer = await browser.new_context(viewport=PHONE, locale="ja-JP", is_mobile=True)
        mine = await _sign_in(volunteer, hub.url, "yamashiro")
        await mine.goto(f"{hub.url}/cases/mine")
        row = mine.locator(f"#my-cases tr[data-case='{home_case.id}']")
        await row.wait_for()
        assert "新聞・郵便がたまっている" in await row.locator(".noticed").inner_text()
        assert await row.locator(".todo").inner_text() == "訪問する"
        assert await mine.locator("#my-cases a").count() == 0  # no way into the desk
        assert await row.locator(".todo").is_visible()
        assert await _fits(mine)
        await volunteer.close()
