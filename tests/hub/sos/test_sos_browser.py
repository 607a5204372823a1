"""Issue 18's "done when" for the SOS network, in a real headless Chromium: staff of
the south opt two partners' links in at the desk; the family starts a search and
agrees on the phone and staff record it on the search page; the bulletin reaches
both organisations by real SMTP (aiosmtpd);
a partner on a phone-sized screen opens it, shares the phone's position and taps
見かけた; the staff's search page shows it on the live trail; staff end the search
(found) and the bulletin page shows only 「見つかりました」."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser

from mimamori.demo.mosquitto import PrivateBroker
from tests.hub.desk.shots import VIEWPORT, shot
from tests.hub.found.town import SOUTH
from tests.hub.helpers import running_hub, until
from tests.hub.receivers import Mailbox, smtp_server
from tests.hub.sos.town import PARTNERS, bulletin_in, partners, town, with_photo
from tests.hub.web.browser import sign_in_as_staff

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]
PHONE = {"width": 390, "height": 844}
WHERE = {"latitude": 26.27001, "longitude": 127.76002}
SHARE = {"agreed_by": "長女 宮城 花子", "shown_as": "80代の女性", "clothing": "紺のジャンパー"}


async def _mail_to(box: Mailbox, address: str) -> str:
    async def arrived() -> bool:
        return any(str(m["To"]) == address for m in box.messages)

    await until(arrived, within=15)
    mail = next(m for m in box.messages if str(m["To"]) == address)
    return str(mail.get_body(("plain",)).get_content())


async def test_a_bulletin_reaches_two_partners_one_sees_her_and_it_is_withdrawn(
    own_broker: PrivateBroker, browser: Browser, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, town) as hub:
        with smtp_server() as box:
            mail = f"mailto://127.0.0.1:{box.port}?from=hub@example.jp&mode=insecure"
            links = await partners(hub, {p: f"{mail}&to={p}@example.jp" for p, *_ in PARTNERS})
            await with_photo(hub, await hub.account("arakaki", "staff", areas=(SOUTH,)))
            desk = await browser.new_context(viewport=VIEWPORT, locale="ja-JP")
            staff = await sign_in_as_staff(hub, desk, "arakaki")
            for pid in ("news", "post"):
                await staff.goto(f"{hub.url}/desk/partners/{pid}")
                row = staff.locator(f"tr[data-link='{links[pid]}']")
                await row.locator("button.bulletins-toggle").click()
                await staff.locator(
                    f"tr[data-link='{links[pid]}'] td.bulletins[data-on=yes]"
                ).wait_for()

            family = await hub.token(role="family", family="f-miyagi")
            async with hub.client(family) as caller:
                made = await caller.post("/api/v1/searches", json={"person_id": "p-kama"})
                assert made.status_code == 201, made.text
            search_id = made.json()["id"]
            # The daughter agrees on the phone; staff record it on the search page.
            await staff.goto(f"{hub.url}/searches/{search_id}")
            await staff.locator("#not-shared").wait_for(timeout=10_000)
            assert await staff.locator("#consent-shown-as").input_value() == "80代の方"
            await staff.fill("#consent-agreed-by", SHARE["agreed_by"])
            await staff.fill("#consent-shown-as", SHARE["shown_as"])
            await staff.fill("#consent-clothing", SHARE["clothing"])
            await staff.click("#give-consent")
            await staff.locator("#consent-given").wait_for(timeout=10_000)
            news = await _mail_to(box, "news@example.jp")
            post = await _mail_to(box, "post@example.jp")
            assert "80代の女性" in news and "80代の女性" in post
            sent = staff.locator("#bulletin-list li")
            await sent.nth(1).wait_for(timeout=10_000)
            await staff.locator("#live.on").wait_for(timeout=10_000)

            phone = await browser.new_context(
                viewport=PHONE, locale="ja-JP", is_mobile=True,
                geolocation=WHERE, permissions=["geolocation"],
            )  # fmt: skip
            partner = await phone.new_page()
            link = bulletin_in(post)
            await partner.goto(link)
            assert "紺のジャンパー" in await partner.locator("#clothing").inner_text()
            await partner.wait_for_function(
                "document.getElementById('photo').naturalWidth > 0"
            )  # the photo, through the bulletin's own link
            await shot(partner, "sos-bulletin", tmp_path)
            await partner.click("#share-position")
            await partner.locator("#position-status[data-shared=yes]").wait_for()
            await partner.fill("#in-note", "郵便局の前を北へ歩いていきました")
            await partner.click("#saw")
            await partner.locator("#thanks").wait_for()

            trail = staff.locator("#trail li").filter(has_text="見かけた: 宜野湾郵便局")
            await trail.wait_for(timeout=15_000)  # live, without a reload
            await staff.locator("#sharing").scroll_into_view_if_needed()
            await shot(staff, "sos-search", tmp_path)
            await staff.locator("#found").click()
            head = staff.locator("#search-head .search-state")
            await head.filter(has_text="見つかりました").wait_for(timeout=10_000)

            await partner.goto(link)
            withdrawn = partner.locator("#withdrawn")
            assert await withdrawn.inner_text() == "見つかりました。ご協力ありがとうございました。"
            assert await partner.locator("#clothing, #photo, #saw").count() == 0
            await shot(partner, "sos-withdrawn", tmp_path)
            await phone.close()
            await desk.close()
