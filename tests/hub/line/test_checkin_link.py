"""A LINE check-in whose 「元気ですか？」 cannot go by LINE: it goes to the person's mail
(real SMTP, aiosmtpd) with a signed, expiring link instead of buttons, and the link's
big-text page, on a phone-sized Chromium, answers 元気だよ exactly as the LINE button
does (a check-in of the household; the period answered once)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.checkins import prompt
from tests.hub.helpers import query, running_hub, until
from tests.hub.line.conftest import with_line
from tests.hub.line.test_checkin import DUE, T0, bind, checkin_by_line, line_events
from tests.hub.receivers import Mailbox, smtp_server
from tests.line_server import LocalLine

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}  # a common phone's CSS pixels


def by_mail(tmp_path: Path, line: LocalLine, box: Mailbox) -> Any:
    add_line = with_line(tmp_path, line)

    def edit(doc: dict[str, Any]) -> None:
        add_line(doc)
        checkin_by_line(doc, tmp_path)
        mail = f"mailto://127.0.0.1:{box.port}?from=hub@example.jp&mode=insecure"
        (tmp_path / "kama.channels").write_text(f"{mail}&to=kama@example.jp\n")

    return edit


async def test_a_prompt_line_refuses_goes_by_mail_with_a_link_whose_page_checks_in(
    own_broker: PrivateBroker, tmp_path: Path, line: LocalLine, browser: Browser
) -> None:
    with smtp_server() as box:
        edit = by_mail(tmp_path, line, box)
        async with running_hub(own_broker, tmp_path, edit, clock=lambda: T0) as hub:
            await bind(hub.state.store, hub.clock())
            await until(lambda: query(tmp_path, "SELECT 1 FROM line_checkins"))
            line.push_answers = ["quota"]  # the month's messages are used up
            hub.clock.advance(DUE + timedelta(minutes=1) - hub.clock())
            await until(lambda: _mails(box, 1), within=15)
            body = box.messages[0].get_body(("plain",)).get_content()
            assert "元気ですか？" in str(box.messages[0]["subject"]) + body
            assert "押してください（24時間有効）" in body and "下の" not in body
            found = re.search(r"http://\S+/checkin\?token=\S+", body)
            assert found is not None, body
            link = found.group(0)

            # An altered link shows no buttons.
            async with httpx.AsyncClient(timeout=10) as other:
                altered = link.replace("token=p-kama", "token=p-tsuru")
                assert (await other.get(altered)).status_code == 400
            assert await line_events(tmp_path) == []

            phone = await browser.new_context(viewport=PHONE, locale="ja-JP", is_mobile=True)
            page = await phone.new_page()
            await page.goto(link)
            assert await page.locator("h2").inner_text() == "元気ですか？"
            genki = page.locator("#ci-genki")
            assert await genki.inner_text() == "元気だよ"
            assert await page.locator("#ci-soudan").inner_text() == "相談したい"
            box_size = await genki.bounding_box()
            assert box_size is not None and box_size["height"] >= 44  # a finger's target
            await genki.click()
            outcome = page.locator("#ci-outcome")
            await outcome.wait_for()
            assert await outcome.get_attribute("data-outcome") == "thanks"
            assert (await outcome.inner_text()).startswith("ありがとうございます")

            # The same link again: the day is answered, no buttons.
            await page.goto(link)
            assert await page.locator("#ci-outcome").get_attribute("data-outcome") == "already"
            assert await page.locator("#ci-genki").count() == 0
            await phone.close()

            audit = await hub.state.store.audit_log(T0 - timedelta(days=1), 100)
            assert [(e.who, e.role, e.action) for e in audit if e.action.startswith("checkin")] == [
                ("宮城 カマ", "link", "checkin.genki")
            ]
            # A day later the link has expired.
            hub.clock.advance(prompt.LINK_TTL)
            async with httpx.AsyncClient(timeout=10) as late:
                assert (await late.get(link)).status_code == 410
    [(kind, _)] = await line_events(tmp_path)
    assert kind == "checkin.done"  # as the LINE button records it


async def _mails(box: Mailbox, count: int) -> bool:
    return len(box.messages) >= count
