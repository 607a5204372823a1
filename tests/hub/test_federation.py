"""Two towns on one machine: two brokers, two hubs, a real gateway in the second town.
A search started in Ginowan reaches Urasoe's gateway; its sightings of the searched tag
come back to Ginowan's search, and nothing else crosses the border."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mimamori.demo.mosquitto import PrivateBroker, free_port
from mimamori.edge.clock import SystemClock
from mimamori.edge.daemon import EdgeDaemon

from ..edge.helpers import ScriptedReceiver, gateway_config
from ..edge.test_daemon import running
from .conftest import TAG_KAMA, TAG_TSURU, running_hub
from .test_households import until
from .test_searches import retained_orders


@pytest.fixture
def urasoe_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateBroker]:
    with PrivateBroker(tmp_path_factory.mktemp("urasoe-broker")) as running_broker:
        yield running_broker


def federated(town: str, peer: str, port: int, secret: Path) -> dict[str, Any]:
    return {
        "town": town,
        "peers": [{"id": peer, "url": f"http://127.0.0.1:{port}", "secret_file": str(secret)}],
    }


async def test_a_search_crosses_the_border_and_only_its_sightings_come_back(
    own_broker: PrivateBroker, urasoe_broker: PrivateBroker, tmp_path: Path
) -> None:
    secret = tmp_path / "ginowan-urasoe.secret"
    secret.write_text("a long random secret shared by the two towns\n")
    ginowan_port, urasoe_port = free_port(), free_port()

    def ginowan(doc: dict[str, Any]) -> None:
        doc["hub"]["federation"] = federated("ginowan", "urasoe", urasoe_port, secret)

    def urasoe(doc: dict[str, Any]) -> None:
        # Urasoe knows nobody of Ginowan's: only its own watch point.
        doc["hub"]["federation"] = federated("urasoe", "ginowan", ginowan_port, secret)
        doc["gateways"] = [
            {"id": "gw-u1", "name": "浦添 公園前 自販機", "lat": 26.246, "lon": 127.722}
        ]
        doc["people"], doc["households"], doc["families"] = [], [], []

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    gateway = gateway_config(
        "gw-u1",
        urasoe_broker.port,
        tmp_path / "gw-u1",
        tags={"allow": ["ibeacon:00000000-0000-0000-0000-000000000000:*"]},  # not Ginowan's
    )
    receiver = ScriptedReceiver("r1", SystemClock())
    async with (
        running_hub(own_broker, tmp_path / "a", ginowan, ginowan_port) as home_town,
        running_hub(urasoe_broker, tmp_path / "b", urasoe, urasoe_port),
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

        # A stranger claiming to be Urasoe is refused.
        async with httpx.AsyncClient(base_url=home_town.url) as forger:
            refused = await forger.post(
                "/api/v1/federation/sightings",
                json={"search_id": search["id"], "sightings": []},
                headers={"Authorization": "Bearer guess", "X-Mimamori-Town": "urasoe"},
            )
            assert refused.status_code == 401
        await asyncio.sleep(0.5)

    # Ginowan learnt of Urasoe's sighting of her tag and of nothing else.
    with sqlite3.connect(tmp_path / "a" / "hub.sqlite3") as db:
        tags = {
            row[0] for row in db.execute("SELECT tag FROM events WHERE gateway_id LIKE 'urasoe.%'")
        }
    assert tags == {TAG_TSURU}
    # Urasoe kept the tags and the window, never who is searched for.
    with sqlite3.connect(tmp_path / "b" / "hub.sqlite3") as db:
        [(origin, kept)] = db.execute("SELECT origin, tags FROM foreign_searches").fetchall()
        dump = "\n".join(db.iterdump())
    assert origin == "ginowan" and TAG_TSURU in kept
    assert "比嘉" not in dump and "p-tsuru" not in dump
