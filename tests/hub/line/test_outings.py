"""Notices beside alerts in LINE: a family contact bound to LINE hears "went out /
came home" there (LINE is one of the queue's channels, as for alerts), with a one-time,
short-lived link that signs the family in."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.model.alerts import LINE_CHANNEL
from mimamori.protocol import EventKind
from tests.hub.helpers import TAG_KAMA, publishing_gateway, running_hub
from tests.hub.line.conftest import with_line
from tests.hub.line.test_checkin import bind, pushed
from tests.line_server import LocalLine


async def test_a_family_bound_to_line_hears_went_out_there_with_a_one_time_signin_link(
    own_broker: PrivateBroker, tmp_path: Path, line: LocalLine
) -> None:
    add_line = with_line(tmp_path, line)

    def edit(doc: dict[str, Any]) -> None:
        add_line(doc)
        doc["recipients"][0]["family"] = "f-miyagi"
        kama = next(p for p in doc["people"] if p["id"] == "p-kama")
        kama["outings"] = {"gateways": ["gw-home"], "notify": ["r-miyagi"]}

    async with (
        running_hub(own_broker, tmp_path, edit) as hub,
        publishing_gateway(own_broker, "gw-home") as home,
    ):
        user = await bind(hub.state.store, hub.clock(), "r-miyagi")
        await hub.until_stored(await home.send(EventKind.TAG_LEFT, TAG_KAMA, hub.clock()))
        [push] = await pushed(line, 1)
        assert push.to == user and "宮城 カマ" in push.text and "外出しました" in push.text
        found = re.search(r"/signin\?token=\S+", push.text)
        assert found is not None and "1回だけ" in push.text
        async with httpx.AsyncClient(base_url=hub.url, timeout=10) as browser:
            first = await browser.get(found.group(0))
            assert first.status_code == 303 and first.headers["location"].startswith("/map")
            again = await browser.get(found.group(0))
            assert again.status_code == 410  # used: a forwarded chat signs nobody in
        [n] = await hub.state.store.notification_log()
    assert n["channel"] == LINE_CHANNEL and n["state"] == "sent"
