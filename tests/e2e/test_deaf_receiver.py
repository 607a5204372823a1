"""A receiver that goes deaf, end to end (issue 20's test): one technician alert, kept
through flapping, resolved when it hears again.

The real commands as processes: Mosquitto, the hub, ``mimamori sim receiver`` (a
firmware_sim board on a pty, a tag next to it every 0.1 s) and ``mimamori edge``
reading it. The board's radio is made deaf with SIGUSR1 and hears again with SIGUSR2;
its heartbeats go on, so the gateway stays online and its link up: only the rate
says anything is wrong. To see that in seconds the receiver's "minute" is one second
(``hearing_minute_s``: the status says so, the hub counts those seconds as minutes)
and the hub's deaf watch looks twice a second; the thresholds are the hub's knobs:
deaf after 3 silent minutes, learnt after 3, back after 4 minutes heard.

Flapping: while the alert is open the radio hears for a second (fewer minutes than
``deaf_recover_min``), then is silent again for longer than the threshold, three
times: still the one alert, open. Then it hears for good: resolved. One alert in all.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from mimamori.demo.mosquitto import PrivateBroker
from tests.e2e.conftest import (
    HUB_START_S,
    TAG,
    Processes,
    admin_token,
    gateway_file,
    hub_file,
    poll_json,
    wait_for_hub,
    write_yaml,
)

pytestmark = pytest.mark.slow

GW = "gw-one"
WATCH = {
    "deaf_factor": 2.0,
    "deaf_floor_min": 3,
    "deaf_cap_min": 3,  # floor = cap: a fixed threshold, whatever the start-up taught it
    "deaf_learn_min": 3,
    "deaf_recover_min": 4,
    "deaf_check_s": 0.5,
}
SILENT_S = 4.5  # holds three whole one-second minutes: over the threshold
FLAP_S = 1.0  # heard: at most two whole minutes, under deaf_recover_min
WITHIN_S = 20.0  # the bound for each change (about 5 s: 3 minutes, a status, a look)


def learned(root: Path) -> dict[str, Any] | None:
    """What the hub learned of the receiver, read from its database."""
    with sqlite3.connect(f"file:{root / 'hub.sqlite3'}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT doc FROM receiver_hearing WHERE gateway_id = ? AND receiver_id = 'vm'", (GW,)
        ).fetchall()
    return json.loads(rows[0][0]) if rows else None


def deaf_alerts(body: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [a for a in body if a["kind"] == "receiver_deaf"]


async def test_a_deaf_receiver_raises_one_alert_kept_through_flapping_and_resolved(
    procs: Processes, tmp_path: Path, broker: PrivateBroker, http_port: int
) -> None:
    started = time.monotonic()
    config = hub_file(tmp_path, broker, http_port)
    doc = yaml.safe_load(config.read_text(encoding="utf-8"))
    doc["hub"]["watch_points"] = WATCH
    write_yaml(config, doc)
    tty = tmp_path / "tty"
    edge = gateway_file(tmp_path, GW, broker, tty)
    gateway = yaml.safe_load(edge.read_text(encoding="utf-8"))
    gateway["receivers"][0]["hearing_minute_s"] = 1.0
    gateway["status_interval_s"] = 1
    write_yaml(edge, gateway)

    # Everything starts at once (each command takes seconds to import on a loaded
    # machine): the gateway's status is retained, the hub reads it when it subscribes.
    procs.start("hub", "hub", "--config", str(config))
    sim = procs.start(
        "sim", "sim", "receiver", "--link", str(tty), "--tag", TAG, "--every", "0.1",
        "--heartbeat", "1",
    )  # fmt: skip
    admin = asyncio.create_task(asyncio.to_thread(admin_token, config))
    async with asyncio.timeout(HUB_START_S):
        while not tty.exists():
            await asyncio.sleep(0.05)
    procs.start(GW, "edge", "--config", str(edge))
    await asyncio.to_thread(wait_for_hub, http_port)
    phases = {"started": time.monotonic() - started}

    base = f"http://127.0.0.1:{http_port}"
    headers = {"Authorization": f"Bearer {await admin}"}
    async with httpx.AsyncClient(base_url=base, headers=headers) as client:
        async with asyncio.timeout(WITHIN_S):  # learnt: judged from now on
            while (doc_ := learned(tmp_path)) is None or doc_["minutes"] < 5:
                await asyncio.sleep(0.2)
        assert doc_["adverts"] > 0 and doc_["quiet_min"] == 0
        phases["learnt"] = time.monotonic() - started

        sim.send_signal(signal.SIGUSR1)
        deaf_at = time.monotonic()
        body = await poll_json(client, "/api/v1/alerts?state=all", deaf_alerts, WITHIN_S)
        took = time.monotonic() - deaf_at
        [alert] = deaf_alerts(body)
        assert alert["subject"] == f"receiver:{GW}/vm" and alert["state"] == "open"
        assert alert["detail"]["threshold_min"] == 3 and alert["detail"]["gateway"] == GW

        for _ in range(3):  # flapping: a second heard, then silence over the threshold
            sim.send_signal(signal.SIGUSR2)
            await asyncio.sleep(FLAP_S)
            sim.send_signal(signal.SIGUSR1)
            await asyncio.sleep(SILENT_S)
        phases["flapped"] = time.monotonic() - started
        flapped = deaf_alerts((await client.get("/api/v1/alerts?state=all")).json())
        assert [(a["id"], a["state"]) for a in flapped] == [(alert["id"], "open")]

        sim.send_signal(signal.SIGUSR2)
        body = await poll_json(
            client,
            "/api/v1/alerts?state=all",
            lambda b: [a["state"] for a in deaf_alerts(b)] == ["resolved"],
            WITHIN_S,
        )
        [resolved] = deaf_alerts(body)
        assert resolved["id"] == alert["id"]
        assert resolved["resolve_note"] == "the receiver hears adverts again"
        gateways = (await client.get("/api/v1/gateways")).json()
        assert {g["id"]: g["online"] for g in gateways}[GW] is True  # online all along

    # The minutes taken in are the fleet page's sparkline: deaf ones among them.
    with sqlite3.connect(f"file:{tmp_path / 'hub.sqlite3'}?mode=ro", uri=True) as db:
        [(minutes, adverts)] = db.execute(
            "SELECT sum(minutes), sum(adverts) FROM receiver_rates WHERE gateway_id = ?", (GW,)
        ).fetchall()
    assert minutes >= 25 and adverts < minutes * 10  # a tag every 0.1 s, but deaf spells
    exits = procs.stop_all()
    assert exits == {GW: 0, "sim": 0, "hub": 0}, exits
    assert "Traceback" not in procs.log(GW) + procs.log("hub")
    said = ", ".join(f"{k} {v:.1f} s" for k, v in phases.items())
    print(f"deaf after {took:.1f} s of silence; {said}; all {time.monotonic() - started:.1f} s")
