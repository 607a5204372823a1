"""A search in a real headless Chromium: started from the map, followed live, shared
with the police (a page without an account), and ended."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser

from mimamori.protocol import EventKind
from tests.hub.helpers import TAG_TSURU, Gateway, RunningHub, publishing_gateway

pytestmark = pytest.mark.browser


async def test_a_family_starts_a_search_follows_it_shares_it_and_ends_it(
    hub: RunningHub, gateway: Gateway, browser: Browser, tmp_path: Path
) -> None:
    before = datetime.now(UTC) - timedelta(minutes=20)
    await hub.until_stored(await gateway.send(EventKind.TAG_LEFT, TAG_TSURU, before))
    family = await browser.new_page(viewport={"width": 1200, "height": 900}, locale="ja-JP")
    await family.goto(await hub.signin_link())
    start = family.locator("#start-search")
    await start.click()
    await family.locator("#search-confirm").wait_for(timeout=10_000)  # asks once more
    assert "/searches/" not in family.url
    await start.click()
    await family.wait_for_url("**/searches/s-*", timeout=10_000)
    head = family.locator("#search-head")
    await head.locator(".place").filter(has_text="比嘉 ツル").wait_for(timeout=10_000)
    assert await head.locator(".search-state").inner_text() == "捜索中"
    assert "捜索前に最後に確認された場所" in await family.locator("#trail").inner_text()
    await family.locator("#live.on").wait_for(timeout=10_000)

    async with publishing_gateway(hub.broker, "gw-b") as north:
        await north.send(EventKind.TAG_SEEN, TAG_TSURU, search="x")
    newest = family.locator("#trail li").first
    await newest.filter(has_text="市役所前 自販機").wait_for(timeout=10_000)
    direction = await family.locator("#direction").inner_text()
    assert "大山 自販機 → 市役所前 自販機" in direction

    await family.locator("#share-label").fill("宜野湾署 生活安全課")
    await family.locator("#share-form button").click()
    link = await family.locator("#share-made code").inner_text(timeout=10_000)
    assert "/s/" in link
    assert "宜野湾署 生活安全課" in await family.locator("#share-list").inner_text()

    police_context = await browser.new_context(locale="ja-JP")  # no cookies, no account
    police = await police_context.new_page()
    await police.goto(link)
    place = police.locator("#search-head .place").filter(has_text="比嘉 ツル")
    await place.wait_for(timeout=10_000)
    assert await police.locator("#actions button").count() == 0  # it only watches
    assert await police.locator("#share-form").count() == 0
    await police.locator("#trail li").filter(has_text="市役所前 自販機").wait_for(timeout=10_000)
    shot = tmp_path / "shared.png"
    await police.screenshot(path=str(shot), full_page=True)

    await family.locator("#found").click()
    await head.locator(".search-state").filter(has_text="見つかりました").wait_for(timeout=10_000)
    assert await family.locator("#found").count() == 0
    family_shot = tmp_path / "search.png"
    await family.screenshot(path=str(family_shot), full_page=True)
    if keep := os.environ.get("MIMAMORI_SCREENSHOT_DIR"):
        for name in ("shared.png", "search.png"):
            (Path(keep) / name).write_bytes((tmp_path / name).read_bytes())
    await police_context.close()
