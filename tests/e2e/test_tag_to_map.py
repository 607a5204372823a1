"""A tag walking past two receivers shows up at the hub: sim -> edge -> broker -> hub -> API.

Everything runs as the real commands in separate processes: ``mimamori sim walk``
drives two receivers on ptys, two ``mimamori edge`` daemons read them, a private
Mosquitto carries the events, ``mimamori hub`` stores them and answers the API.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from mimamori.demo.mosquitto import PrivateBroker
from tests.e2e.conftest import (
    GATEWAYS,
    Processes,
    hub_file,
    poll_json,
    start_hub,
    start_town,
    walk_past_both,
)

pytestmark = pytest.mark.slow


async def test_a_walking_tag_moves_from_one_gateway_to_the_next_on_the_hub(
    own_broker: PrivateBroker, procs: Processes, tmp_path: Path, http_port: int
) -> None:
    scenario, ttys = walk_past_both(tmp_path, seed=3, interval_s=0.2)
    token = start_hub(procs, hub_file(tmp_path, own_broker, http_port), http_port)
    await start_town(procs, tmp_path, own_broker, scenario, ttys)

    base = f"http://127.0.0.1:{http_port}"
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}) as c:
        at_one = await poll_json(
            c, "/api/v1/people/p-1/location", lambda b: b["gateway_id"] == "gw-one", 30
        )
        assert at_one["gateway_name"] == "大山 自販機" and at_one["lat"] == 26.2790
        at_two = await poll_json(
            c, "/api/v1/people/p-1/location", lambda b: b["gateway_id"] == "gw-two", 40
        )
        assert at_two["state"] == "here" and at_two["lon"] == 127.7785
        trail = (await c.get("/api/v1/people/p-1/trail")).json()["points"]
        visits = [p["gateway_id"] for p in trail if p["kind"] == "tag.arrived"]
        assert visits[:2] == ["gw-one", "gw-two"]
        assert [p["ts"] for p in trail] == sorted(p["ts"] for p in trail)
        gateways = {g["id"]: g["online"] for g in (await c.get("/api/v1/gateways")).json()}
        assert gateways == {"gw-one": True, "gw-two": True}

    exits = procs.stop_all()
    assert exits == {"gw-two": 0, "gw-one": 0, "hub": 0, "sim": 0}, exits
    for gid in GATEWAYS:
        assert "Traceback" not in procs.log(gid)
