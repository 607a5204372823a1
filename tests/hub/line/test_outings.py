"""Notices beside alerts in LINE: a family contact bound to LINE hears "went out /
came home" and a search's sightings there (LINE is one of the queue's channels, as for
alerts), with a one-time, short-lived link that signs the family in."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.model.alerts import LINE_CHANNEL
from mimamori.protocol import EventKind
from tests.hub.helpers import TAG_KAMA, TAG_TSURU, publishing_gateway, running_hub
from tests.hub.line.conftest import delivered, with_line
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
        [n] = await delivered(hub, 1)
    assert n["channel"] == LINE_CHANNEL and n["state"] == "sent"


async def test_a_family_bound_to_line_hears_a_searchs_sighting_there(
    own_broker: PrivateBroker, tmp_path: Path, line: LocalLine
) -> None:
    add_line = with_line(tmp_path, line)
    (tmp_path / "higa.channels").write_text("")  # LINE is this contact's only way

    def edit(doc: dict[str, Any]) -> None:
        add_line(doc)
        doc["recipients"].append({"id": "r-higa", "name": "比嘉 進", "family": "f-higa",
                                  "channels_file": str(tmp_path / "higa.channels")})  # fmt: skip

    async with running_hub(own_broker, tmp_path, edit) as hub:
        user = await bind(hub.state.store, hub.clock(), "r-higa")
        async with hub.client(await hub.token()) as family:
            search = (await family.post("/api/v1/searches", json={"person_id": "p-tsuru"})).json()
        await pushed(line, 1)  # the search's start (searches/updates.py)
        async with publishing_gateway(own_broker, "gw-a") as south:
            await hub.until_stored(
                await south.send(EventKind.TAG_SEEN, TAG_TSURU, datetime.now(UTC))
            )
            [_, push] = await pushed(line, 2)
        [_, n] = await delivered(hub, 2)
    assert push.to == user and "比嘉 ツル" in push.text and "大山 自販機" in push.text
    assert f"{hub.url}/searches/{search['id']}" in push.text
    assert re.search(r"/signin\?token=\S+", push.text) is not None
    assert n["channel"] == LINE_CHANNEL and n["state"] == "sent"
