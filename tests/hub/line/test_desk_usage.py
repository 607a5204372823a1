"""The month's LINE messages at the desk, in a real headless Chromium: the contacts'
list shows the count against the plan, and from 80 % a warning that the notices will
go to the other channels once the plan runs out (issue 17's budget)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser

from mimamori.demo.mosquitto import PrivateBroker
from tests.hub.helpers import RunningHub, running_hub
from tests.hub.line.test_notices import bind
from tests.hub.line.test_usage import notice
from tests.hub.web.browser import sign_in_as_staff

# The count's SQL is tested on both engines (test_usage.py): one browser walk is enough.
pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]


async def test_the_contacts_list_shows_the_months_line_messages_and_warns_from_80_percent(
    small_plan: RunningHub, browser: Browser
) -> None:
    await bind(small_plan)
    service = small_plan.state.line
    assert service is not None
    for n in range(3):
        assert (await service.push.deliver(notice(n))).ok
    await small_plan.account("higa", "staff")
    context = await browser.new_context(locale="ja-JP")
    page = await sign_in_as_staff(small_plan, context, "higa")
    await page.goto(f"{small_plan.url}/desk/contacts")
    usage = page.locator("#line-usage[data-warning=no]")
    assert "2031-05" in await usage.inner_text() and "3 / 5 通（60 %）" in await usage.inner_text()
    assert await page.locator("#line-usage-warning").count() == 0

    assert (await service.push.deliver(notice(3))).ok  # 4 of 5: 80 %
    await page.reload()
    assert "4 / 5 通（80 %）" in await page.locator("#line-usage[data-warning=yes]").inner_text()
    warning = await page.locator("#line-usage-warning").inner_text()
    assert "80 %" in warning and "ほかの連絡手段" in warning
    await context.close()


async def test_a_town_without_line_shows_no_count(
    own_broker: PrivateBroker, tmp_path: Path, browser: Browser
) -> None:
    async with running_hub(own_broker, tmp_path) as hub:
        await hub.account("higa", "staff")
        context = await browser.new_context(locale="ja-JP")
        page = await sign_in_as_staff(hub, context, "higa")
        await page.goto(f"{hub.url}/desk/contacts")
        await page.locator("#entries").wait_for()
        assert await page.locator("#line-usage").count() == 0
        await context.close()
