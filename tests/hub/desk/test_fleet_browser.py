"""The technician's fleet page in a real headless Chromium (issue 20): an admin opens it
from the desk's menu, sees the offline gateway first and the full disk next, keeps
only the full disks with the filter, goes to that gateway's page and makes its
enrollment code, whose QR the page draws."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.alerts.gateway_health import GatewayHealth
from mimamori.hub.config import WatchPointSettings
from mimamori.protocol import GatewayStatus
from tests.hub.access.test_areas import two_areas
from tests.hub.desk.shots import VIEWPORT
from tests.hub.enroll.test_enrollment import enrolling
from tests.hub.helpers import HubClock, running_hub
from tests.hub.web.browser import sign_in_as_staff

pytestmark = pytest.mark.browser
GB = 1_000_000_000


# The page's queries run on both engines in test_desk_fleet.py and test_desk_enroll.py;
# the browser adds the page's behaviour, the same on either: one engine saves CI 20 s.
@pytest.mark.sqlite_only
async def test_an_admin_finds_the_full_disk_on_the_fleet_page_and_enrolls_from_there(
    own_broker: PrivateBroker, browser: Browser, tmp_path: Path
) -> None:
    def town(doc: dict[str, Any]) -> None:
        enrolling(tmp_path)(doc)
        two_areas(doc)

    async with running_hub(own_broker, tmp_path, town, clock=HubClock()) as hub:
        store, now = hub.state.store, hub.clock()
        full = {"free_bytes": GB // 2, "total_bytes": 16 * GB}
        await store.ingest([], [
            GatewayStatus.model_validate({"gw": "gw-a", "state": "online", "ts": now,
                                          "version": "0.4.0", "disk": full}),
            GatewayStatus(gw="gw-b", state="online", ts=now),
            GatewayStatus(gw="gw-home", state="online", ts=now),
        ], now)  # fmt: skip
        await store.ingest([], [GatewayStatus(gw="gw-b", state="offline")], now)
        health = GatewayHealth(WatchPointSettings(), hub.state.registry, store, clock=hub.clock)
        assert len((await health.check()).opened) == 1

        await hub.account("root", "admin")
        context = await browser.new_context(viewport=VIEWPORT, locale="ja-JP")
        page = await sign_in_as_staff(hub, context, "root")
        await page.goto(f"{hub.url}/desk/people")
        await page.click('nav a[href="/desk/fleet"]')
        await page.locator("#fleet").wait_for()
        order = await page.locator("#fleet tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.gateway)"
        )
        assert order == ["gw-b", "gw-a", "gw-home"]  # offline, then the alert, then well
        full_row = page.locator('tr[data-gateway="gw-a"]')
        assert "ゲートウェイの記憶領域" in await full_row.locator(".fleet-alert").inner_text()
        assert "500 MB（3 %）" in await full_row.locator(".fleet-disk").inner_text()

        await page.click('#fleet-filter a[data-only="disk_low"]')
        await page.wait_for_url("**/desk/fleet?only=disk_low")
        assert await page.locator("#fleet tbody tr").count() == 1
        await full_row.locator("td a").first.click()
        await page.wait_for_url("**/desk/watch-points/gw-a")
        await page.click("#enroll-make")
        qr = page.locator("#enroll-qr svg")
        await qr.wait_for()
        box = await qr.bounding_box()
        assert box is not None and box["width"] > 100  # big enough for a phone to read
        code = await page.locator("#enroll-code").inner_text()
        assert code in await page.locator("#enroll-command").inner_text()
        await context.close()
