"""``mimamori sim town``: a whole town on one machine, against the real broker and hub.

A private Mosquitto, the real hub (``mimamori hub``, its own process, SQLite unless
``--hub-config`` names another store), a webhook process as the care centre's channel,
and the town: ``gateways`` watch points over a Ginowan-sized area, ``households``
homes each with its own home gateway and check-in button, and ``tags`` people walking
between nearby watch points. Each gateway has its own MQTT connection (client id,
last will, keepalive, the search subscription), as in the field: thousands of them
in this process (town_mqtt.py), plus ``real_edges`` real ``mimamori edge`` processes
reading simulated boards on ptys (town_edges.py).

After every gateway has announced itself and a warm-up, a window of ``minutes`` is
measured: the hub's CPU (share of one core, from ``/proc/PID/stat``) and memory
(``VmRSS``, ``VmHWM``), the broker's CPU, events and messages a second at the hub
(its /healthz counters), ingest latency (event time at the gateway -> the hub's
``received_at``, read from its store afterwards) and alert latency (the event that
opens an alert -> the care centre's webhook receiving the notification).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import random
import re
import resource
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from mimamori.bench.edge_site import cpu_seconds, memory_mb
from mimamori.bench.report import machine
from mimamori.bench.town_edges import RealEdge, heartbeats
from mimamori.bench.town_gateways import HomeGateway, WatchPoint
from mimamori.bench.town_homes import plan_checkins
from mimamori.bench.town_hook import care_centre
from mimamori.bench.town_hub import HubProcess, ingest_delays, write_config
from mimamori.bench.town_layout import default_area_km2, place_town
from mimamori.bench.town_mqtt import connect_all, keep_alive
from mimamori.bench.town_report import ALERT_WORDS, print_town, spread
from mimamori.bench.town_streets import Streets
from mimamori.bench.town_walks import plan_walks
from mimamori.demo.mosquitto import PrivateBroker, free_port
from mimamori.errors import MimamoriError

REGULARS_PER_EDGE = 3  # carriers whose outings keep passing each real edge
SAMPLE_S = 5.0  # CPU is also read over windows this long, for its peak
ANNOUNCE_TIMEOUT_S = 180.0
ALERT_GRACE_S = 20.0  # after the window, for notifications of its last alerts
FDS_SPARE = 256


@dataclass(frozen=True)
class TownSizes:
    gateways: int = 2000
    tags: int = 500
    households: int = 1000
    minutes: float = 10.0
    seed: int = 1
    real_edges: int = 3
    miss_share: float = 0.05
    area_km2: float | None = None
    status_interval_s: float = 60.0
    warmup_s: float | None = None  # default: a minute, a quarter of a short window
    hub_config: Path | None = None


def _open_files(need: int) -> None:
    """Raise this process's open-file limit to ``need`` (Mosquitto, started from here,
    inherits it): each gateway's connection is a socket on both sides."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= need:
        return
    if hard != resource.RLIM_INFINITY and hard < need:
        raise MimamoriError(f"{need} open files needed, the hard limit is {hard} (ulimit -Hn)")
    resource.setrlimit(
        resource.RLIMIT_NOFILE, (need if hard == resource.RLIM_INFINITY else hard, hard)
    )


class _Cpu:
    """CPU seconds of some processes, read at the window's ends and every SAMPLE_S."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.start = self._read()
        self.last = (time.monotonic(), self.start)
        self.peak = dict.fromkeys(pids, 0.0)

    def _read(self) -> dict[str, float]:
        return {name: cpu_seconds(pid) for name, pid in self.pids.items()}

    def sample(self) -> None:
        now, cpu = time.monotonic(), self._read()
        then, before = self.last
        for name in self.pids:
            share = 100 * (cpu[name] - before[name]) / max(1e-6, now - then)
            self.peak[name] = max(self.peak[name], share)
        self.last = (now, cpu)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(SAMPLE_S)
            self.sample()

    def shares(self, seconds: float) -> dict[str, float]:
        cpu = self._read()
        return {n: round(100 * (cpu[n] - self.start[n]) / seconds, 1) for n in self.pids}


async def _lag(samples: list[float]) -> None:
    """How late this loop wakes: the town's own delay, reported beside the figures."""
    while True:
        before = time.perf_counter()
        await asyncio.sleep(0.1)
        samples.append((time.perf_counter() - before - 0.1) * 1000)


async def _until(check: Callable[[], Any], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise MimamoriError(f"timed out waiting for {what}")
        await asyncio.sleep(0.5)


class _Alerts:
    """Alert triggers seen at the gateways, and notifications at the care centre."""

    def __init__(self) -> None:
        self.triggers: dict[str, tuple[str, datetime]] = {}  # home gateway -> first trigger
        self.arrivals: dict[str, list[tuple[float, str]]] = {}  # home gateway -> (time, title)

    def trigger(self, gateway: str, kind: str, ts: datetime) -> None:
        self.triggers.setdefault(gateway, (kind, ts))

    def posted(self, body: Any, at: float) -> None:
        title = str(body.get("title", "")) if isinstance(body, dict) else ""
        match = re.search(r"お宅 (\d{5})", title)
        if match:
            self.arrivals.setdefault(f"gw-h{match.group(1)}", []).append((at, title))

    def figures(self, since: datetime, until: datetime) -> dict[str, Any]:
        expected = {g: t for g, t in self.triggers.items() if since <= t[1] <= until}
        latencies: dict[str, list[float]] = {kind: [] for kind in ALERT_WORDS}
        for gateway, (kind, ts) in expected.items():
            told = [
                at
                for at, title in self.arrivals.get(gateway, [])
                if at >= ts.timestamp() - 0.001 and ALERT_WORDS[kind] in title
            ]
            if told:
                latencies[kind].append((min(told) - ts.timestamp()) * 1000)
        every = [ms for values in latencies.values() for ms in values]
        return {
            "expected": len(expected),
            "delivered": len(every),
            "latency": spread(every),
            "by_kind": {kind: spread(values) for kind, values in latencies.items()},
        }

    def outstanding(self, since: datetime, until: datetime) -> int:
        wanted = [g for g, (_k, ts) in self.triggers.items() if since <= ts <= until]
        return sum(1 for g in wanted if g not in self.arrivals)


async def run(sizes: TownSizes) -> dict[str, Any]:  # noqa: PLR0915 (one story, in order)
    where = machine()
    window_s = sizes.minutes * 60
    warmup_s = sizes.warmup_s if sizes.warmup_s is not None else min(60.0, window_s / 4)
    area = sizes.area_km2 or default_area_km2(sizes.gateways)
    town = place_town(sizes.gateways, sizes.households, sizes.tags, area, sizes.seed)
    rng = random.Random(sizes.seed)
    real = sorted(rng.sample(range(len(town.watch_points)), min(sizes.real_edges, sizes.gateways)))
    regulars = {
        carrier: real[carrier // REGULARS_PER_EDGE]
        for carrier in range(min(sizes.tags, REGULARS_PER_EDGE * len(real)))
    }
    horizon = 3 * ANNOUNCE_TIMEOUT_S + warmup_s + window_s + 2 * ALERT_GRACE_S
    walks = plan_walks(town, horizon, sizes.seed, regulars)
    _open_files(sizes.gateways + sizes.households + FDS_SPARE)
    alerts = _Alerts()
    lags: list[float] = []
    tasks: list[asyncio.Task[None]] = []
    with tempfile.TemporaryDirectory(prefix="mimamori-town-") as tmp:
        root = Path(tmp)
        (root / "tty").mkdir()
        async with contextlib.AsyncExitStack() as stack:
            broker = stack.enter_context(PrivateBroker(root / "broker"))
            hook_port, http_port = free_port(), free_port()
            await stack.enter_async_context(care_centre(hook_port, alerts.posted))
            config = write_config(
                root,
                town,
                broker_port=broker.port,
                http_port=http_port,
                hook_port=hook_port,
                base=sizes.hub_config,
            )
            hub = HubProcess(config, http_port, root / "hub.log")
            stack.callback(hub.stop)
            await hub.ready()
            edges = {
                i: RealEdge(town.watch_points[i], root, broker.port, sizes.status_interval_s)
                for i in real
            }
            for edge in edges.values():
                stack.callback(edge.stop)
                edge.start()
            watch = {
                i: WatchPoint(place.id, sizes.status_interval_s, rng)
                for i, place in enumerate(town.watch_points)
                if i not in edges
            }
            homes = [
                HomeGateway(p.id, sizes.status_interval_s, rng, alerts.trigger) for p in town.homes
            ]
            streets = Streets(
                town, walks=walks, watch=watch, edges=edges, homes=homes, seed=sizes.seed
            )
            clients = [g.client for g in streets.gateways]

            def leave() -> None:
                for client in clients:
                    client.close()

            stack.callback(leave)
            await connect_all(clients, "127.0.0.1", broker.port)
            # Thousands of clients, rules and itineraries live for the whole run: out of
            # the collector's sight, so its full passes do not stall the town's ticks.
            gc.freeze()
            http = await stack.enter_async_context(httpx.AsyncClient())
            everyone = len(town.watch_points) + len(town.homes)

            async def announced() -> bool:
                return (await hub.ingest_counters(http)).get("statuses", 0) >= everyone

            try:
                tasks += [
                    asyncio.create_task(keep_alive(clients), name="keepalive"),
                    asyncio.create_task(streets.run(), name="streets"),
                    asyncio.create_task(heartbeats(list(edges.values())), name="boards"),
                    asyncio.create_task(_lag(lags), name="lag"),
                ]
                await _until(announced, ANNOUNCE_TIMEOUT_S, "every gateway's first status")
                await asyncio.sleep(warmup_s)
                # -- the window --------------------------------------------------------
                start = datetime.now(UTC)
                plans = plan_checkins(len(homes), start, window_s, sizes.miss_share, rng)
                streets.open_window(plans, window_s)
                before = await hub.ingest_counters(http)
                sent_before = _sent(streets)
                lags.clear()
                streets.tick_ms.clear()
                heard_before = streets.adverts_heard
                edge_cpu = {i: e.cpu_s() for i, e in edges.items()}
                if broker.pid is None:
                    raise MimamoriError("the broker stopped")
                cpu = _Cpu({"hub": hub.pid, "broker": broker.pid, "town": os.getpid()})
                sampler = asyncio.create_task(cpu.run(), name="cpu")
                tasks.append(sampler)
                t0 = time.monotonic()
                await asyncio.sleep(window_s)
                seconds = time.monotonic() - t0
                end = datetime.now(UTC)
                shares = cpu.shares(seconds)
                after = await hub.ingest_counters(http)
                sent_after = _sent(streets)
                hub_mem, broker_mem = memory_mb(hub.pid), memory_mb(cpu.pids["broker"])
                town_mem = memory_mb(os.getpid())
                edge_figures = {
                    e.place.id: {
                        "cpu_pct": round(100 * (e.cpu_s() - edge_cpu[i]) / seconds, 1),
                        "rss_mb": e.rss_mb(),
                        "lines": e.lines,
                    }
                    for i, e in edges.items()
                }
                heard = streets.adverts_heard - heard_before
                deadline = time.monotonic() + ALERT_GRACE_S
                while alerts.outstanding(start, end) and time.monotonic() < deadline:
                    await asyncio.sleep(0.5)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            hub.stop()  # before the gateways leave: their going is not measured
            ids = [p.id for p in town.watch_points] + [p.id for p in town.homes]
            delays = await ingest_delays(config, ids, start, end)
    real_ids = {e.place.id for e in edges.values()}

    def rate(key: str) -> float:
        return round((after.get(key, 0) - before.get(key, 0)) / seconds, 1)

    ingest = spread(ms for values in delays.values() for ms in values)
    # Every event an in-process gateway handed to its connection in the window, against
    # what the hub stored of theirs (the real edges keep an outbox: not counted here).
    sent = sum(1 for g in streets.gateways for ts in g.published_ts if start <= ts <= end)
    stored = sum(len(values) for g, values in delays.items() if g not in real_ids)
    told = alerts.figures(start, end)
    return {
        "town": {
            "watch_points": sizes.gateways,
            "homes": sizes.households,
            "tags": sizes.tags,
            "real_edges": len(edges),
            "area_km2": round(area, 2),
            "seed": sizes.seed,
            "mqtt_connections": len(clients) + len(edges),
            "status_interval_s": sizes.status_interval_s,
        },
        "window_s": round(seconds, 1),
        "warmup_s": warmup_s,
        "store": "sqlite" if sizes.hub_config is None else str(sizes.hub_config),
        "events_per_s": rate("events_stored"),
        "messages_per_s": rate("messages"),
        "statuses_per_s": rate("statuses"),
        "hub_cpu_pct": shares["hub"],
        "hub_cpu_peak_pct": round(cpu.peak["hub"], 1),
        "hub_rss_mb": hub_mem["VmRSS"],
        "hub_rss_peak_mb": hub_mem["VmHWM"],
        "broker_cpu_pct": shares["broker"],
        "broker_cpu_peak_pct": round(cpu.peak["broker"], 1),
        "broker_rss_mb": broker_mem["VmRSS"],
        "ingest_p50_ms": ingest["p50_ms"],
        "ingest_p99_ms": ingest["p99_ms"],
        "alert_p50_ms": told["latency"]["p50_ms"],
        "alert_p99_ms": told["latency"]["p99_ms"],
        "ingest": {
            "all": ingest,
            "real_edges": spread(ms for g in real_ids for ms in delays.get(g, [])),
            "in_process": spread(
                ms for g, values in delays.items() if g not in real_ids for ms in values
            ),
        },
        "alerts": told,
        "window_events": {"sent": sent, "stored": stored, "lost": sent - stored},
        "published": {k: sent_after[k] - sent_before[k] for k in sent_after},
        "sim": {
            "cpu_pct": shares["town"],
            "rss_mb": town_mem["VmRSS"],
            "tick_p99_ms": spread(streets.tick_ms)["p99_ms"],
            "loop_lag_p99_ms": spread(lags)["p99_ms"],
            "adverts_heard_per_s": round(heard / seconds, 1),
        },
        "real_edge_processes": edge_figures,
        "machine": where,
        "load_at_end": machine(),
    }


def _sent(streets: Streets) -> dict[str, int]:
    """What the in-process gateways sent, and what their connections lost."""
    total = {"events": 0, "messages": 0, "statuses": 0, "not_sent": 0, "drops": 0}
    for gateway in streets.gateways:
        for key in ("events", "messages", "statuses"):
            total[key] += gateway.counters[key]
        total["not_sent"] += gateway.client.counters["not_sent"]
        total["drops"] += gateway.client.counters["drops"]
    return total


def main(sizes: TownSizes, as_json: bool) -> int:
    """Run the town, print its figures; 1 when a notification never arrived or an
    event sent in the window was not stored."""
    result = asyncio.run(run(sizes))
    print_town(result, as_json)
    told, events = result["alerts"], result["window_events"]
    return 0 if told["delivered"] == told["expected"] and events["lost"] == 0 else 1
