"""What the browser tests of the pages share."""

from __future__ import annotations

from playwright.async_api import BrowserContext, Page

from tests.hub.helpers import PASSWORD, RunningHub


async def sign_in_as_staff(hub: RunningHub, context: BrowserContext, user: str = "higa") -> Page:
    """The password form, as a person fills it; lands on the dashboard."""
    page = await context.new_page()
    await page.goto(f"{hub.url}/login")
    await page.fill("input[name=user]", user)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login")
    await page.wait_for_url("**/dashboard")
    return page
