"""Rotating ids through the real hub: MQTT ingest -> resolution -> store -> API."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.protocol import EventKind, format_ts, new_event_id
from tests.hub.eid_helpers import TSURU, P, register, shown, with_eid
from tests.hub.helpers import (
    TAG_TSURU,
    Gateway,
    RunningHub,
    open_test_store,
    publishing_gateway,
    query,
    running_hub,
)


async def registered(tmp_path: Path, offset: int) -> None:
    store = await open_test_store(tmp_path)
    await register(store, offset=offset)
    await store.close()


async def stored_tags(directory: Path) -> list[str]:
    return [r[0] for r in await query(directory, "SELECT tag FROM events WHERE tag IS NOT NULL")]


async def test_an_eid_sighting_becomes_the_persons_location_and_strangers_leave_no_trace(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    offset = 65_280 - int(time.time())  # a new tag, counting on the real clock from now
    await registered(tmp_path, offset)

    async with (
        running_hub(own_broker, tmp_path, with_eid(tmp_path)) as hub,
        publishing_gateway(own_broker, "gw-b") as gw,
    ):
        assert hub.state.eid is not None and hub.state.eid.resolver.tags == 1
        token = await hub.token(role="family", family="f-higa")
        now = time.time()
        stranger = shown(now, key=bytes(16), offset=offset)
        replay = shown(now - 4 * P, offset=offset)  # tsuru's id of four periods ago, again
        await gw.send(EventKind.TAG_ARRIVED, stranger, rssi=-60)
        await gw.send(EventKind.TAG_ARRIVED, replay, rssi=-60)
        wanted = await gw.send(EventKind.TAG_ARRIVED, shown(now, offset=offset), rssi=-61)
        await hub.until_stored(wanted)

        async with hub.client(token) as client:
            location = (await client.get("/api/v1/people/p-tsuru/location")).json()
            assert location["gateway_id"] == "gw-b" and location["state"] == "here"
            trail = (await client.get("/api/v1/people/p-tsuru/trail")).json()["points"]
            assert [p["kind"] for p in trail] == ["tag.arrived"]
            health = (await client.get("/healthz")).json()["ingest"]
        assert health["eid_resolved"] == 1
        assert health["eid_unknown"] == 1
        assert health["rejected_eid_replay"] == 1
        assert await stored_tags(tmp_path) == [TSURU]


async def test_the_hub_learns_a_tags_clock_and_keeps_it(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    offset = 65_280 - int(time.time())
    await registered(tmp_path, offset)
    behind = offset - P  # the tag's clock is a period behind what was registered

    async with (
        running_hub(own_broker, tmp_path, with_eid(tmp_path)) as hub,
        publishing_gateway(own_broker, "gw-a") as gw,
    ):
        wanted = await gw.send(EventKind.TAG_SEEN, shown(time.time(), offset=behind), rssi=-70)
        await hub.until_stored(wanted)
        async with asyncio.timeout(5):
            while True:
                [record] = await hub.state.store.eid_tags()
                if record.offset_lo <= behind <= record.offset_hi:
                    break
                await asyncio.sleep(0.05)
        assert record.offset_hi - record.offset_lo <= P + 4
        assert record.updated_at <= datetime.now(UTC)


async def test_a_hub_with_no_eid_tags_drops_every_eid_and_no_gateway_can_claim_a_registry_id(
    hub: RunningHub, gateway: Gateway, tmp_path: Path
) -> None:
    assert hub.state.eid is None
    await gateway.send(EventKind.TAG_ARRIVED, "eddystone-eid:7dd8169dae94258c", rssi=-60)
    forged = {  # a registry id is not a wire tag id: the event is refused
        "id": new_event_id(),
        "seq": 99,
        "ts": format_ts(datetime.now(UTC)),
        "kind": "tag.arrived",
        "data": {"tag": TSURU, "receiver": "vm", "rssi": -60},
    }
    await gateway.raw(json.dumps({"v": 1, "gw": "gw-a", "events": [forged]}).encode())
    wanted = await gateway.send(EventKind.TAG_ARRIVED, TAG_TSURU, rssi=-60)
    await hub.until_stored(wanted)
    assert hub.state.ingest is not None
    counters = hub.state.ingest.counters
    assert counters["eid_unknown"] == 1 and counters["events_rejected"] == 1
    assert await stored_tags(tmp_path) == [TAG_TSURU]
