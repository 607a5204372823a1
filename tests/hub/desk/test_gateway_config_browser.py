"""The config editor in a real headless Chromium (issue 20): a technician goes from the
fleet page to a gateway's config, types a mistake and sees it at its line and column
with what was typed still in the box, fixes it and saves; the command goes out."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser

from mimamori.check import check_file
from mimamori.demo.mosquitto import PrivateBroker
from mimamori.protocol import GatewayStatus
from mimamori.protocol.commands import ConfigCommand, decode_command
from tests.hub.desk.shots import VIEWPORT
from tests.hub.desk.test_desk_gateway_config import commands_to, gateway_yaml
from tests.hub.helpers import running_hub
from tests.hub.web.browser import sign_in_as_staff

pytestmark = pytest.mark.browser


# The page's queries run on both engines in test_desk_gateway_config.py.
@pytest.mark.sqlite_only
async def test_a_technician_fixes_a_mistake_shown_at_its_line_and_sends_the_config(
    broker: PrivateBroker, browser: Browser, tmp_path: Path
) -> None:
    async with running_hub(broker, tmp_path) as hub, commands_to(broker, "gw-a") as heard:
        now = hub.state.clock()
        await hub.state.store.ingest([], [GatewayStatus(gw="gw-a", state="online", ts=now)], now)
        await hub.account("root", "admin")
        context = await browser.new_context(viewport=VIEWPORT, locale="ja-JP")
        page = await sign_in_as_staff(hub, context, "root")
        await page.goto(f"{hub.url}/desk/fleet")
        await page.click('tr[data-gateway="gw-a"] a.fleet-config')
        await page.wait_for_url("**/desk/fleet/gw-a/config")
        assert await page.locator("#config-empty").is_visible()

        good = gateway_yaml()
        typo = good.replace("driver: serial_line", "driver: serial_lien")
        await page.fill("#config-yaml", typo)
        await page.click("#config-save")
        problems = page.locator("#config-problems li")
        await problems.first.wait_for()
        said = await problems.first.inner_text()
        # where `mimamori check` puts it for the same file
        (tmp_path / "gateway.yaml").write_text(typo)
        [checked] = check_file(tmp_path / "gateway.yaml")
        assert said.startswith(f"{checked.line}:{checked.column} receivers[0]:"), said
        assert "serial_lien" in await page.input_value("#config-yaml")  # kept as typed
        assert heard.messages == []

        await page.fill("#config-yaml", good)
        await page.click("#config-save")
        await page.locator('#config-saved[data-sent="yes"]').wait_for()
        assert "版 1" in await page.locator("#config-saved").inner_text()
        row = page.locator('#config-history tr[data-version="1"]')
        assert await row.get_attribute("data-state") == "sent"
        await heard.wait_for(lambda: heard.messages)
        command = decode_command(heard.messages[0].payload)
        assert isinstance(command, ConfigCommand) and command.yaml == good
        await context.close()
