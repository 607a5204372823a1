"""Issue 16's "done when", in a real headless Chromium: staff of the south register a
newspaper shop and give its carrier a report link; the carrier, on a phone-sized
screen, reports 新聞・郵便がたまっている for a home and sees 受け付けました; the centre's
staff see the new case, triage it as a visit and close it with an outcome; the carrier
gets the two messages (real SMTP, aiosmtpd) and nothing about the person; staff of
the north get 403 for the case and do not see it in their list."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser

from mimamori.demo.mosquitto import PrivateBroker
from tests.hub.cases.town import ADDRESS, NORTH, SOUTH, town
from tests.hub.helpers import running_hub, until
from tests.hub.receivers import Mailbox, smtp_server
from tests.hub.web.browser import sign_in_as_staff

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}  # a common phone's CSS pixels


async def test_a_carrier_reports_and_the_centre_handles_the_case(
    own_broker: PrivateBroker, browser: Browser, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, town) as hub:
        await hub.account("arakaki", "staff", areas=(SOUTH,))
        north = await hub.account("kinjo", "staff", areas=(NORTH,))
        desk = await browser.new_context(viewport={"width": 1200, "height": 900}, locale="ja-JP")
        with smtp_server() as box:
            page = await sign_in_as_staff(hub, desk, "arakaki")
            await page.goto(f"{hub.url}/desk/partners")
            await page.fill("#in-id", "ryukyu-news-nodake")
            await page.fill("#in-name", "琉球新報 野嵩販売店")
            await page.select_option("#in-kind", "newspaper")
            await page.check(f"input[name=areas][value={SOUTH}]")
            await page.click("#add-partner")
            await page.wait_for_url("**/desk/partners/ryukyu-news-nodake")
            mail = f"mailto://127.0.0.1:{box.port}?from=hub@example.jp&mode=insecure"
            await page.fill("#in-label", "配達員 山田")
            await page.fill("#in-channel", f"{mail}&to=yamada@example.jp")
            await page.click("#issue-link")
            link = await page.locator("#made-link").inner_text()

            phone = await browser.new_context(viewport=PHONE, locale="ja-JP", is_mobile=True)
            carrier = await phone.new_page()
            await carrier.goto(link)
            assert await carrier.locator("#call-119").get_attribute("href") == "tel:119"
            assert await carrier.locator("#call-110").get_attribute("href") == "tel:110"
            # Three taps: what, where, send.
            await carrier.get_by_label("新聞・郵便がたまっている").check()
            await carrier.select_option("#in-household", label=ADDRESS)
            await carrier.click("#send")
            await carrier.locator("#received").wait_for()
            assert await carrier.locator("#received").inner_text() == "受け付けました"
            await phone.close()

            await page.goto(f"{hub.url}/desk/cases")
            row = page.locator("#cases tr[data-state=new]")
            assert await row.count() == 1
            case_id = await row.get_attribute("data-case")
            await row.locator("a").first.click()
            await page.wait_for_url(f"**/desk/cases/{case_id}")
            assert "新聞・郵便がたまっている" in await page.locator("#timeline").inner_text()
            await page.select_option("#in-triage", "visit")
            await page.click("#triage")
            await page.wait_for_url(f"**/desk/cases/{case_id}")
            assert await page.locator("#case-state").get_attribute("data-state") == "triaged"
            await until(lambda: _count(box, 1), within=15)
            outcome = "訪問し、ご本人と会えた。入院中の家族の件で留守がちだった。"
            await page.fill("#in-outcome", outcome)
            await page.click("#close")
            await page.wait_for_url(f"**/desk/cases/{case_id}")
            assert await page.locator("#case-state").get_attribute("data-state") == "closed"
            await until(lambda: _count(box, 2), within=15)
            await desk.close()

        bodies = [m.get_body(("plain",)).get_content() for m in box.messages]
        assert {str(m["To"]) for m in box.messages} == {"yamada@example.jp"}
        assert "地域包括支援センターが対応を始めました" in bodies[0]
        assert "対応が終わりました" in bodies[1]
        for body in bodies:  # nothing about the person, the home or what was found
            for secret in ("宮城", "カマ", ADDRESS, "入院", "訪問"):
                assert secret not in body, (secret, body)

        async with hub.client(north) as client:
            refused = await client.get(f"/desk/cases/{case_id}")
            assert refused.status_code == 403
            listed = await client.get("/desk/cases")
            assert f'data-case="{case_id}"' not in listed.text


async def _count(box: Mailbox, n: int) -> bool:
    return len(box.messages) >= n
