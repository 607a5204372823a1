"""The REST API on a real hub: real uvicorn, real SQLite, events through real MQTT."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import httpx

from mimamori.protocol import EventKind, format_ts
from tests.hub.helpers import (
    TAG_KAMA,
    TAG_KAMA_SPARE,
    TAG_TSURU,
    Gateway,
    RunningHub,
    api_operations,
    concrete,
)

API_ROUTES_WITH_PERSON = ["location", "trail", "live"]


def api_routes(hub: RunningHub) -> list[str]:
    """Every /api/v1 route the app publishes in its OpenAPI (new routes are walked too)."""
    return [path for path in hub.app.openapi()["paths"] if path.startswith("/api/v1")]


PUBLIC = "/api/v1/shared/"  # a shared link's token is its own credential
ENROLL = "/api/v1/enroll"  # a gateway's one-time code is its credential (docs/install-pi.md)


async def test_every_api_route_refuses_a_stranger(hub: RunningHub) -> None:
    operations = api_operations(hub)
    assert ("POST", "/api/v1/alerts/{alert_id}/ack") in operations
    async with hub.client() as anonymous, hub.client("not-a-real-token") as forged:
        for method, path in operations:
            for client in (anonymous, forged):
                filled = concrete(path, search_id="s-1", share_id="1", token="made-up")
                response = await client.request(method, filled)
                if path.startswith(PUBLIC):
                    assert response.status_code == 404, (method, path)
                    continue
                if path == ENROLL:  # no code: nothing to trade
                    assert response.status_code == 422, (method, path)
                    continue
                assert response.status_code == 401, (method, path)
                # Peer hubs sign their requests (docs/searches.md#signed-requests).
                scheme = "Signature" if "/federation/" in path else "Bearer"
                assert response.headers["www-authenticate"] == scheme


async def test_family_a_can_never_see_family_b_on_any_person_route(hub: RunningHub) -> None:
    higa = await hub.token(family="f-higa")
    # The register's person routes are the care centre's: a family gets 403 on each
    # (tests/hub/api/test_register_api.py walks them).
    person_paths = [
        p for p in api_routes(hub) if "{person_id}" in p and not p.startswith("/api/v1/register/")
    ]
    assert sorted(p.rsplit("/", 1)[-1] for p in person_paths) == sorted(API_ROUTES_WITH_PERSON)
    async with hub.client(higa) as client:
        for path in person_paths:
            for other in ("p-kama", "p-nobody"):
                response = await client.get(path.replace("{person_id}", other))
                assert response.status_code == 404, path
                assert response.json() == {"detail": "no such person"}
        own = await client.get("/api/v1/people/p-tsuru/location")
        assert own.status_code == 200
        people = (await client.get("/api/v1/people")).json()
        assert people == [{"id": "p-tsuru", "name": "比嘉 ツル"}]


async def test_an_admin_sees_everyone(hub: RunningHub) -> None:
    async with hub.client(await hub.token(role="admin")) as client:
        people = (await client.get("/api/v1/people")).json()
        assert {p["id"] for p in people} == {"p-tsuru", "p-kama"}
        assert (await client.get("/api/v1/people/p-kama/trail")).status_code == 200


async def test_a_person_never_seen_has_a_location_of_nulls(hub: RunningHub) -> None:
    async with hub.client(await hub.token()) as client:
        body = (await client.get("/api/v1/people/p-tsuru/location")).json()
    assert body == {
        "person_id": "p-tsuru",
        "gateway_id": None,
        "gateway_name": None,
        "lat": None,
        "lon": None,
        "seen_at": None,
        "state": None,
    }


async def test_the_last_location_follows_events_through_mqtt(
    hub: RunningHub, gateway: Gateway
) -> None:
    t0 = datetime.now(UTC) - timedelta(minutes=5)
    await gateway.send(EventKind.TAG_ARRIVED, TAG_KAMA, t0, rssi=-70)
    last = await gateway.send(
        EventKind.TAG_LEFT,
        TAG_KAMA_SPARE,
        t0 + timedelta(minutes=2),
        last_seen=format_ts(t0 + timedelta(minutes=1)),
    )
    await hub.until_stored(last)
    async with hub.client(await hub.token(family="f-miyagi")) as client:
        body = (await client.get("/api/v1/people/p-kama/location")).json()
    assert body == {
        "person_id": "p-kama",
        "gateway_id": "gw-a",
        "gateway_name": "大山 自販機",
        "lat": 26.279,
        "lon": 127.776,
        "seen_at": format_ts(t0 + timedelta(minutes=1)),  # when last heard, not when it left
        "state": "left",
    }


async def test_the_trail_lists_sightings_in_order_within_the_range(
    hub: RunningHub, gateway: Gateway
) -> None:
    t0 = datetime.now(UTC) - timedelta(hours=30)
    ids = []
    for minutes, kind in [
        (0, EventKind.TAG_ARRIVED),
        (60 * 10, EventKind.TAG_SEEN),
        (60 * 20, EventKind.TAG_SEEN),
        (60 * 29, EventKind.TAG_LEFT),
    ]:
        ids.append(await gateway.send(kind, TAG_TSURU, t0 + timedelta(minutes=minutes)))
    await hub.until_stored(ids[-1])
    async with hub.client(await hub.token()) as client:
        default = (await client.get("/api/v1/people/p-tsuru/trail")).json()
        # the default range is the last 24 h: the arrival 30 h ago is out
        assert [p["kind"] for p in default["points"]] == ["tag.seen", "tag.seen", "tag.left"]
        params = {"since": format_ts(t0), "until": format_ts(datetime.now(UTC))}
        everything = (await client.get("/api/v1/people/p-tsuru/trail", params=params)).json()
        assert [p["kind"] for p in everything["points"]] == [
            "tag.arrived",
            "tag.seen",
            "tag.seen",
            "tag.left",
        ]
        assert everything["points"][0]["gateway_name"] == "大山 自販機"
        newest_two = (
            await client.get("/api/v1/people/p-tsuru/trail", params={**params, "limit": 2})
        ).json()
        assert [p["kind"] for p in newest_two["points"]] == ["tag.seen", "tag.left"]
        backwards = await client.get(
            "/api/v1/people/p-tsuru/trail",
            params={"since": params["until"], "until": params["since"]},
        )
        assert backwards.status_code == 422
        too_long = await client.get(
            "/api/v1/people/p-tsuru/trail",
            params={"since": format_ts(t0 - timedelta(days=40)), "until": params["until"]},
        )
        assert too_long.status_code == 422
        # The first day there is, minus a day, once answered 500 (found by schemathesis).
        ancient = await client.get(
            "/api/v1/people/p-tsuru/trail", params={"until": "0001-01-01T00:00:00Z"}
        )
        assert ancient.status_code == 422 and "2000" in ancient.text
        naive = await client.get(
            "/api/v1/people/p-tsuru/trail", params={"since": "2026-01-01T00:00"}
        )
        assert naive.status_code == 422


async def test_gateways_show_status_and_an_unregistered_gateway_is_not_lost(
    hub: RunningHub, gateway: Gateway
) -> None:
    await gateway.status("online")
    stranger = Gateway("gw-unlisted", gateway.link)
    last = await stranger.send(EventKind.TAG_SEEN, TAG_TSURU)
    await hub.until_stored(last)
    async with hub.client(await hub.token(role="admin")) as client:
        gateways = {g["id"]: g for g in (await client.get("/api/v1/gateways")).json()}
    assert gateways["gw-a"]["online"] is True
    assert gateways["gw-b"]["online"] is None  # registered, never heard from
    assert gateways["gw-unlisted"] == {
        "id": "gw-unlisted",
        "name": "gw-unlisted",
        "lat": None,
        "lon": None,
        "site": None,
        "online": None,
        "status_at": None,
        "last_event_at": gateways["gw-unlisted"]["last_event_at"],
    }
    assert gateways["gw-home"]["site"] == "home"


async def test_families_see_public_watch_points_and_only_their_own_home(
    hub: RunningHub, gateway: Gateway
) -> None:
    stranger = Gateway("gw-unlisted", gateway.link)
    await hub.until_stored(await stranger.send(EventKind.TAG_SEEN, TAG_TSURU))
    async with hub.client(await hub.token(family="f-higa")) as client:
        higa = [g["id"] for g in (await client.get("/api/v1/gateways")).json()]
    async with hub.client(await hub.token(family="f-miyagi")) as client:
        miyagi = [g["id"] for g in (await client.get("/api/v1/gateways")).json()]
    assert higa == ["gw-a", "gw-b"]  # not the Miyagi home, not an unregistered box
    assert miyagi == ["gw-a", "gw-b", "gw-home"]


async def test_the_live_stream_delivers_a_new_sighting(hub: RunningHub, gateway: Gateway) -> None:
    token = await hub.token()
    async with (
        hub.client(token) as client,
        client.stream("GET", "/api/v1/people/p-tsuru/live") as stream,
    ):
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        await _until_viewers(hub, "p-tsuru")
        await gateway.send(EventKind.TAG_ARRIVED, TAG_KAMA)  # someone else's: not sent here
        await gateway.send(EventKind.TAG_ARRIVED, TAG_TSURU, rssi=-66)
        event, data = await _next_sse(stream)
    assert event == "sighting"
    assert data["location"]["person_id"] == "p-tsuru"
    assert data["location"]["gateway_id"] == "gw-a"
    assert data["location"]["state"] == "here"
    assert data["point"]["kind"] == "tag.arrived"


async def test_bad_payloads_are_counted_and_the_next_good_event_still_arrives(
    hub: RunningHub, gateway: Gateway
) -> None:
    await gateway.raw(b"\x00\xff garbage")
    await gateway.raw(b'{"v":1,"gw":"gw-b","events":[{}]}')  # speaking for another gateway
    await gateway.raw(b"{}", topic="mimamori/v1/gw/gw-a/status")
    last = await gateway.send(EventKind.TAG_SEEN, TAG_TSURU)
    await hub.until_stored(last)
    async with hub.client() as client:
        health = (await client.get("/healthz")).json()
    assert health["status"] == "ok"
    assert health["ingest"]["payloads_rejected"] == 3
    assert health["ingest"]["rejected_not_json"] == 1
    assert health["ingest"]["rejected_gateway"] == 1
    assert health["ingest"]["rejected_status"] == 1


async def test_a_repeated_event_is_stored_once(hub: RunningHub, gateway: Gateway) -> None:
    from mimamori.protocol import EventDraft, encode_batch

    event = EventDraft(EventKind.TAG_SEEN, datetime.now(UTC), {"tag": TAG_TSURU, "receiver": "vm"})
    numbered = event.numbered("ab" * 16, 1)
    for _ in range(3):
        await gateway.raw(encode_batch("gw-a", [numbered]))
    await hub.until_stored("ab" * 16)
    ingest = hub.state.ingest
    assert ingest is not None
    async with asyncio.timeout(5):
        while ingest.counters["events_duplicate"] < 2:
            await asyncio.sleep(0.02)
    assert ingest.counters["events_stored"] == 1


async def test_healthz_is_public_and_holds_no_personal_data(hub: RunningHub) -> None:
    async with hub.client() as client:
        body = (await client.get("/healthz")).json()
    assert body["db"] == "ok" and body["broker"] == "connected"
    assert "p-tsuru" not in json.dumps(body) and "比嘉" not in json.dumps(body)


async def _until_viewers(hub: RunningHub, person: str) -> None:
    async with asyncio.timeout(5):
        while hub.state.live.viewers(person) == 0:
            await asyncio.sleep(0.01)


async def _next_sse(stream: httpx.Response) -> tuple[str, dict[str, object]]:
    event = ""
    async with asyncio.timeout(5):
        async for line in stream.aiter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event:
                return event, json.loads(line.split(":", 1)[1])
    raise AssertionError("the stream ended")


async def test_a_sighting_at_someone_elses_home_never_says_which_home(
    hub: RunningHub, gateway: Gateway
) -> None:
    # 比嘉 ツル walks past the Miyagi home, whose gateway also listens for tags.
    at_home = Gateway("gw-home", gateway.link)
    await hub.until_stored(await at_home.send(EventKind.TAG_ARRIVED, TAG_TSURU, rssi=-60))
    async with hub.client(await hub.token(family="f-higa")) as client:
        where = (await client.get("/api/v1/people/p-tsuru/location")).json()
        trail = (await client.get("/api/v1/people/p-tsuru/trail")).json()["points"]
    assert (where["gateway_id"], where["gateway_name"], where["lat"], where["lon"]) == (
        "private-home",
        "個人宅付近",
        None,
        None,
    )
    assert where["state"] == "here"  # the family still learns she was out and about
    assert [(p["gateway_id"], p["lat"]) for p in trail] == [("private-home", None)]
    async with hub.client(await hub.token(role="admin")) as client:
        where = (await client.get("/api/v1/people/p-tsuru/location")).json()
    assert (where["gateway_id"], where["lat"]) == ("gw-home", 26.28)


async def test_the_live_stream_masks_someone_elses_home_too(
    hub: RunningHub, gateway: Gateway
) -> None:
    async with (
        hub.client(await hub.token(family="f-higa")) as client,
        client.stream("GET", "/api/v1/people/p-tsuru/live") as stream,
    ):
        await _until_viewers(hub, "p-tsuru")
        await Gateway("gw-home", gateway.link).send(EventKind.TAG_ARRIVED, TAG_TSURU, rssi=-60)
        _event, data = await _next_sse(stream)
    assert data["location"]["gateway_id"] == data["point"]["gateway_id"] == "private-home"
    assert data["location"]["lat"] is None and data["point"]["lon"] is None
