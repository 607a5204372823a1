"""Notices about people out and about, on a real hub with a real webhook: sightings for
the people searching (throttled per gateway), the usual area and hours, and opted-in
"went out / came home"."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.protocol import EventKind
from tests.hub.helpers import TAG_KAMA, TAG_TSURU, publishing_gateway, running_hub, until
from tests.hub.receivers import Hook, webhook


def with_higa_contact(channels: Path) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        doc["recipients"].append(
            {"id": "r-higa", "name": "比嘉 進", "family": "f-higa", "channels_file": str(channels)}
        )

    return edit


@pytest.fixture
async def hook() -> AsyncIterator[Hook]:
    async with webhook() as running:
        yield running


async def messages(hook: Hook, count: int) -> list[dict[str, Any]]:
    async def enough() -> bool:
        return len(hook.requests) >= count

    await until(enough)
    return [body for _headers, body in hook.requests]


async def test_the_people_searching_hear_of_each_new_place_once_per_window(
    own_broker: PrivateBroker, tmp_path: Path, hook: Hook
) -> None:
    channels = tmp_path / "higa.channels"
    channels.write_text(hook.url + "\n")
    async with running_hub(own_broker, tmp_path, with_higa_contact(channels)) as hub:
        async with hub.client(await hub.token()) as family:
            search = (await family.post("/api/v1/searches", json={"person_id": "p-tsuru"})).json()
        [started] = await messages(hook, 1)  # the search's start (search_updates)
        now = datetime.now(UTC)
        async with (
            publishing_gateway(own_broker, "gw-a") as south,
            publishing_gateway(own_broker, "gw-b") as north,
        ):
            await hub.until_stored(await south.send(EventKind.TAG_SEEN, TAG_TSURU, now))
            [_, first] = await messages(hook, 2)
            # The same place a minute later: the family already knows.
            later = now + timedelta(minutes=1)
            await hub.until_stored(await south.send(EventKind.TAG_SEEN, TAG_TSURU, later))
            await hub.until_stored(await north.send(EventKind.TAG_SEEN, TAG_TSURU, later))
            _, first, second = await messages(hook, 3)
    assert "比嘉 ツルさんの捜索が始まりました" in started["title"]
    assert "大山 自販機" in first["title"] and "比嘉 ツル" in first["title"]
    assert f"{hub.url}/searches/{search['id']}" in first["message"]
    assert "市役所前 自販機" in second["title"]
    assert len(hook.requests) == 3


async def test_a_sighting_outside_the_usual_area_raises_an_alert_that_closes_by_itself(
    own_broker: PrivateBroker, tmp_path: Path, hook: Hook
) -> None:
    (tmp_path / "miyagi.channels").write_text(hook.url + "\n")

    def edit(doc: dict[str, Any]) -> None:
        doc["people"][0]["usual_area"] = {"gateways": ["gw-a"]}  # 比嘉 ツル

    async with (
        running_hub(own_broker, tmp_path, edit) as hub,
        publishing_gateway(own_broker, "gw-a") as usual,
        publishing_gateway(own_broker, "gw-b") as elsewhere,
    ):
        await hub.until_stored(await usual.send(EventKind.TAG_ARRIVED, TAG_TSURU))
        await hub.until_stored(await elsewhere.send(EventKind.TAG_ARRIVED, TAG_TSURU))
        [told] = await messages(hook, 1)
        async with hub.client(await hub.token()) as higa:

            async def raised() -> Any:
                return (await higa.get("/api/v1/alerts")).json()

            [alert] = await until(raised)
            assert alert["kind"] == "outside_area" and alert["subject"] == "person:p-tsuru"
            assert alert["detail"]["gateway_name"] == "市役所前 自販機"
        async with hub.client(await hub.token(family="f-miyagi")) as miyagi:
            assert (await miyagi.get("/api/v1/alerts")).json() == []
        await hub.until_stored(await usual.send(EventKind.TAG_SEEN, TAG_TSURU))

        async def closed() -> Any:
            found = await hub.state.store.alert(alert["id"])
            return found if found and found.state == "resolved" else None

        resolved = await until(closed)
    assert "いつもの範囲の外" in told["title"] and "比嘉 ツル" in told["title"]
    assert "/map?person=p-tsuru" in told["message"]
    assert resolved.resolve_note == "seen inside the usual area"


async def test_being_out_at_an_unusual_hour_raises_an_alert(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    local = datetime.now(ZoneInfo("Asia/Tokyo"))
    hours = "13:00-14:00" if local.hour < 12 else "01:00-02:00"  # never now

    def edit(doc: dict[str, Any]) -> None:
        doc["people"][0]["usual_area"] = {"hours": hours}

    async with running_hub(own_broker, tmp_path, edit) as hub:
        async with publishing_gateway(own_broker, "gw-a") as gw:
            await hub.until_stored(await gw.send(EventKind.TAG_ARRIVED, TAG_TSURU))
        async with hub.client(await hub.token()) as higa:

            async def raised() -> Any:
                return (await higa.get("/api/v1/alerts")).json()

            [alert] = await until(raised)
    assert alert["kind"] == "unusual_hour"


async def test_a_family_that_opted_in_hears_went_out_and_came_home(
    own_broker: PrivateBroker, tmp_path: Path, hook: Hook
) -> None:
    (tmp_path / "miyagi.channels").write_text(hook.url + "\n")

    def edit(doc: dict[str, Any]) -> None:
        doc["people"][1]["outings"] = {"gateways": ["gw-home"], "notify": ["r-miyagi"]}

    async with (
        running_hub(own_broker, tmp_path, edit) as hub,
        publishing_gateway(own_broker, "gw-home") as home,
    ):
        now = datetime.now(UTC)
        await hub.until_stored(await home.send(EventKind.TAG_LEFT, TAG_KAMA, now))
        await hub.until_stored(
            await home.send(EventKind.TAG_ARRIVED, TAG_KAMA, now + timedelta(hours=1))
        )
        out, back = await messages(hook, 2)
    assert "宮城 カマ" in out["title"] and "外出しました" in out["title"]
    assert "帰宅しました" in back["title"]
