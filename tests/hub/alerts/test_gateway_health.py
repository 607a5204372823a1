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
