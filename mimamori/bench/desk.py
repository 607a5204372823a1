"""``mimamori bench desk``: the desk's pages with a city's register (issue 14: 10,000
people and 5,000 households must stay fast).

A temporary SQLite database gets a register of ``people`` people in ``households``
homes (each with its home gateway and a tag, one consent each), spread over eight
care-centre areas (調布 has 8 centres), by ``mimamori hub import``'s own function
(timed too). The hub then serves on a free loopback port (its API and pages, without
ingest: no broker is needed), and an admin (who sees all of them) and a staff member
of one area each ask, one request after another: the list of people (first page and
a deep one), a search by the start of a reading, a list narrowed to an area, and
person pages at random; the API's list, search and person too. Printed: p50, p99
and the worst, per kind of request (docs/performance.md).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import socket
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from mimamori.hub.access.auth import issue
from mimamori.hub.config import HubConfig
from mimamori.hub.model.accounts import CredentialKind, User
from mimamori.hub.model.register import Actor
from mimamori.hub.register.changes import RegisterChanges
from mimamori.hub.register.importing import import_register
from mimamori.hub.register.schema import READ_AT
from mimamori.hub.register.yaml_format import RegisterFile
from mimamori.hub.server.app import create_app
from mimamori.hub.store.opening import open_store

AREAS = 8
UUID = "fda50693-a4e2-4fb1-afcf-c6eb07647825"
# Okinawan family names and older people's given names, with their readings.
SURNAMES = (
    ("比嘉", "ひが"), ("金城", "きんじょう"), ("大城", "おおしろ"), ("宮城", "みやぎ"),
    ("新垣", "あらかき"), ("玉城", "たましろ"), ("上原", "うえはら"), ("島袋", "しまぶくろ"),
    ("平良", "たいら"), ("山城", "やましろ"), ("知念", "ちねん"), ("仲村", "なかむら"),
)  # fmt: skip
GIVEN = (
    ("ツル", "つる"), ("カマ", "かま"), ("ウシ", "うし"), ("カメ", "かめ"), ("松", "まつ"),
    ("トミ", "とみ"), ("次郎", "じろう"), ("清", "きよし"), ("ナエ", "なえ"), ("文子", "ふみこ"),
)  # fmt: skip


def town(people: int, households: int, seed: int) -> dict[str, Any]:
    """The register as ``mimamori hub import`` reads it."""
    rng = random.Random(seed)
    areas = [{"id": f"area-{a + 1}", "name": f"地域包括支援センター {a + 1}"} for a in range(AREAS)]
    gateways: list[dict[str, Any]] = []
    homes: list[dict[str, Any]] = []
    for h in range(households):
        area = f"area-{h % AREAS + 1}"
        place = {"lat": 26.2 + rng.random() / 10, "lon": 127.7 + rng.random() / 10}
        gateways.append(
            {"id": f"gw-h{h}", "area": area, "name": f"自宅 {h}", "site": "home", **place}
        )
        homes.append({"id": f"hh-{h}", "area": area, "name": f"世帯 {h}", "gateways": [f"gw-h{h}"],
                      "people": []})  # fmt: skip
    listed: list[dict[str, Any]] = []
    for p in range(people):
        home = homes[p % households]
        (family, family_kana), (given, given_kana) = rng.choice(SURNAMES), rng.choice(GIVEN)
        home["people"].append(f"p-{p}")
        born = date(1930, 1, 1) + timedelta(days=rng.randrange(365 * 20))
        review = date(2026, 1, 1) + timedelta(days=rng.randrange(365))
        listed.append({
            "id": f"p-{p}", "area": home["area"], "name": f"{family} {given}",
            "reading": f"{family_kana} {given_kana}",
            "tags": [f"ibeacon:{UUID}:{p // 60000 + 1}:{p % 60000}"],
            "birth_date": born.isoformat(), "review_on": review.isoformat(),
            "consent": {"by": f"{family} {given}", "at": "2025-04-01", "purposes": ["location"]},
        })  # fmt: skip
    return {"areas": areas, "gateways": gateways, "households": homes, "people": listed}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _figures(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {"n": len(ordered), "p50_ms": at(0.5), "p99_ms": at(0.99), "max_ms": at(1.0)}


async def _measure(base: str, token: str, paths: list[str], rounds: int) -> tuple[list[float], int]:
    """Each path ``rounds`` times in turn (after one unmeasured call each: caches warm,
    as on a desk in use); the times and the bytes of the last answer."""
    times: list[float] = []
    size = 0
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        for path in paths:
            (await client.get(path)).raise_for_status()
        for _ in range(rounds):
            for path in paths:
                started = time.perf_counter()
                answer = await client.get(path)
                times.append(time.perf_counter() - started)
                answer.raise_for_status()
                size = len(answer.content)
    return times, size


async def _run(people: int, households: int, rounds: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="mimamori-bench-desk-") as tmp:
        port = _free_port()
        config = HubConfig.model_validate({"hub": {
            "http": {"host": "127.0.0.1", "port": port},
            "database": {"path": str(Path(tmp) / "hub.sqlite3")},
            "broker": {"host": "127.0.0.1", "port": 1},  # not used: no ingest
        }})  # fmt: skip
        now = datetime.now(UTC)
        store = await open_store(config.hub.database)
        try:
            register = RegisterFile.model_validate(
                town(people, households, seed), context={READ_AT: now}
            )
            started = time.perf_counter()
            await import_register(
                register, RegisterChanges(store, lambda: now), Actor("bench", "admin", "import")
            )
            import_s = time.perf_counter() - started
            tokens = {}
            admin = User("admin", "bench", "admin", None, ())
            staff = User("staff", "bench", "staff", None, (), areas=("area-1",))
            for user in (admin, staff):
                await store.add_user(user, "-", now)
                tokens[user.role] = await issue(
                    store, CredentialKind.TOKEN, role=user.role, family_id=None, name="bench",
                    ttl=timedelta(hours=1), now=now, user_id=user.id,
                )  # fmt: skip
        finally:
            await store.close()
        app = create_app(config, with_ingest=False)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        )
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        base = f"http://127.0.0.1:{port}"
        some = [f"p-{rng.randrange(people)}" for _ in range(20)]
        theirs = [f"p-{p}" for p in range(people) if p % households % AREAS == 0][:20]  # area-1
        kinds = {
            "list (first page)": ["/desk/people"],
            "list (page 100)": ["/desk/people?n=100"],
            "search (reading)": ["/desk/people?q=ひが", "/desk/people?q=アラカキ"],
            "list (one area)": ["/desk/people?area=area-3"],
            "reviews due": ["/desk/people?review=month"],
            "person page": [f"/desk/people/{p}" for p in some],
            "API list": ["/api/v1/register/people?limit=50"],
            "API search": ["/api/v1/register/people?q=きん"],
            "API person": [f"/api/v1/register/people/{p}" for p in some],
        }
        figures: dict[str, Any] = {}
        try:
            for name, paths in kinds.items():
                times, size = await _measure(base, tokens["admin"], paths, rounds)
                figures[f"admin: {name}"] = {**_figures(times), "bytes": size}
            staff_kinds = {
                "list (first page)": ["/desk/people"],
                "search (reading)": ["/desk/people?q=ひが"],
                "person page": [f"/desk/people/{p}" for p in theirs],
            }
            for name, paths in staff_kinds.items():
                times, size = await _measure(base, tokens["staff"], paths, rounds)
                figures[f"staff (1 area): {name}"] = {**_figures(times), "bytes": size}
        finally:
            server.should_exit = True
            await task
    return {"people": people, "households": households, "import_s": round(import_s, 1),
            "requests": figures}  # fmt: skip


def main(people: int, households: int, rounds: int, as_json: bool) -> int:
    # A line per request, and per imported entry, otherwise.
    for noisy in ("httpx", "mimamori.hub.register.changes"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    result = asyncio.run(_run(people, households, rounds, seed=1))
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    print(
        f"the desk with {people:,} people in {households:,} households "
        f"({AREAS} areas; imported in {result['import_s']} s), one request at a time:"
    )
    print(f"  {'request':<36} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'bytes':>8}")
    for name, f in result["requests"].items():
        print(
            f"  {name:<36} {f['n']:>5} {f['p50_ms']:>8} {f['p99_ms']:>8} {f['max_ms']:>8} "
            f"{f['bytes']:>8}"
        )
    return 0
