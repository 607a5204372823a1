"""Two towns on one machine: two brokers, two hubs, a real gateway in the second town.
A search started in Ginowan reaches Urasoe's gateway; its sightings of the searched tag
come back to Ginowan's search, and nothing else crosses the border."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.edge.clock import SystemClock
from mimamori.edge.daemon import EdgeDaemon
from mimamori.protocol import EventKind, format_ts
from tests.edge.helpers import ScriptedReceiver, gateway_config
from tests.edge.test_daemon import running
from tests.hub.eid_helpers import TSURU, register, shown, with_eid
from tests.hub.helpers import (
    TAG_KAMA,
    TAG_TSURU,
    HubClock,
    dump,
    open_test_store,
    publishing_gateway,
    query,
    retained_orders,
    two_towns,
    until,
)

URASOE_TAGS = "SELECT tag FROM events WHERE gateway_id LIKE 'urasoe.%'"


@pytest.fixture
def urasoe_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateBroker]:
    with PrivateBroker(tmp_path_factory.mktemp("urasoe-broker")) as running_broker:
        yield running_broker


async def test_a_search_crosses_the_border_and_only_its_sightings_come_back(
    own_broker: PrivateBroker, urasoe_broker: PrivateBroker, tmp_path: Path
) -> None:
    gateway = gateway_config(
        "gw-u1",
        urasoe_broker.port,
        tmp_path / "gw-u1",
        tags={"allow": ["ibeacon:00000000-0000-0000-0000-000000000000:*"]},  # not Ginowan's
    )
    receiver = ScriptedReceiver("r1", SystemClock())
    async with (
        two_towns(own_broker, urasoe_broker, tmp_path) as (home_town, _),
        running(EdgeDaemon(gateway, drivers=[receiver])),
        retained_orders(urasoe_broker) as urasoe_orders,
    ):
        async with home_town.client(await home_town.token()) as family:
            search = (await family.post("/api/v1/searches", json={"person_id": "p-tsuru"})).json()
            relayed = f"ginowan.{search['id']}"

            async def told() -> Any:
                return urasoe_orders.get(relayed)

            await until(told)
            # She walks past Urasoe's vending machine; so does someone else.
            receiver.advert(TAG_KAMA, -60)
            receiver.advert(TAG_TSURU, -70)

            async def seen() -> Any:
                body = (await family.get(f"/api/v1/searches/{search['id']}")).json()
                return body["sightings"]

            points = await until(seen, within=15)
            # The search's own report, and (strong enough to count) the arrival.
            assert {p["kind"] for p in points} <= {"tag.seen", "tag.arrived"}
            for point in points:
                assert point["gateway_id"] == "urasoe.gw-u1"
                assert point["gateway_name"] == "浦添 公園前 自販機"
                assert (point["lat"], point["lon"]) == (26.246, 127.722)

            await family.post(f"/api/v1/searches/{search['id']}/close", json={"outcome": "found"})

            async def cleared() -> bool:
                return urasoe_orders.get(relayed) == b""

            await until(cleared)

        # A stranger claiming to be Urasoe is refused (signed requests: test_federation_limits).
        async with httpx.AsyncClient(base_url=home_town.url) as forger:
            refused = await forger.post(
                "/api/v1/federation/sightings",
                json={"search_id": search["id"], "sightings": []},
                headers={"Authorization": "Bearer guess", "X-Mimamori-Town": "urasoe"},
            )
            assert refused.status_code == 401
        await asyncio.sleep(0.5)

    # Ginowan learnt of Urasoe's sighting of her tag and of nothing else.
    tags = {row[0] for row in await query(tmp_path / "a", URASOE_TAGS)}
    assert tags == {TAG_TSURU}
    # Urasoe kept the tags and the window, never who is searched for.
    [(origin, kept)] = await query(tmp_path / "b", "SELECT origin, tags FROM foreign_searches")
    everything = await dump(tmp_path / "b")
    assert origin == "ginowan" and TAG_TSURU in kept
    assert "比嘉" not in everything and "p-tsuru" not in everything


async def test_two_towns_on_the_hubs_clock_relay_a_search_and_its_sightings(
    own_broker: PrivateBroker, urasoe_broker: PrivateBroker, tmp_path: Path
) -> None:
    """Both hubs in 2031, years from the wall clock: the relay signs with its hub's
    clock and the peer judges the signature, the times and its nonces by its own. A
    relay that signed by the wall clock would be refused as a broken clock."""
    clock = HubClock()
    async with (
        two_towns(own_broker, urasoe_broker, tmp_path, clock=clock) as (home_town, _),
        retained_orders(urasoe_broker) as urasoe_orders,
        publishing_gateway(urasoe_broker, "gw-u1") as vending_machine,
        home_town.client(await home_town.token()) as family,
    ):
        search = (await family.post("/api/v1/searches", json={"person_id": "p-tsuru"})).json()
        relayed = f"ginowan.{search['id']}"

        async def told() -> Any:
            return urasoe_orders.get(relayed)

        order = json.loads(await until(told))
        assert order["until"] == search["expires_at"]
        await vending_machine.send(EventKind.TAG_SEEN, TAG_TSURU, clock(), rssi=-70)

        async def seen() -> Any:
            body = (await family.get(f"/api/v1/searches/{search['id']}")).json()
            return body["sightings"]

        [point] = await until(seen, within=15)
        assert (point["gateway_id"], point["ts"]) == ("urasoe.gw-u1", format_ts(clock()))


async def test_a_tag_with_rotating_ids_is_found_across_the_border_without_its_key(
    own_broker: PrivateBroker, urasoe_broker: PrivateBroker, tmp_path: Path
) -> None:
    """Urasoe holds no key: its gateways watch for the ids Ginowan listed, its hub keeps
    just those (not a stranger's), and Ginowan resolves what comes back."""
    (tmp_path / "a").mkdir(exist_ok=True)
    offset = 65_280 - int(time.time())
    store = await open_test_store(tmp_path / "a")
    await register(store, offset=offset)
    await store.close()
    async with (
        two_towns(own_broker, urasoe_broker, tmp_path, with_eid(tmp_path)) as towns,
        retained_orders(urasoe_broker) as urasoe_orders,
        publishing_gateway(urasoe_broker, "gw-u1") as gw,
    ):
        home_town, next_town = towns
        async with home_town.client(await home_town.token()) as family:
            search = (await family.post("/api/v1/searches", json={"person_id": "p-tsuru"})).json()
            relayed = f"ginowan.{search['id']}"

            async def told() -> Any:
                return urasoe_orders.get(relayed)

            order = json.loads(await until(told))
            now = time.time()
            assert shown(now, offset=offset) in order["tags"] and TSURU not in order["tags"]
            stranger = shown(now, key=bytes(16), offset=offset)
            await gw.send(EventKind.TAG_SEEN, stranger, search=relayed)
            await gw.send(EventKind.TAG_SEEN, shown(now, offset=offset), search=relayed)

            async def seen() -> Any:
                body = (await family.get(f"/api/v1/searches/{search['id']}")).json()
                return body["sightings"]

            [point] = await until(seen, within=15)
            assert point["gateway_id"] == "urasoe.gw-u1"
        assert next_town.state.ingest is not None
        assert next_town.state.ingest.counters["eid_unknown"] == 1  # the stranger's
    tags = {row[0] for row in await query(tmp_path / "a", URASOE_TAGS)}
    assert tags == {TSURU}
