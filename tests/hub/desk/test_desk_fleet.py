"""The technician's fleet page over HTTP with a town of 500 gateways (issue 20): every
gateway of the caller's areas, problems first, filtered by one problem, each receiver's
day as a sparkline, in a few queries for the whole list (not one per gateway); the
same fleet as a map coloured by health; staff see their areas' only, and no one but
the care centre sees either at all."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.alerts.gateway_health import GatewayHealth
from mimamori.hub.config import WatchPointSettings
from mimamori.hub.model.alerts import AlertKind
from mimamori.hub.model.fleet import RATE_BUCKET, rate_bucket
from mimamori.protocol import GatewayStatus
from tests.hub.access.test_areas import NORTH, SOUTH, two_areas
from tests.hub.helpers import RunningHub, running_hub

TOWN = 500  # Ginowan runs ~160 receivers: room for a larger town
# The test town's three gateways (two watch points, a home) and 497 more: gw-f000 ... gw-f496.
GB = 1_000_000_000


def big_town(doc: dict[str, Any]) -> None:
    doc["gateways"] += [
        {"id": f"gw-f{n:03}", "name": f"自販機 {n}", "lat": 26.28, "lon": 127.77, "host": "商店会"}
        for n in range(TOWN - len(doc["gateways"]))
    ]
    two_areas(doc)


def status(gw: str, hub: RunningHub, **more: Any) -> GatewayStatus:
    now = hub.state.clock()
    heard = {"last_min": 30, "per_min": [20, 30], "until": now - timedelta(seconds=5),
             "last_advert": now - timedelta(seconds=2)}  # fmt: skip
    return GatewayStatus.model_validate(
        {
            "gw": gw,
            "state": "online",
            "ts": now,
            "version": "0.4.0",
            "config_hash": "3f9a",
            "drivers": {"vm": {"driver": "serial_line", "state": "up", "heard": heard}},
            "outbox": {"depth": 3},
            "disk": {"free_bytes": 8 * GB, "total_bytes": 16 * GB},
            **more,
        }
    )


def rows(page: str) -> list[str]:
    return re.findall(r'<tr data-gateway="([^"]+)"', page)


def dots(page: str) -> dict[str, str]:
    return dict(re.findall(r'<a href="[^"]+" data-gateway="([^"]+)" data-health="([^"]+)"', page))


async def a_day_of_rates(hub: RunningHub) -> None:
    """Every gateway's receiver (but the one never heard of) heard 96 quarter hours of
    the day, gw-f011's nothing in the last hour: what a day of the deafness watch
    writes (48,000 rows, set down at once: through the watch it would take a day)."""
    now = hub.state.clock()
    quarters = [rate_bucket(now) - i * RATE_BUCKET for i in range(96)]
    day = [
        (int(q.timestamp() * 1000), gid, "vm", 15, 0 if gid == "gw-f011" and i < 4 else 375)
        for gid in hub.state.registry.gateways
        if gid != "gw-f496"
        for i, q in enumerate(quarters)
    ]
    db: Any = hub.state.store._db  # type: ignore[attr-defined]  # setting down a day at once
    async with db.transaction("a day of rates") as tx:
        await tx.executemany(
            "INSERT INTO receiver_rates (bucket, gateway_id, receiver_id, minutes, adverts) "
            "VALUES (?, ?, ?, ?, ?)",
            day,
        )


async def test_the_fleet_page_lists_500_gateways_problems_first_in_a_few_queries(
    broker: PrivateBroker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_hub(broker, tmp_path, big_town) as hub:
        store, now = hub.state.store, hub.state.clock()
        full = {"disk": {"free_bytes": GB, "total_bytes": 16 * GB}}
        button = {"drivers": {"door": {"driver": "serial_button", "state": "up"}}}
        more = {"gw-f007": full, "gw-f005": button}  # a full disk; a gateway with a button only
        statuses = [status(g, hub, **more.get(g, {}))
                    for g in sorted(hub.state.registry.gateways) if g != "gw-f496"]  # fmt: skip
        await store.ingest([], statuses, now)
        await a_day_of_rates(hub)
        await store.ingest([], [GatewayStatus(gw="gw-f003", state="offline")], now)
        health = GatewayHealth(
            WatchPointSettings(), hub.state.registry, store, clock=hub.state.clock
        )
        [full_disk] = (await health.check()).opened
        assert full_disk.kind == AlertKind.DISK_LOW

        # Every query the store makes of the tables the page reads while answering the
        # page: those of the task that asked for the open alerts (the hub's loops run
        # in tasks of their own).
        db: Any = store._db  # type: ignore[attr-defined]  # a spy on the engine's port
        by_task: list[tuple[object, str]] = []
        fetch = db.fetch

        async def counted(sql: str, params: Any = ()) -> Any:
            if re.search(r"FROM (gateways|events|alerts|receiver_rates)\b", sql):
                by_task.append((asyncio.current_task(), sql))
            return await fetch(sql, params)

        monkeypatch.setattr(db, "fetch", counted)
        admin = await hub.account("root", "admin")
        async with hub.client(admin) as client:
            await client.get("/desk/watch-points")  # a hub's first page warms it up (seconds)
            started = time.monotonic()
            page = await client.get("/desk/fleet")
            took = time.monotonic() - started
            monkeypatch.undo()
            disk_only = await client.get("/desk/fleet", params={"only": "disk_low"})
            english = await client.get("/desk/fleet", params={"lang": "en", "only": "problems"})
            unknown = await client.get("/desk/fleet", params={"only": "<script>"})
        assert page.status_code == 200, page.text
        listed = rows(page.text)
        assert len(listed) == TOWN and len(set(listed)) == TOWN
        # Problems first: the offline one, the full disk, the never heard of; then by id.
        assert listed[:3] == ["gw-f003", "gw-f007", "gw-f496"]
        assert listed[3:6] == ["gw-a", "gw-b", "gw-f000"]
        [page_task] = {task for task, sql in by_task if "subject LIKE 'gateway:%'" in sql}
        asked = [sql for task, sql in by_task if task is page_task]
        assert len(asked) <= 5, asked  # a query per list, never one per gateway
        kb = len(page.content) // 1000
        print(f"fleet page, {TOWN} gateways: {took:.2f} s, {len(asked)} queries, {kb} kB")
        assert took < 10.0  # a bound for a loaded CI machine; measured 0.5-1 s on SQLite

        row = page.text.split('data-gateway="gw-f007"')[1].split("</tr>")[0]
        offline = page.text.split('data-gateway="gw-f003"')[1].split("</tr>")[0]
        assert "ゲートウェイの記憶領域" in row and f'href="/alerts/{full_disk.id}"' in row
        assert "1000 MB（6 %）" in row and "毎分 25.0 件" in row and "0.4.0" in row
        assert page.text.count('<svg class="spark" data-quarters="96" data-zeros="0"') == TOWN - 2
        assert 'data-quarters="96"' in offline  # its last will names no receiver: its day does
        buttoned = page.text.split('data-gateway="gw-f005"')[1].split("</tr>")[0]
        assert 'data-receiver="door"' in buttoned and buttoned.count('class="spark"') == 1
        assert "記録なし" not in buttoned  # a button draws no line (vm's day is remembered)
        deaf_hour = page.text.split('data-gateway="gw-f011"')[1].split("</tr>")[0]
        assert 'data-quarters="96" data-zeros="4"' in deaf_hour
        assert "過去 24 時間（最大 毎分 25.0 件）" in deaf_hour
        assert 'data-online="no"' in offline and "オフライン" in offline
        assert "商店会" in offline  # the host partner

        assert rows(disk_only.text) == ["gw-f007"]
        assert rows(english.text) == ["gw-f003", "gw-f007", "gw-f496"]
        assert "Free disk" in english.text and "Offline" in english.text
        assert unknown.status_code == 200 and len(rows(unknown.text)) == TOWN
        assert "<script>" not in unknown.text.split("<main", 1)[1]

        async with hub.client(admin) as client:
            on_map = await client.get("/desk/fleet/map")
            map_problems = await client.get("/desk/fleet/map", params={"only": "problems"})
        assert on_map.status_code == 200, on_map.text
        health = dots(on_map.text)
        assert len(health) == TOWN
        assert (health["gw-f003"], health["gw-f007"], health["gw-f496"]) == (
            "offline", "alert", "never")  # fmt: skip
        assert {h for g, h in health.items() if g not in ("gw-f003", "gw-f007", "gw-f496")} == {
            "ok"
        }
        assert list(dots(on_map.text))[-1] == "gw-f003"  # the worst is drawn last: on top
        assert set(dots(map_problems.text)) == {"gw-f003", "gw-f007", "gw-f496"}
        assert 'href="/desk/fleet/map?only=disk_low"' in on_map.text
        assert 'id="view-list" href' not in on_map.text  # the links are built as written
        assert '<a href="/desk/fleet?only=problems" id="view-list"' in map_problems.text

        south = await hub.account("arakaki", "staff", areas=(SOUTH,))
        north = await hub.account("kinjo", "staff", areas=(NORTH,))
        family = await hub.token("family", "f-miyagi")
        async with hub.client(south) as client:
            assert rows((await client.get("/desk/fleet")).text) == ["gw-home"]
            assert list(dots((await client.get("/desk/fleet/map")).text)) == ["gw-home"]
        async with hub.client(north) as client:
            assert len(rows((await client.get("/desk/fleet")).text)) == TOWN - 1
            assert "gw-home" not in dots((await client.get("/desk/fleet/map")).text)
        async with hub.client(family) as client:
            refused = await client.get("/desk/fleet")
            refused_map = await client.get("/desk/fleet/map")
        assert refused.status_code == 403 and not rows(refused.text)
        assert refused_map.status_code == 403 and not dots(refused_map.text)
