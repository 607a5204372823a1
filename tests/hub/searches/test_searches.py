"""Searches on a real hub: start, the retained order for gateways, the trail, the end,
expiry, and shared links for the police (used, expired, revoked)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.protocol import EventKind, format_ts
from tests.hub.helpers import (
    TAG_TSURU,
    Gateway,
    HubClock,
    RunningHub,
    publishing_gateway,
    retained_orders,
    running_hub,
)

MS = timedelta(milliseconds=1)


async def eventually(check: Any, within: float = 10.0) -> Any:
    async with asyncio.timeout(within):
        while True:
            if result := await check():
                return result
            await asyncio.sleep(0.05)


async def start(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/searches", json={"person_id": "p-tsuru", **body})
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


async def test_a_family_starts_a_search_and_every_gateway_is_told_which_tag(
    hub: RunningHub,
) -> None:
    async with hub.client(await hub.token()) as family, retained_orders(hub.broker) as orders:
        search = await start(family)
        assert search["state"] == "active" and search["person_name"] == "比嘉 ツル"
        assert [p["role"] for p in search["participants"]] == ["family"]

        async def told() -> Any:
            return orders.get(search["id"])

        order = json.loads(await eventually(told))
        # The tag and the end, and nothing about the person.
        assert order == {"v": 1, "id": search["id"], "tags": [TAG_TSURU], "until": order["until"]}
        assert order["until"] == search["expires_at"]

        again = await family.post("/api/v1/searches", json={"person_id": "p-tsuru"})
        assert again.status_code == 409 and search["id"] in again.text

        listed = (await family.get("/api/v1/searches")).json()
        assert [s["id"] for s in listed] == [search["id"]]

    async with hub.client(await hub.token(family="f-miyagi")) as stranger:
        refused = await stranger.post("/api/v1/searches", json={"person_id": "p-tsuru"})
        assert refused.status_code == 404
        assert (await stranger.get(f"/api/v1/searches/{search['id']}")).status_code == 404
        assert (await stranger.get("/api/v1/searches")).json() == []


async def test_the_trail_starts_from_the_last_place_before_and_shows_the_direction(
    hub: RunningHub, gateway: Gateway
) -> None:
    before = datetime.now(UTC) - timedelta(minutes=30)
    await hub.until_stored(await gateway.send(EventKind.TAG_LEFT, TAG_TSURU, before))
    async with hub.client(await hub.token()) as family:
        search = await start(family)
        assert search["last_before"]["gateway_id"] == "gw-a"
        assert search["sightings"] == [] and search["direction"] is None
        async with publishing_gateway(hub.broker, "gw-b") as north:
            await hub.until_stored(await north.send(EventKind.TAG_SEEN, TAG_TSURU, search="x"))
        found = (await family.get(f"/api/v1/searches/{search['id']}")).json()
    assert [p["gateway_id"] for p in found["sightings"]] == ["gw-b"]
    direction = found["direction"]
    # gw-b stands about 300 m north-north-east of gw-a.
    assert direction["from_gateway"] == "大山 自販機"
    assert direction["to_gateway"] == "市役所前 自販機"
    assert direction["compass"] == "NE" or direction["compass"] == "N"
    assert 250 < direction["distance_m"] < 400


async def test_found_ends_the_search_and_clears_the_order(hub: RunningHub) -> None:
    async with hub.client(await hub.token()) as family, retained_orders(hub.broker) as orders:
        search = await start(family)

        async def told() -> Any:
            return orders.get(search["id"])

        await eventually(told)
        made = await family.post(
            f"/api/v1/searches/{search['id']}/shares", json={"label": "宜野湾署"}
        )
        token = made.json()["url"].rsplit("/", 1)[1]
        closed = await family.post(
            f"/api/v1/searches/{search['id']}/close", json={"outcome": "found", "note": "公園で"}
        )
        assert closed.status_code == 200, closed.text
        assert closed.json()["state"] == "found" and closed.json()["note"] == "公園で"

        async def cleared() -> bool:
            return orders.get(search["id"]) == b""

        await eventually(cleared)
        # Found: the police's link shows nothing more, and says why.
        async with hub.client() as police:
            gone = await police.get(f"/api/v1/shared/{token}")
            assert gone.status_code == 410 and "ended" in gone.text
            page = await police.get(f"/s/{token}")
            assert page.status_code == 410 and "終了しました" in page.text
        listed = (await family.get(f"/api/v1/searches/{search['id']}/shares")).json()
        assert [s["state"] for s in listed] == ["ended"]
        again = await family.post(
            f"/api/v1/searches/{search['id']}/close", json={"outcome": "found"}
        )
        assert again.status_code == 409
        assert (await family.post(f"/api/v1/searches/{search['id']}/join")).status_code == 409
    # A gateway that connects now is told nothing: the empty retained message is gone.
    async with retained_orders(hub.broker) as late:
        await asyncio.sleep(0.5)
        assert search["id"] not in late


async def test_a_search_runs_out_by_itself_when_the_hubs_clock_reaches_its_end(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    clock = HubClock()  # 2031: a search that ran out by the wall clock would never end
    async with (
        running_hub(own_broker, tmp_path, clock=clock) as hub,
        hub.client(await hub.token()) as family,
        retained_orders(hub.broker) as orders,
    ):
        search = await start(family, hours=2)
        assert search["expires_at"] == format_ts(clock() + timedelta(hours=2))

        async def state() -> str:
            return str((await family.get(f"/api/v1/searches/{search['id']}")).json()["state"])

        clock.advance(timedelta(hours=2) - MS)
        assert await state() == "active"
        await hub.state.searches.step(hub.state.ingest.link)  # what the loop does every 2 s
        assert await state() == "active"
        clock.advance(MS)

        async def ended() -> Any:
            body = (await family.get(f"/api/v1/searches/{search['id']}")).json()
            return body if body["state"] == "expired" else None

        body = await eventually(ended)  # the hub's own loop, on its clock
        assert body["ended_by"] == "hub" and body["ended_at"] == search["expires_at"]

        async def cleared() -> bool:
            return orders.get(search["id"]) == b""

        await eventually(cleared)
        assert (await family.get("/api/v1/searches")).json() == []
        assert len((await family.get("/api/v1/searches?state=all")).json()) == 1


async def test_staff_join_and_are_listed_as_searching(hub: RunningHub) -> None:
    async with hub.client(await hub.token()) as family:
        search = await start(family)
    staff_token = await hub.account("center", "staff")
    async with hub.client(staff_token) as staff:
        joined = await staff.post(f"/api/v1/searches/{search['id']}/join")
        assert joined.status_code == 200
        assert [(p["who"], p["role"]) for p in joined.json()["participants"]] == [
            ("test", "family"),
            ("center さん", "staff"),
        ]


async def test_a_shared_link_shows_the_search_until_it_is_revoked(hub: RunningHub) -> None:
    admin = await hub.token("admin")
    async with hub.client(await hub.token()) as family:
        search = await start(family)
        made = await family.post(
            f"/api/v1/searches/{search['id']}/shares", json={"label": "宜野湾署", "hours": 6}
        )
        assert made.status_code == 201, made.text
        share = made.json()
        assert share["url"].startswith(f"{hub.url}/s/")
        token = share["url"].rsplit("/", 1)[1]

        async with hub.client() as police:  # no account at all
            seen = await police.get(f"/api/v1/shared/{token}")
            assert seen.status_code == 200
            assert seen.json()["id"] == search["id"] and seen.json()["participants"] == []
            page = await police.get(f"/s/{token}")
            assert page.status_code == 200 and "search.js" in page.text

            listed = (await family.get(f"/api/v1/searches/{search['id']}/shares")).json()
            assert [(s["label"], s["views"], s["state"]) for s in listed] == [
                ("宜野湾署", 1, "active")
            ]
            revoked = await family.post(
                f"/api/v1/searches/{search['id']}/shares/{share['id']}/revoke"
            )
            assert revoked.json()["state"] == "revoked"
            gone = await police.get(f"/api/v1/shared/{token}")
            assert gone.status_code == 410 and "revoked" in gone.text
            page = await police.get(f"/s/{token}")
            assert page.status_code == 410 and "比嘉" not in page.text
            assert (await police.get("/api/v1/shared/not-a-token")).status_code == 404

    async with hub.client(admin) as root:
        audit = (await root.get("/api/v1/audit")).json()
    views = [e for e in audit if e["role"] == "share"]
    assert [(e["action"], e["subject"]) for e in views] == [
        ("view.search", f"search:{search['id']}")
    ]
    assert views[0]["who"] == f"share:{share['id']} 宜野湾署"


async def test_a_shared_link_expires_exactly_at_its_time_with_a_clear_page_and_no_data(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    clock = HubClock()  # 2031: a link judged by the wall clock would never expire
    async with (
        running_hub(own_broker, tmp_path, clock=clock) as hub,
        hub.client(await hub.token()) as family,
        hub.client() as volunteer,
    ):
        search = await start(family, hours=24)
        made = await family.post(
            f"/api/v1/searches/{search['id']}/shares", json={"label": "消防団", "hours": 1}
        )
        assert made.json()["expires_at"] == format_ts(clock() + timedelta(hours=1))
        token = made.json()["url"].rsplit("/", 1)[1]
        clock.advance(timedelta(hours=1) - MS)
        assert (await volunteer.get(f"/api/v1/shared/{token}")).status_code == 200
        clock.advance(MS)
        gone = await volunteer.get(f"/api/v1/shared/{token}")
        assert gone.status_code == 410 and "expired" in gone.text
        page = await volunteer.get(f"/s/{token}")
        assert page.status_code == 410
        assert "有効期限" in page.text and "比嘉" not in page.text
        listed = (await family.get(f"/api/v1/searches/{search['id']}/shares")).json()
        assert [s["state"] for s in listed] == ["expired"]


async def test_the_live_stream_of_a_search_brings_each_sighting_with_the_direction(
    hub: RunningHub, gateway: Gateway
) -> None:
    async with hub.client(await hub.token()) as family:
        search = await start(family)
        await hub.until_stored(await gateway.send(EventKind.TAG_SEEN, TAG_TSURU, search="x"))
        received: list[dict[str, Any]] = []

        async def listen() -> None:
            async with family.stream("GET", f"/api/v1/searches/{search['id']}/live") as stream:
                async for line in stream.aiter_lines():
                    if line.startswith("data:"):
                        received.append(json.loads(line.removeprefix("data:")))
                        return

        listener = asyncio.create_task(listen())
        async with asyncio.timeout(10):
            while hub.state.live.viewers("p-tsuru") == 0:
                await asyncio.sleep(0.02)
        async with publishing_gateway(hub.broker, "gw-b") as north:
            await north.send(EventKind.TAG_SEEN, TAG_TSURU, search="x")
        await asyncio.wait_for(listener, 10)
    [message] = received
    assert message["point"]["gateway_id"] == "gw-b"
    assert message["direction"]["from_gateway"] == "大山 自販機"
