"""A tag with rotating ids walks past two receivers, and its family sees where she is.

sim (an Eddystone-EID tag provisioned by ``mimamori hub tag add``, rotating every 8 s,
and a stranger's EID tag) -> two real ``mimamori edge`` daemons that hold no key ->
Mosquitto -> ``mimamori hub`` that resolves the ids -> the person's location by API.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from mimamori.demo.mosquitto import PrivateBroker
from tests.e2e.conftest import (
    CONSENT,
    GATEWAYS,
    Processes,
    gateway_file,
    hub_file,
    poll_json,
    start_hub,
    write_yaml,
)

pytestmark = pytest.mark.slow

TSURU = "eid:tsuru"
EXPONENT = 3  # a new id every 8 s: several rotations while the test runs


def edit_yaml(path: Path, change: Any) -> Path:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc)
    return write_yaml(path, doc)


def command(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "mimamori", *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def stored_tags(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT DISTINCT tag FROM events WHERE tag IS NOT NULL")}


async def test_a_rotating_tag_is_followed_by_the_hub_alone(
    own_broker: PrivateBroker, procs: Processes, tmp_path: Path, http_port: int
) -> None:
    hub_yaml = hub_file(
        tmp_path,
        own_broker,
        http_port,
        people=[{"id": "p-1", "name": "比嘉 ツル", "tags": [TSURU], "consent": CONSENT}],
    )

    def with_kek(doc: dict[str, Any]) -> None:
        doc["hub"]["eid"] = {"kek_file": "eid.kek"}

    edit_yaml(hub_yaml, with_kek)
    command("hub", "tag", "kek", "--config", str(hub_yaml))
    printed = yaml.safe_load(
        command("hub", "tag", "add", "--config", str(hub_yaml), TSURU, "--exponent", str(EXPONENT))
    )

    ttys = {gid: tmp_path / f"tty-{gid}" for gid in GATEWAYS}
    one, two = (GATEWAYS[g] for g in GATEWAYS)
    scenario = write_yaml(
        tmp_path / "scenario.yaml",
        {
            "seed": 5,
            "radio": {"path_loss_exponent": 2.0, "noise_db": 1.0, "loss": 0.05},
            "receivers": [
                {"id": gid, "lat": lat, "lon": lon, "link": str(ttys[gid])}
                for gid, (_, lat, lon) in GATEWAYS.items()
            ],
            "tags": [
                {
                    "eid": printed["firmware_sim"],
                    "interval_s": 0.2,
                    # out of range while the gateways start, then past the first machine
                    # to the second, where she stays
                    "route": [
                        [one[1] - 0.001, one[2] - 0.001],
                        [one[1], one[2]],
                        [two[1], two[2]],
                    ],
                    "speed_mps": 25.0,
                    "start_delay_s": 6.0,
                },
                {
                    # someone else's EID tag, sitting by the first machine all along
                    "eid": {"identity_key": "ab" * 16, "exponent": 4, "clock_offset": 12_345},
                    "interval_s": 0.5,
                    "route": [[one[1], one[2]]],
                },
            ],
        },
    )
    token = start_hub(procs, hub_yaml, http_port)
    procs.start("sim", "sim", "walk", "--scenario", str(scenario))
    async with asyncio.timeout(10):
        while not all(t.exists() for t in ttys.values()):
            await asyncio.sleep(0.05)

    def every_eid(doc: dict[str, Any]) -> None:
        doc["tags"]["allow"] = ["eddystone-eid:*"]  # the gateway holds no key at all

    for gid in GATEWAYS:
        config = edit_yaml(gateway_file(tmp_path, gid, own_broker, ttys[gid]), every_eid)
        procs.start(gid, "edge", "--config", str(config))

    base = f"http://127.0.0.1:{http_port}"
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}) as c:
        at_one = await poll_json(
            c, "/api/v1/people/p-1/location", lambda b: b["gateway_id"] == "gw-one", 30
        )
        assert at_one["gateway_name"] == "大山 自販機"
        at_two = await poll_json(
            c, "/api/v1/people/p-1/location", lambda b: b["gateway_id"] == "gw-two", 40
        )
        assert at_two["state"] == "here"
        # She stays by the second machine while her tag shows two more ids: each new id
        # "arrives" at the gateway and each old one "leaves"; the hub keeps one visit.
        await asyncio.sleep(2 * (1 << EXPONENT))
        still = (await c.get("/api/v1/people/p-1/location")).json()
        assert (still["gateway_id"], still["state"]) == ("gw-two", "here"), still
        trail = (await c.get("/api/v1/people/p-1/trail")).json()["points"]
        at_two_kinds = [p["kind"] for p in trail if p["gateway_id"] == "gw-two"]
        assert at_two_kinds.count("tag.arrived") == 1 and "tag.left" not in at_two_kinds
        visits = [p["gateway_id"] for p in trail if p["kind"] == "tag.arrived"]
        assert visits[:2] == ["gw-one", "gw-two"]
        ingest = (await c.get("/healthz")).json()["ingest"]
        assert ingest["eid_resolved"] > 0
        assert ingest["eid_rotations_merged"] >= 2
        assert ingest["eid_unknown"] > 0  # the stranger's tag: heard, forwarded, dropped

    exits = procs.stop_all()
    assert exits == {"gw-two": 0, "gw-one": 0, "hub": 0, "sim": 0}, exits
    # Only the registry's id was ever stored: no EID, ours or the stranger's.
    assert stored_tags(tmp_path / "hub.sqlite3") == {TSURU}
    for name in ("hub", "gw-one", "gw-two"):
        assert "Traceback" not in procs.log(name)
