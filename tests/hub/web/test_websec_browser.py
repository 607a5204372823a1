"""The hub's pages under attack in a real headless Chromium: a gateway whose name is
HTML, and a page on another port of the same host that tries to act for the
signed-in staff member (docs/security.md)."""

from __future__ import annotations

import asyncio
import html
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.async_api import Browser, Page
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from mimamori.demo.mosquitto import PrivateBroker, free_port
from mimamori.protocol import EventKind
from tests.hub.helpers import (
    TAG_TSURU,
    Gateway,
    RunningHub,
    _serve,
    open_alert,
    running_hub,
    search_and_share,
    until,
)
from tests.hub.web.browser import sign_in_as_staff

pytestmark = pytest.mark.browser

# Counts its own runs: a script that ran leaves a number behind.
PAYLOAD = '<img src="x" onerror="window.__xss = (window.__xss || 0) + 1"><b>大山</b>'
# Collects what the Content Security Policy refused, so a page the policy breaks fails.
WATCH_CSP = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


@pytest.fixture
async def html_named_hub(own_broker: PrivateBroker, tmp_path: Path) -> AsyncIterator[RunningHub]:
    def rename(doc: dict[str, Any]) -> None:
        doc["gateways"][0]["name"] = PAYLOAD  # gw-a, as a careless or hostile config has it

    async with running_hub(own_broker, tmp_path, rename) as hub:
        yield hub


async def tooltips(page: Page) -> list[str]:
    """Hover every marker of the map (as a pointer would) and read its tooltip."""
    markers = page.locator("path.leaflet-interactive")
    await markers.first.wait_for(state="attached", timeout=10_000)
    for i in range(await markers.count()):
        await markers.nth(i).dispatch_event("mouseover")
    return [t.strip() for t in await page.locator(".leaflet-tooltip").all_text_contents()]


async def assert_nothing_ran(page: Page) -> None:
    assert await page.evaluate("window.__xss") is None
    assert await page.locator("img[src='x']").count() == 0
    assert await page.evaluate("window.__violations") == []


async def test_a_gateway_named_like_html_shows_as_text_on_the_map_search_and_shared_pages(
    html_named_hub: RunningHub, browser: Browser
) -> None:
    hub = html_named_hub
    async with asyncio.timeout(60):
        family = await browser.new_context(locale="ja-JP")
        await family.add_init_script(WATCH_CSP)
        page = await family.new_page()
        await page.goto(await hub.signin_link())
        await page.locator("#gateways li").first.wait_for(timeout=10_000)
        assert PAYLOAD in await page.locator("#gateways").inner_text()
        assert PAYLOAD in await tooltips(page)
        await assert_nothing_ran(page)

        search_id, _, shared = await search_and_share(hub, await hub.token())
        await page.goto(f"{hub.url}/searches/{search_id}")
        await page.locator("#search-head .place").wait_for(timeout=10_000)
        assert PAYLOAD in await tooltips(page)
        await assert_nothing_ran(page)

        police = await browser.new_context(locale="ja-JP")  # no account: the shared link
        await police.add_init_script(WATCH_CSP)
        shared_page = await police.new_page()
        await shared_page.goto(shared)
        await shared_page.locator("#search-head .place").wait_for(timeout=10_000)
        assert PAYLOAD in await tooltips(shared_page)
        await assert_nothing_ran(shared_page)


def attacker_page(hub: RunningHub, alert_id: int, search_id: str, share_id: int) -> str:
    """What a page elsewhere on the same host serves: forms aimed at the hub."""
    targets = {
        "ack": f"/dashboard/alerts/{alert_id}/ack",
        "resolve": f"/api/v1/alerts/{alert_id}/resolve",
        "join": f"/api/v1/searches/{search_id}/join",
        "revoke": f"/api/v1/searches/{search_id}/shares/{share_id}/revoke",
        "signout": "/signout",
    }
    forms = "".join(
        f'<form id="{name}" method="post" action="{html.escape(hub.url + path)}">'
        f'<input name="note" value="forged"><button type="submit">{name}</button></form>'
        for name, path in targets.items()
    )
    return f"<!doctype html><html><body><h1>特売のお知らせ</h1>{forms}</body></html>"


@asynccontextmanager
async def page_elsewhere(body: str) -> AsyncIterator[str]:
    """A web server on another port of 127.0.0.1: the same site, another origin."""
    port = free_port()

    async def index(_: Any) -> HTMLResponse:
        return HTMLResponse(body)

    app = Starlette(routes=[Route("/", index)])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(_serve(server))
    async with asyncio.timeout(10):
        while not server.started:
            await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def test_a_page_on_another_port_cannot_act_for_the_signed_in_staff_member(
    hub: RunningHub, home_gateway: Gateway, browser: Browser
) -> None:
    alert_id = await open_alert(hub, home_gateway)
    await hub.account("higa", "staff")
    staff_token = await hub.account("center", "staff")
    search_id, share_id, _ = await search_and_share(hub, staff_token)
    store = hub.state.store
    joined = await store.participants(search_id)
    context = await browser.new_context(locale="ja-JP")
    dashboard = await sign_in_as_staff(hub, context)

    async with page_elsewhere(attacker_page(hub, alert_id, search_id, share_id)) as elsewhere:
        lure = await context.new_page()
        for form in ("ack", "resolve", "join", "revoke", "signout"):
            await lure.goto(elsewhere)
            async with lure.expect_navigation() as navigation:
                await lure.click(f"#{form} button")
            response = await navigation.value
            assert response is not None and response.status == 403, form
        await lure.goto(elsewhere)  # and by script, the way a page would do it unseen
        # (the answer is opaque to it, or blocked by Cross-Origin-Resource-Policy)
        await lure.evaluate(
            """url => fetch(url, {method: "POST", credentials: "include", mode: "no-cors"})
                .then(() => "opaque", () => "blocked")""",
            f"{hub.url}/api/v1/alerts/{alert_id}/ack",
        )

    alert = await store.alert(alert_id)
    assert alert is not None and alert.state == "open" and alert.acked_by is None
    assert await store.participants(search_id) == joined
    assert all(s.revoked_at is None for s in await store.shares(search_id))

    # Still signed in, and the hub's own form works as before.
    await dashboard.reload()
    row = dashboard.locator(f"#alerts tr[data-alert='{alert_id}']")
    await row.locator("input[name=note]").first.fill("電話で無事を確認")
    await row.locator("button.ack").click()
    await dashboard.wait_for_url("**/dashboard")

    async def acknowledged() -> bool:
        found = await store.alert(alert_id)
        return found is not None and found.state == "acknowledged"

    await until(acknowledged)
    # Signing out is the hub's own button.
    await dashboard.click("#sign-out")
    await dashboard.locator("main.message h2").filter(has_text="サインアウトしました").wait_for()
    await dashboard.goto(f"{hub.url}/dashboard")
    assert "サインインが必要です" in await dashboard.locator("main").inner_text()
    await context.close()


async def test_the_pages_run_under_the_content_security_policy(
    hub: RunningHub, gateway: Gateway, browser: Browser
) -> None:
    """Nothing a page needs is refused by the policy: the map, live, and the others."""
    await hub.until_stored(await gateway.send(EventKind.TAG_ARRIVED, TAG_TSURU, rssi=-60))
    context = await browser.new_context(locale="ja-JP")
    await context.add_init_script(WATCH_CSP)
    page = await context.new_page()
    await page.goto(await hub.signin_link())
    await page.locator("#live.on").wait_for(timeout=10_000)
    assert await page.evaluate("window.mimamori.marker().lat") == pytest.approx(26.279)
    assert await page.evaluate("window.__violations") == []
    for path in ("/households", "/dashboard", "/signout", "/login"):
        await page.goto(hub.url + path)
        assert await page.evaluate("window.__violations") == [], path
    await context.close()
