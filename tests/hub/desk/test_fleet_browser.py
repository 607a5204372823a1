"""The technician's fleet page in a real headless Chromium (issue 20): an admin opens it
from the desk's menu, sees the offline gateway first and the full disk next, keeps
only the full disks with the filter, goes to that gateway's page and makes its
enrollment code, whose QR the page draws; a deaf receiver's day on the list's
sparkline and its gateway on the map, coloured, filtered, opened."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.alerts.deafness import DeafReceivers
from mimamori.hub.alerts.gateway_health import GatewayHealth
from mimamori.hub.config import WatchPointSettings
from mimamori.hub.model.alerts import AlertKind
from mimamori.protocol import GatewayStatus
from tests.hub.access.test_areas import two_areas
from tests.hub.desk.shots import VIEWPORT, shot
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


HOURS = 16  # of statuses, every ten minutes: two thirds of the sparkline's day


def receiver(history: list[int], now: datetime) -> dict[str, Any]:
    heard = {"last_min": history[-1], "per_min": history, "until": now}
    return {"vm": {"driver": "serial_line", "state": "up", "heard": heard}}


@pytest.mark.sqlite_only
async def test_a_technician_sees_the_deaf_receivers_day_and_finds_it_on_the_map(
    own_broker: PrivateBroker, browser: Browser, tmp_path: Path
) -> None:
    """Sixteen hours of statuses on the hub's virtual clock: gw-a's receiver hears
    every minute, then nothing for its last 40; gw-b's hears all along. The deafness
    watch takes the minutes in (its quarter hours) and opens gw-a's alert; the list
    draws both days, the map colours gw-a deaf and gw-b well."""
    clock = HubClock()
    async with running_hub(own_broker, tmp_path, two_areas, clock=clock) as hub:
        store = hub.state.store
        settings = WatchPointSettings(deaf_learn_min=60, deaf_floor_min=30)
        watch = DeafReceivers(settings, hub.state.registry, store, clock=clock)
        histories: dict[str, list[int]] = {"gw-a": [], "gw-b": []}
        for minute in range(1, HOURS * 60 + 1):
            clock.advance(timedelta(minutes=1))
            heard = 6 + minute // 60 % 4 if minute <= HOURS * 60 - 40 else 0  # busier at times
            histories["gw-a"] = [*histories["gw-a"], heard][-15:]
            histories["gw-b"] = [*histories["gw-b"], 9][-15:]
            if minute % 10 == 0:
                now = clock()
                await store.ingest([], [
                    GatewayStatus.model_validate({"gw": gw, "state": "online", "ts": now,
                                                  "drivers": receiver(history, now)})
                    for gw, history in histories.items()
                ] + [GatewayStatus(gw="gw-home", state="online", ts=now)], now)  # fmt: skip
                await watch.check()
        [deaf] = [a for a in await store.alerts(None, include_resolved=False)
                  if a.kind == AlertKind.RECEIVER_DEAF]
        assert deaf.subject == "receiver:gw-a/vm"

        await hub.account("root", "admin")
        context = await browser.new_context(viewport=VIEWPORT, locale="ja-JP")
        page = await sign_in_as_staff(hub, context, "root")
        await page.goto(f"{hub.url}/desk/fleet")
        deaf_day = page.locator('tr[data-gateway="gw-a"] svg.spark')
        well_day = page.locator('tr[data-gateway="gw-b"] svg.spark')
        box = await deaf_day.bounding_box()
        assert box is not None and box["width"] >= 150 and box["height"] >= 20  # a laptop's eye
        assert await deaf_day.locator("polyline").count() == 1  # no gap
        assert await deaf_day.get_attribute("data-quarters") == str(HOURS * 4 + 1)  # and a bit
        # The last 40 minutes heard nothing: the quarters taken in then are red.
        assert await deaf_day.locator("rect.spark-zero").count() >= 2
        red = await deaf_day.locator("rect.spark-zero").first.evaluate(
            "r => getComputedStyle(r).fill"
        )
        assert red == "rgb(179, 38, 30)"
        assert await well_day.locator("rect.spark-zero").count() == 0
        assert "最大 毎分 9.0 件" in (await well_day.locator("title").text_content() or "")
        await shot(page, "fleet", tmp_path)

        await page.click("#view-map")
        await page.wait_for_url("**/desk/fleet/map")
        fills = await page.locator("#fleet-map a").evaluate_all(
            "links => Object.fromEntries(links.map(a => [a.dataset.gateway,"
            " getComputedStyle(a.querySelector('circle')).fill]))"
        )
        assert fills == {
            "gw-a": "rgb(106, 27, 154)",  # deaf
            "gw-b": "rgb(30, 123, 52)",  # well
            "gw-home": "rgb(30, 123, 52)",
        }
        labels = await page.locator("#fleet-map text.fleet-label").all_text_contents()
        assert labels == ["大山 自販機"]  # only the deaf one is named
        legend = await page.locator("#fleet-legend").inner_text()
        assert "受信機が受信していない 1" in legend and "正常 2" in legend
        await page.evaluate("document.getElementById('fleet-legend').scrollIntoView()")
        await shot(page, "fleet-map", tmp_path)

        await page.click('#fleet-filter a[data-only="receiver_deaf"]')
        await page.wait_for_url("**/desk/fleet/map?only=receiver_deaf")
        assert await page.locator("#fleet-map a").count() == 1
        await page.click("#view-list")
        await page.wait_for_url("**/desk/fleet?only=receiver_deaf")
        assert await page.locator("#fleet tbody tr").count() == 1
        await page.goto(f"{hub.url}/desk/fleet/map")
        await page.locator('#fleet-map a[data-gateway="gw-a"] circle').click()
        await page.wait_for_url("**/desk/watch-points/gw-a")
        await context.close()
