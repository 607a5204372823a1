"""``mimamori bench rollcall``: a safety roll-call of a whole town (issue 19).

A private Mosquitto and the whole hub (its loops: ingest, the roll-call, delivery) on
SQLite in a temporary directory; a town of ``homes`` households in one area, each
with a home gateway whose last status says it has a button that can beep, one
person and one contact with a channel. The register is imported first (not timed).

* **asked**: from the staff's POST that starts the roll-call to every household's
  row written, every message queued (the 201) and every home button told through
  the broker (no row left ``pending``/``sending``). Target (issue 19): within 60 s.
* **answers**: ``answers`` households answer 元気です on their one-time link's page,
  one after another; each time is from that POST to the staff's list
  (``GET /api/v1/rollcalls/{id}``, the whole town's) showing it. Target: p99 2 s.

Requests go through httpx's ASGI transport (the whole app without loopback TCP).
"""

from __future__ import annotations

import asyncio
import json
import math
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from mimamori.bench import hub_files
from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.access.auth import issue
from mimamori.hub.config import HubConfig, load_hub_config
from mimamori.hub.model.accounts import CredentialKind, User
from mimamori.hub.rollcall.asking import ANSWER_PATH
from mimamori.hub.server.app import create_app
from mimamori.hub.server.state import HubState
from mimamori.protocol import GatewayStatus

ORIGIN = "http://127.0.0.1:8080"  # the config's public URL: the same-origin guard's
ASKED_WITHIN_S = 600  # give up waiting for the buttons after this (the target is 60 s)


def _config(root: Path, broker_port: int, homes: int) -> HubConfig:
    channels = root / "contact.channels"
    channels.write_text("json://127.0.0.1:9/rollcall\n")  # nobody listens: fails at once
    doc = {
        "hub": {
            "database": {"path": str(root / "hub.sqlite3")},
            "http": {"public_url": ORIGIN},
            "broker": {"host": "127.0.0.1", "port": broker_port},
        },
        "areas": [{"id": "town", "name": "町"}],
        "gateways": [
            {"id": f"gw-{n}", "name": f"自宅 {n}", "lat": 26.28, "lon": 127.77, "site": "home",
             "area": "town"}
            for n in range(homes)
        ],
        "recipients": [
            {"id": f"r-{n}", "name": f"家族 {n}", "phone": "090-0000-0000",
             "channels_file": str(channels)}
            for n in range(homes)
        ],
        "households": [
            {"id": f"hh-{n}", "name": f"お宅 {n}", "gateways": [f"gw-{n}"], "area": "town",
             "evacuation_support": n % 10 == 0}
            for n in range(homes)
        ],
        "people": [
            {"id": f"p-{n}", "name": f"住民 {n}", "area": "town", "household": f"hh-{n}",
             "contacts": [f"r-{n}"]}
            for n in range(homes)
        ],
    }  # fmt: skip
    return load_hub_config(hub_files(root / "hub.yaml", doc))


async def _staff(hub: HubState) -> str:
    now = hub.clock()
    await hub.store.add_user(User("staff", "職員", "staff", None, (), areas=("town",)), "x", now)
    return await issue(
        hub.store, CredentialKind.TOKEN, role="staff", family_id=None, name="bench",
        ttl=timedelta(hours=2), now=now, user_id="staff",
    )  # fmt: skip


async def _buttons_online(hub: HubState, homes: int) -> None:
    """Each home gateway's last status: online, with a button that can beep."""
    now = datetime.now(UTC)
    drivers = {"door": {"driver": "serial_button", "state": "up"}}
    statuses = [
        GatewayStatus.model_validate({"gw": f"gw-{n}", "state": "online", "ts": now,
                                      "drivers": drivers})
        for n in range(homes)
    ]  # fmt: skip
    await hub.store.ingest([], statuses, now)


def _waiting(db: Path, rollcall_id: int) -> int:
    with sqlite3.connect(db) as conn:
        [(n,)] = conn.execute(
            "SELECT count(*) FROM rollcall_households WHERE rollcall_id = ? "
            "AND button IN ('pending', 'sending')",
            (rollcall_id,),
        ).fetchall()
    return int(n)


def _tokens(db: Path, count: int) -> list[tuple[str, str]]:
    """(household, token) of the first ``count`` households, from their messages."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT recipient_id, body FROM notifications WHERE dedupe_key LIKE 'rollcall-%' "
            "ORDER BY id LIMIT ?",
            (count,),
        ).fetchall()
    return [(f"hh-{r.removeprefix('r-')}", body.rsplit(ANSWER_PATH, 1)[1]) for r, body in rows]


async def run(homes: int, answers: int) -> dict[str, Any]:
    latencies: list[float] = []
    with tempfile.TemporaryDirectory(prefix="mimamori-bench-") as tmp:
        root = Path(tmp)
        broker = PrivateBroker(root / "broker")
        broker.start()
        try:
            started_import = time.perf_counter()
            config = _config(root, broker.port, homes)
            import_s = time.perf_counter() - started_import
            db = root / "hub.sqlite3"
            app = create_app(config)
            async with app.router.lifespan_context(app):
                hub: HubState = app.state.hub
                assert hub.ingest is not None
                await asyncio.wait_for(hub.ingest.link.connected.wait(), 10)
                bearer = await _staff(hub)
                await _buttons_online(hub, homes)
                # The statuses are new events (gateways online): let the alert engine
                # read them first, so the start is timed alone.
                while (await hub.store.events_for_alerts(1))[2]:
                    await asyncio.sleep(0.1)
                auth = {"Authorization": f"Bearer {bearer}"}
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(
                    transport=transport, base_url=ORIGIN, timeout=120
                ) as client:
                    t0 = time.perf_counter()
                    started = await client.post(
                        "/api/v1/rollcalls", json={"area": "town", "message": "地震です。"},
                        headers=auth,
                    )  # fmt: skip
                    if started.status_code != 201:
                        raise RuntimeError(f"start refused: {started.status_code}")
                    rollcall_id = started.json()["id"]
                    written_s = time.perf_counter() - t0
                    while _waiting(db, rollcall_id) and time.perf_counter() - t0 < ASKED_WITHIN_S:
                        await asyncio.sleep(0.05)  # a bench's poll, not a test's wait
                    asked_s = time.perf_counter() - t0
                    left = _waiting(db, rollcall_id)
                    list_path = f"/api/v1/rollcalls/{rollcall_id}"
                    for household, token in _tokens(db, answers):
                        sent = time.perf_counter()
                        done = await client.post(
                            "/rollcall/answer", params={"token": token}, data={"answer": "safe"},
                            headers={"Origin": ORIGIN},
                        )  # fmt: skip
                        if done.status_code != 200:
                            raise RuntimeError(f"answer refused: {done.status_code}")
                        while True:
                            listed = (await client.get(list_path, headers=auth)).json()
                            if any(
                                h["household_id"] == household and h["status"] == "safe"
                                for h in listed["households"]
                            ):
                                break
                        latencies.append((time.perf_counter() - sent) * 1000)
        finally:
            broker.stop()
    latencies.sort()
    return {
        "households": homes,
        "import_s": round(import_s, 1),
        "rows_and_messages_s": round(written_s, 2),
        "all_asked_s": round(asked_s, 2),
        "buttons_not_told": left,
        "target_asked_s": 60,
        "answers": len(latencies),
        "answer_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        # Nearest rank: of 100 answers the 99th slowest, of 2 the slower.
        "answer_p99_ms": round(latencies[math.ceil(0.99 * len(latencies)) - 1], 1)
        if latencies
        else None,
        "target_p99_ms": 2000,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def main(homes: int, answers: int, as_json: bool) -> int:
    result = asyncio.run(run(homes, answers))
    if as_json:
        print(json.dumps(result))
    else:
        print("safety roll-call: all asked, and answers on the staff's list (ASGI, SQLite)")
        for key, value in result.items():
            print(f"  {key:>20}: {value}")
    return 0
