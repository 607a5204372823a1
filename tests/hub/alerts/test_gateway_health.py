"""Watch points whose outbox grows or that restart in a loop: one technician alert
each, with hysteresis, resolved when well again. Statuses go into a real store (both
engines) on a virtual clock; the watch is asked at chosen times."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from mimamori.hub.alerts.gateway_health import GatewayHealth
from mimamori.hub.config import WatchPointSettings
from mimamori.hub.model.alerts import AlertKind
from mimamori.hub.register.loading import load_registry
from mimamori.hub.store.sql_store import SqlStore
from mimamori.protocol import GatewayStatus
from tests.hub.helpers import Y2031, HubClock, hub_document, import_register_of, query

MIN = timedelta(minutes=1)


async def watch(tmp_path: Path, store: SqlStore) -> tuple[GatewayHealth, HubClock]:
    doc: dict[str, Any] = hub_document(tmp_path, 1883, 8080)
    doc["recipients"].append({"id": "r-tech", "name": "技術担当", "channels_file": str(
        tmp_path / "miyagi.channels")})  # fmt: skip
    doc["policies"][0]["routes"] = {"device": {"steps": [{"after_min": 0, "notify": ["r-tech"]}]}}
    clock = HubClock(Y2031)
    await import_register_of(store, doc, clock)
    health = GatewayHealth(WatchPointSettings(), await load_registry(store), store, clock=clock)
    return health, clock


async def say(store: SqlStore, clock: HubClock, state: str, depth: int = 0) -> None:
    status: dict[str, Any] = {"gw": "gw-a", "state": state, "ts": clock()}
    if state == "online":
        status["outbox"] = {"depth": depth}
    await store.ingest([], [GatewayStatus.model_validate(status)], clock())


async def test_a_growing_outbox_raises_one_alert_and_resolves_only_once_it_has_emptied(
    tmp_path: Path, store: SqlStore
) -> None:
    health, clock = await watch(tmp_path, store)
    opened, resolved = [], []
    for depth in (10, 999, 1000, 5000, 900, 1200, 400, 99):
        clock.advance(MIN)
        await say(store, clock, "online", depth)
        done = await health.check()
        opened += [(depth, a.subject, a.detail["depth"]) for a in done.opened]
        resolved += [depth for _ in done.resolved]
    assert opened == [(1000, "gateway:gw-a", 1000)]  # 900 and 1200 again: the same alert
    assert resolved == [99]
    steps = await query(tmp_path, "SELECT recipients FROM escalations")
    assert steps == [('["r-tech"]',)]  # the device route: the technician only


async def test_a_gateway_restarting_in_a_loop_raises_one_alert_and_an_hour_of_calm_resolves_it(
    tmp_path: Path, store: SqlStore
) -> None:
    health, clock = await watch(tmp_path, store)
    kinds: list[tuple[str, str]] = []
    for _ in range(8):  # a daemon that crashes every few minutes, and systemd starts it again
        await say(store, clock, "online")
        done = await health.check()
        kinds += [("opened", a.kind) for a in done.opened]
        clock.advance(3 * MIN)
        await say(store, clock, "offline")
        clock.advance(1 * MIN)
    assert kinds == [("opened", AlertKind.GATEWAY_RESTARTS)]  # at the fifth start, once
    await say(store, clock, "online")
    clock.advance(59 * MIN)
    assert (await health.check()).resolved == []
    clock.advance(2 * MIN)
    [resolved] = (await health.check()).resolved
    assert resolved.resolve_note == "no restart for an hour"


GB = 1_000_000_000


async def say_disk(store: SqlStore, clock: HubClock, gw: str, free: int, total: int) -> None:
    status = {"gw": gw, "state": "online", "ts": clock(),
              "disk": {"free_bytes": free, "total_bytes": total}}  # fmt: skip
    await store.ingest([], [GatewayStatus.model_validate(status)], clock())


async def test_a_filling_disk_raises_one_alert_and_resolves_only_with_room_to_spare(
    tmp_path: Path, store: SqlStore
) -> None:
    health, clock = await watch(tmp_path, store)
    opened, resolved = [], []
    # A 16 GB card: 10 % is 1.6 GB; it fills, wavers around the bound, is cleaned a
    # little (12 %: still in the hysteresis), then well (20 %).
    for free in (8.0, 2.0, 1.5, 1.7, 1.4, 1.9, 3.2):
        clock.advance(MIN)
        await say_disk(store, clock, "gw-a", int(free * GB), 16 * GB)
        done = await health.check()
        opened += [(free, a.kind, a.subject, a.detail["free_pct"]) for a in done.opened]
        resolved += [(free, a.resolve_note) for a in done.resolved]
    assert opened == [(1.5, AlertKind.DISK_LOW, "gateway:gw-a", 9.4)]
    assert resolved == [(3.2, "the gateway's disk has room again")]
    steps = await query(tmp_path, "SELECT recipients FROM escalations")
    assert steps == [('["r-tech"]',)]  # the device route: the technician only


async def test_a_small_disk_is_low_under_its_floor_in_bytes_a_home_too_and_an_old_gateway_never(
    tmp_path: Path, store: SqlStore
) -> None:
    health, clock = await watch(tmp_path, store)
    await say_disk(store, clock, "gw-home", 150_000_000, 1 * GB)  # 15 %, but only 150 MB
    await store.ingest([], [GatewayStatus(gw="gw-b", state="online", ts=clock())], clock())
    [alert] = (await health.check()).opened  # gw-b, too old to say its disk: nothing
    assert (alert.kind, alert.subject) == (AlertKind.DISK_LOW, "gateway:gw-home")
    assert alert.detail["free_mb"] == 150 and alert.household_id is None
    clock.advance(MIN)
    await say_disk(store, clock, "gw-home", 250_000_000, 1 * GB)  # 25 %, 250 MB: in between
    assert (await health.check()).resolved == []
    clock.advance(MIN)
    await say_disk(store, clock, "gw-home", 300_000_000, 1 * GB)
    assert len((await health.check()).resolved) == 1
