"""The one-tap page in Chromium, through a whole chain on a real hub (real broker,
real SMTP via aiosmtpd, the hub's clock virtual): a missed check-in mails the family;
her page answers 行けない・次の人へ and the volunteer is mailed at once; his page answers
対応します; the handling timeout passes and the care centre is mailed; its page answers
解決しました with what happened; the page's timeline, and the API's, show each step."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from playwright.async_api import Browser

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.protocol import EventKind, format_ts
from tests.hub.helpers import MIN, HubClock, publishing_gateway, running_hub, until
from tests.hub.receivers import Mailbox, smtp_server

LINK = re.compile(r"https?://\S+/ack\?token=\S+")
PEOPLE = {"r-miyagi": "宮城 花子", "r-yamashiro": "山城 清", "r-center": "地域包括支援センター"}


def _town(box: Mailbox, tmp_path: Path) -> Any:
    def edit(doc: dict[str, Any]) -> None:
        recipients = []
        for rid, name in PEOPLE.items():
            channels = tmp_path / f"{rid}.channels"
            channels.write_text(
                f"mailto://127.0.0.1:{box.port}?from=hub@example.jp&to={rid}@example.jp"
                "&mode=insecure\n"
            )
            recipients.append({"id": rid, "name": name, "channels_file": str(channels)})
        doc["recipients"] = recipients
        doc["policies"] = [
            {
                "id": "default",
                "steps": [
                    {"after_min": 0, "notify": ["r-miyagi"]},
                    {"after_min": 120, "notify": ["r-yamashiro"], "action": "visit"},
                    {"after_min": 360, "notify": ["r-center"]},
                ],
                "handling_timeout_min": 30,
            }
        ]

    return edit


def _mails_to(box: Mailbox, rid: str) -> list[EmailMessage]:
    return [m for m in box.messages if m["To"] == f"{rid}@example.jp"]


async def _link_of(box: Mailbox, rid: str) -> str:
    async def mailed() -> list[EmailMessage]:
        return _mails_to(box, rid)

    [mail] = await until(mailed, within=15)
    found = LINK.search(mail.get_body().get_content())  # type: ignore[union-attr]
    assert found, mail
    return found.group(0)


async def test_the_one_tap_page_declines_handles_and_resolves_and_shows_the_timeline(
    own_broker: PrivateBroker, browser: Browser, tmp_path: Path
) -> None:
    clock = HubClock()
    with smtp_server() as box:
        async with (
            running_hub(own_broker, tmp_path, _town(box, tmp_path), clock=clock) as hub,
            publishing_gateway(own_broker, "gw-home") as home,
        ):
            await home.event(EventKind.CHECKIN_MISSED, clock(), level=1, due=format_ts(clock()))
            context = await browser.new_context(locale="ja-JP")
            page = await context.new_page()

            # The family, far away: she cannot go. The volunteer is told at once.
            await page.goto(await _link_of(box, "r-miyagi"))
            clock.advance(MIN)  # a minute to read it (the timeline's order is by time)
            await page.locator("#decline").click()
            await page.locator("#flash").wait_for()
            assert "次の方にすぐお知らせします" in await page.locator("#flash").inner_text()
            volunteer = await _link_of(box, "r-yamashiro")
            assert "訪問" in _mails_to(box, "r-yamashiro")[0].get_body().get_content()  # type: ignore[union-attr]

            # The volunteer handles it: nobody else is told while he does.
            await page.goto(volunteer)
            clock.advance(MIN)
            await page.locator("#ack").click()
            await page.locator("#flash").wait_for()
            assert "までに解決の連絡がなければ" in await page.locator("#flash").inner_text()
            assert "山城 清さんが対応中です" in await page.locator("#done").inner_text()
            assert _mails_to(box, "r-center") == []

            # His 30 minutes pass without a resolution: the care centre is told.
            clock.advance(30 * MIN)
            center = await _link_of(box, "r-center")

            # The care centre resolves it, saying what happened.
            await page.goto(center)
            await page.locator("#outcome").select_option("hospital")
            await page.locator("#resolve-note").fill("市民病院に入院中と確認")
            await page.locator("#resolve").click()
            await page.locator("#flash").wait_for()
            assert "解決済み: 入院・受診" in await page.locator("#done").inner_text()
            assert await page.locator("#decline").count() == 0  # nothing left to answer

            items = [
                " ".join(t.split()[2:])
                for t in await page.locator("#timeline li").all_inner_texts()
            ]
            assert items == [
                "発生: 見守りの連絡が途絶えています（段階 1）",
                "宮城 花子 にお知らせ",
                "宮城 花子 へ届きました（#1）",
                "宮城 花子: 行けない・次の人へ",
                "山城 清 に訪問を依頼",
                "山城 清 へ届きました（#1）",
                "山城 清: 対応します — 通知のリンクから",
                "地域包括支援センター にお知らせ",
                "地域包括支援センター へ届きました（#1）",
                "解決（地域包括支援センター）: 入院・受診 — 市民病院に入院中と確認",
            ]
            await context.close()

            async with hub.client(await hub.token(role="admin")) as admin:
                [alert] = (await admin.get("/api/v1/alerts", params={"state": "all"})).json()
                assert (alert["state"], alert["outcome"]) == ("resolved", "hospital")
                timeline = (await admin.get(f"/api/v1/alerts/{alert['id']}/timeline")).json()
            assert [(e["what"], e["detail"] or e["state"]) for e in timeline] == [
                ("opened", "checkin_missed"),
                ("step", "notify"),
                ("notified", "sent"),
                ("answer", "decline"),
                ("step", "visit"),
                ("notified", "sent"),
                ("answer", "handling"),
                ("step", "notify"),
                ("notified", "sent"),
                ("resolved", "hospital"),
            ]
