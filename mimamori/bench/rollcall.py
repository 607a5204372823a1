"""``mimamori bench rollcall``: a safety roll-call of a whole town (issue 19).

A private Mosquitto and the whole hub (its loops: ingest, the roll-call, delivery) on
SQLite in a temporary directory; a town of ``homes`` households in one area, each
with a home gateway whose last status says it has a button that can beep, one
person and one contact with a channel. The register is imported first (not timed).

* **asked**: from the staff's POST that starts the roll-call to every household's
  row written, every message queued (the 201) and every home button told through
  the broker (no row left ``pending``/``sending``). Target (issue 19): within 60 s.
* **answers**: ``answers`` households answer 元気です on their one-time link's page,
  one after another, each timed from that POST to what staff see of it (target: p99
  2 s), in two ways, half the answers each:

  - **first page**: the whole town's list as it opens (``GET /api/v1/rollcalls/{id}``,
    page 1: 100 lines, the unanswered first, and the counts of all) until its count of
    the safe has the new answer: the answered household itself is not on page 1 (the
    answered go last), its count is what changes there;
  - **lookup**: the staff's search for that household by name (``?find=お宅 00042``,
    the list kept to what the search finds) until its line says safe.

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
            {"id": f"hh-{n:05d}", "name": f"お宅 {n:05d}", "gateways": [f"gw-{n}"], "area": "town",
             "evacuation_support": n % 10 == 0}
            for n in range(homes)
        ],
        "people": [
            {"id": f"p-{n}", "name": f"住民 {n}", "area": "town", "household": f"hh-{n:05d}",
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
    return [
        (f"hh-{int(r.removeprefix('r-')):05d}", body.rsplit(ANSWER_PATH, 1)[1]) for r, body in rows
    ]


async def run(homes: int, answers: int) -> dict[str, Any]:
    first_page: list[float] = []
    lookup: list[float] = []
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
                    for n, (household, token) in enumerate(_tokens(db, answers)):
                        timed = await _answered(
                            client, list_path, auth, n=n, household=household, token=token
                        )
                        (first_page if n % 2 == 0 else lookup).append(timed)
        finally:
            broker.stop()
    return {
        "households": homes,
        "import_s": round(import_s, 1),
        "rows_and_messages_s": round(written_s, 2),
        "all_asked_s": round(asked_s, 2),
        "buttons_not_told": left,
        "target_asked_s": 60,
        "answers": len(first_page) + len(lookup),
        "first_page_p50_ms": _p50(first_page),
        "first_page_p99_ms": _p99(first_page),
        "lookup_p50_ms": _p50(lookup),
        "lookup_p99_ms": _p99(lookup),
        "target_p99_ms": 2000,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


async def _answered(
    client: httpx.AsyncClient,
    path: str,
    auth: dict[str, str],
    *,
    n: int,
    household: str,
    token: str,
) -> float:
    """The ``n``-th answer (from 0) of ``household`` by its link: ms until staff see it,
    on the list's first page (its count of the safe) for even ``n``, by their search for
    the household's name for odd ``n``."""
    sent = time.perf_counter()
    done = await client.post(
        "/rollcall/answer", params={"token": token}, data={"answer": "safe"},
        headers={"Origin": ORIGIN},
    )  # fmt: skip
    if done.status_code != 200:
        raise RuntimeError(f"answer refused: {done.status_code}")
    find = {} if n % 2 == 0 else {"find": f"お宅 {household.removeprefix('hh-')}"}
    while True:
        listed = (await client.get(path, params=find, headers=auth)).json()
        if n % 2 == 0 and listed["counts"]["safe"] == n + 1:
            break
        if n % 2 and any(
            h["household_id"] == household and h["status"] == "safe" for h in listed["households"]
        ):
            break
    return (time.perf_counter() - sent) * 1000


def _p50(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _p99(values: list[float]) -> float | None:
    """Nearest rank: of 100 values the 99th smallest, of 2 the larger."""
    ordered = sorted(values)
    return round(ordered[math.ceil(0.99 * len(ordered)) - 1], 1) if ordered else None


def main(homes: int, answers: int, as_json: bool) -> int:
    result = asyncio.run(run(homes, answers))
    if as_json:
        print(json.dumps(result))
    else:
        print("safety roll-call: all asked, and answers on the staff's list (ASGI, SQLite)")
        for key, value in result.items():
            print(f"  {key:>20}: {value}")
    return 0
