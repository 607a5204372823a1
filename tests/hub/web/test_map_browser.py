"""The map in a real headless Chromium (Debian's), fed by real MQTT events."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from mimamori.protocol import EventKind
from tests.hub.helpers import TAG_TSURU, Gateway, RunningHub

pytestmark = pytest.mark.browser


async def signed_in_map(browser: Browser, hub: RunningHub, lang: str = "ja") -> Page:
    page = await browser.new_page(viewport={"width": 1200, "height": 800}, locale="ja-JP")
    await page.goto(await hub.signin_link() + f"&lang={lang}")
    assert "/map" in page.url
    return page


async def test_the_family_sees_the_marker_move_when_a_new_sighting_arrives(
    hub: RunningHub, gateway: Gateway, browser: Browser, tmp_path: Path
) -> None:
    first = await gateway.send(EventKind.TAG_ARRIVED, TAG_TSURU, rssi=-70)
    await hub.until_stored(first)
    page = await signed_in_map(browser, hub)
    status = page.locator("#status")
    await status.locator(".place").filter(has_text="大山 自販機").wait_for(timeout=5000)
    assert await status.locator(".state").inner_text() == "この付近にいます"
    assert await page.evaluate("window.mimamori.marker().lat") == pytest.approx(26.279)
    assert await page.locator("#trail li").count() == 1
    await page.locator("#live.on").wait_for(timeout=5000)  # the live stream is open

    sent = time.perf_counter()
    await gateway.send(EventKind.TAG_ARRIVED, TAG_TSURU, rssi=-64)
    gateway.gw = "gw-b"
    await gateway.send(EventKind.TAG_ARRIVED, TAG_TSURU, rssi=-60)
    # A locator, not wait_for_function: the page's CSP forbids the eval that one uses.
    await page.locator("#status[data-gateway-id='gw-b']").wait_for(timeout=5000)
    moved_after = time.perf_counter() - sent
    assert await status.locator(".place").inner_text() == "市役所前 自販機"
    assert await page.evaluate("window.mimamori.marker().lat") == pytest.approx(26.2815)
    assert await page.locator("#trail li").count() == 3
    assert await page.locator("#gateways li").count() == 2
    print(f"marker moved {moved_after * 1000:.0f} ms after the events were published")
    shot = tmp_path / "map.png"
    await page.screenshot(path=str(shot), full_page=True)
    if keep := os.environ.get("MIMAMORI_SCREENSHOT"):
        Path(keep).write_bytes(shot.read_bytes())


async def test_the_page_works_in_english_and_without_any_sighting(
    hub: RunningHub, browser: Browser
) -> None:
    page = await signed_in_map(browser, hub, lang="en")
    await page.locator("#status .place").filter(has_text="Not seen yet").wait_for(timeout=5000)
    assert await page.locator("h1").inner_text() == "Watch-over map"
    assert await page.locator("#trail li").inner_text() == "Nothing in the last 24 hours"


async def test_leaflet_is_served_by_the_hub_itself(hub: RunningHub, browser: Browser) -> None:
    page = await signed_in_map(browser, hub)
    await page.locator("#live.on").wait_for(timeout=5000)
    loaded = await page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    scripts = [u for u in loaded if u.endswith(".js")]
    assert any(u.endswith("/static/leaflet/leaflet.js") for u in scripts)
    assert all(u.startswith(hub.url) for u in scripts)  # nothing from a CDN
    assert await page.evaluate("typeof L === 'object' && L.version") == "1.9.4"
