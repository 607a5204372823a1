"""``mimamori bench sightings``: from a receiver's line to the page's live stream.

The real parts, each its own process as in a town: a private Mosquitto, ``mimamori
hub``, ``mimamori edge`` reading a simulated receiver board on a pseudo-terminal.
This process plays the board (writes advert lines on the pty) and the family's
browser (reads the Server-Sent Events the map and search pages read). Each
latency runs from writing the line to receiving the sighting.

Two modes: ``normal`` (presence reporting, one ``tag.seen`` per report interval:
adverts are spaced just past it) and ``search`` (a search is running: every
advert is reported at once). Target: p99 <= 250 ms in a search, on loopback.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from mimamori.bench import hub_files
from mimamori.demo.mosquitto import PrivateBroker, free_port, wait_for_port
from mimamori.firmware_sim.frames import adv_for_tag
from mimamori.firmware_sim.receiver import SimReceiver
from mimamori.protocol.timefmt import from_iso

TAG = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:9:1"
ADDR = "C0:11:22:33:44:55"
TARGET_P99_MS = 250.0


def _write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def _files(root: Path, broker: int, http: int, tty: Path, mode: str) -> tuple[Path, Path]:
    hub = hub_files(
        root / "hub.yaml",
        {
            "hub": {
                "http": {"port": http, "public_url": f"http://127.0.0.1:{http}"},
                "database": {"path": "hub.sqlite3"},
                "broker": {"host": "127.0.0.1", "port": broker, "keepalive_s": 5},
            },
            "gateways": [{"id": "gw-1", "name": "大山 自販機", "lat": 26.279, "lon": 127.776}],
            "people": [
                {
                    "id": "p-1",
                    "name": "比嘉 ツル",
                    "tags": [TAG],
                    "consent": {
                        "by": "本人",
                        "at": "2026-01-05",
                        "purposes": ["location", "search"],
                    },
                }
            ],
            "families": [{"id": "f-1", "name": "比嘉家", "people": ["p-1"]}],
        },
    )
    edge = _write(
        root / "gw-1.yaml",
        {
            "gateway": {"id": "gw-1", "name": "大山 自販機", "lat": 26.279, "lon": 127.776},
            "broker": {"host": "127.0.0.1", "port": broker, "keepalive_s": 5},
            "receivers": [{"id": "vm", "driver": "serial_line", "port": str(tty)}],
            "tags": {"allow": ["ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:*"]},
            "presence": {
                "enter_rssi": -90,
                "exit_rssi": -100,
                "leave_after_s": 600,
                # normal: a report per interval; search: presence quiet, searches report.
                "report_interval_s": 1 if mode == "normal" else 600,
                "search_interval_s": 0,
            },
            "data_dir": "data/gw-1",
        },
    )
    return hub, edge


def _mimamori(*args: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "mimamori", *args], stdout=out, stderr=subprocess.STDOUT
        )


def _token(hub_yaml: Path) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "mimamori", "hub", "token", "create", "--config", str(hub_yaml),
         "--family", "f-1", "--name", "bench"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.strip()


async def _measure(
    client: httpx.AsyncClient, stream_url: str, receiver: SimReceiver, samples: int, gap_s: float
) -> list[float]:
    writes: list[float] = []  # wall time of each advert line
    arrivals: list[tuple[float, float]] = []  # (event ts, wall time received)
    ready = asyncio.Event()

    async def listen() -> None:
        async with client.stream("GET", stream_url, timeout=None) as stream:
            ready.set()
            async for line in stream.aiter_lines():
                if line.startswith("data:"):
                    body = json.loads(line.removeprefix("data:"))
                    ts = from_iso(body["point"]["ts"]).timestamp()
                    arrivals.append((ts, time.time()))

    listener = asyncio.create_task(listen())
    await asyncio.wait_for(ready.wait(), 10)
    await asyncio.sleep(0.5)
    adv = adv_for_tag(TAG)
    for _ in range(samples):
        writes.append(time.time())
        receiver.advert(ADDR, -60, adv)
        await asyncio.sleep(gap_s)
    await asyncio.sleep(2.0)
    listener.cancel()
    await asyncio.gather(listener, return_exceptions=True)
    latencies = []
    for ts, got in arrivals:
        # The event is stamped when the gateway read the line: just after its write.
        n = bisect.bisect_right(writes, ts + 0.002) - 1
        if n >= 0:
            latencies.append((got - writes[n]) * 1000)
    return sorted(latencies)


def _figures(latencies: list[float], sent: int) -> dict[str, Any]:
    if not latencies:
        return {"adverts": sent, "sightings": 0}
    return {
        "adverts": sent,
        "sightings": len(latencies),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))], 1),
        "max_ms": round(latencies[-1], 1),
    }


async def _run_mode(mode: str, samples: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="mimamori-bench-") as tmp:
        root = Path(tmp)
        http = free_port()
        tty = root / "tty-vm"
        with PrivateBroker(root / "broker") as broker, SimReceiver(tty) as receiver:
            board = asyncio.create_task(receiver.run())
            hub_yaml, edge_yaml = _files(root, broker.port, http, tty, mode)
            procs = [_mimamori("hub", "--config", str(hub_yaml), log=root / "hub.log")]
            try:
                await asyncio.to_thread(wait_for_port, "127.0.0.1", http, 30)
                procs.append(_mimamori("edge", "--config", str(edge_yaml), log=root / "edge.log"))
                headers = {"Authorization": f"Bearer {await asyncio.to_thread(_token, hub_yaml)}"}
                base = f"http://127.0.0.1:{http}"
                async with httpx.AsyncClient(base_url=base, headers=headers) as client:
                    stream = "/api/v1/people/p-1/live"
                    if mode == "search":
                        started = await client.post("/api/v1/searches", json={"person_id": "p-1"})
                        stream = f"/api/v1/searches/{started.json()['id']}/live"
                    # Let the gateway start, connect and (in a search) take the order.
                    for _ in range(3):
                        receiver.advert(ADDR, -60, adv_for_tag(TAG))
                        await asyncio.sleep(1.1)
                    gap = 1.05 if mode == "normal" else 0.25
                    latencies = await _measure(client, stream, receiver, samples, gap)
            finally:
                for proc in procs:
                    proc.terminate()
                for proc in procs:
                    proc.wait(15)
                board.cancel()
                await asyncio.gather(board, return_exceptions=True)
    return _figures(latencies, samples)


async def run(samples: int) -> dict[str, Any]:
    normal = await _run_mode("normal", samples)
    search = await _run_mode("search", samples)
    return {
        "normal": normal,
        "search": search,
        "target_p99_ms_in_search": TARGET_P99_MS,
        "p50_ms": search.get("p50_ms"),
        "p99_ms": search.get("p99_ms"),
    }


def main(samples: int, as_json: bool) -> int:
    result = asyncio.run(run(samples))
    if as_json:
        print(json.dumps(result))
    else:
        print("receiver line -> sighting on the page's live stream (SSE), on loopback")
        for mode in ("normal", "search"):
            figures = "  ".join(f"{k}={v}" for k, v in result[mode].items())
            print(f"  {mode:>7}: {figures}")
        print(f"  target: p99 <= {TARGET_P99_MS:g} ms in a search")
    ok = result["search"].get("sightings", 0) >= samples * 0.9
    return 0 if ok else 1
