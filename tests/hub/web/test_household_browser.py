"""The household page in a real headless Chromium: state, facts and the 30-day calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser

from mimamori.protocol import EventKind, format_ts
from tests.hub.helpers import Gateway, RunningHub, until

pytestmark = pytest.mark.browser
TOKYO = ZoneInfo("Asia/Tokyo")


def day(ts: datetime) -> str:
    return ts.astimezone(TOKYO).date().isoformat()


async def test_the_family_sees_the_missed_day_and_the_power_cut_on_the_calendar(
    hub: RunningHub, home_gateway: Gateway, browser: Browser, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    pressed, due = now - timedelta(days=3), now - timedelta(days=2)
    await home_gateway.event(
        EventKind.CHECKIN_DONE, pressed, device="door", card="genki", next_due=format_ts(due)
    )
    await home_gateway.event(
        EventKind.CHECKIN_MISSED, due + timedelta(hours=24), level=1, due=format_ts(due)
    )
    last = await home_gateway.event(
        EventKind.DEVICE_MAINS_LOST, now - timedelta(minutes=1), device="door"
    )
    await until(lambda: _stored(hub, last))

    page = await browser.new_page(viewport={"width": 900, "height": 1000}, locale="ja-JP")
    await page.goto(await hub.signin_link(family="f-miyagi"))
    await page.goto(f"{hub.url}/households/hh-1")
    assert await page.locator("#hh-name").inner_text() == "宮城さん宅"
    assert await page.locator("#hh-state").inner_text() == "連絡が途絶えています（段階 1）"
    assert "元気だよ" in await page.locator("#hh-last_checkin").inner_text()
    cell = page.locator(f'.cal-day[data-date="{day(pressed)}"]')
    assert await cell.get_attribute("class") == "cal-day day-ok"
    assert "元気だよ" in (await cell.get_attribute("title") or "")
    missed = page.locator(f'.cal-day[data-date="{day(due + timedelta(hours=24))}"]')
    assert await missed.get_attribute("class") == "cal-day day-missed"
    today = page.locator(f'.cal-day[data-date="{day(now)}"]')
    assert "停電" in (await today.get_attribute("title") or "")
    assert await today.locator(".mark").inner_text() == "⚠"
    assert await page.locator(".cal-day").count() == 30
    await page.screenshot(path=str(tmp_path / "household.png"), full_page=True)

    await page.goto(f"{hub.url}/households/hh-1?lang=en")
    assert await page.locator("#hh-state").inner_text() == "Check-in missed (level 1)"


async def test_another_family_gets_a_not_found_page(hub: RunningHub, browser: Browser) -> None:
    page = await browser.new_page()
    await page.goto(await hub.signin_link(family="f-higa"))
    response = await page.goto(f"{hub.url}/households/hh-1")
    assert response is not None and response.status == 404
    assert "宮城" not in await page.content()
    response = await page.goto(f"{hub.url}/households")
    assert response is not None and response.status == 200
    assert await page.locator("main").inner_text() == "表示できるお宅がありません"


async def _stored(hub: RunningHub, event_id: str) -> bool:
    since = datetime.now(UTC) - timedelta(days=40)
    found = await hub.state.store.events_of(
        ["gw-home"], ["device.mains_lost"], since, datetime.now(UTC) + timedelta(days=1)
    )
    return any(e.id == event_id for e in found)
