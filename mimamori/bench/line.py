"""LINE fan-out: N notices pushed through the hub's own LINE client (LINE's SDK, the
retry key, 20 s bounds) to a local Messaging API on 127.0.0.1 that answers as LINE
does and holds the hub to LINE's documented rate for push (2,000 requests a second:
Messaging API reference, "Rate limits"), answering 429 past it. Prints the rate the
server accepted, each push's latency (p50, p99) and how many were accepted: all of
them, or the bench fails (a 429 is retried after a second, as the queue backs off)."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections import deque
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mimamori.demo.mosquitto import free_port
from mimamori.hub.line.client import LineClient

RATE_LIMIT = 2000  # push requests a second (LINE's documented limit)
IN_FLIGHT = 64  # pushes at once: the SDK's aiohttp pool opens up to 100 connections


class _LocalLine:
    """Push only: accepts each retry key once (409 after), 429 past the rate limit."""

    def __init__(self) -> None:
        self.accepted: set[str] = set()
        self.limited = 0
        self._window: deque[float] = deque()

    async def push(self, request: Request) -> JSONResponse:
        body = await request.json()
        key = request.headers.get("x-line-retry-key", "")
        now = time.monotonic()
        while self._window and now - self._window[0] >= 1.0:
            self._window.popleft()
        if len(self._window) >= RATE_LIMIT:
            self.limited += 1
            return JSONResponse({"message": "The API rate limit has been exceeded."}, 429)
        self._window.append(now)
        if key in self.accepted:
            return JSONResponse({"message": "already accepted"}, 409)
        self.accepted.add(key)
        return JSONResponse({"sentMessages": [{"id": "1"} for _ in body["messages"]]})


async def _run(notices: int) -> dict[str, Any]:
    line = _LocalLine()
    port = free_port()
    app = Starlette(routes=[Route("/v2/bot/message/push", line.push, methods=["POST"])])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    client = LineClient(f"http://127.0.0.1:{port}", "bench-token")
    gate = asyncio.Semaphore(IN_FLIGHT)
    latencies: list[float] = []
    failed = 0
    errors: dict[str, int] = {}  # why a try was not accepted (retried)

    async def one(i: int) -> None:
        nonlocal failed
        async with gate:
            for _ in range(10):
                started = time.perf_counter()
                sent = await client.push(
                    "U" + f"{i:032x}", f"見守り：お知らせ {i}", [], key=f"bench-{i}"
                )
                if sent.ok:
                    latencies.append(time.perf_counter() - started)
                    return
                why = sent.error.split(":")[0] if sent.status == 0 else str(sent.status)
                errors[why] = errors.get(why, 0) + 1
                if not sent.retry:
                    break
                await asyncio.sleep(1.0)  # past LINE's one-second window
            failed += 1

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(notices)))
    elapsed = time.perf_counter() - started
    await client.close()
    server.should_exit = True
    await task
    latencies.sort()
    return {
        "notices": notices,
        "accepted": len(line.accepted),
        "failed": failed,
        "rate_limited": line.limited,
        "retried": errors,
        "seconds": round(elapsed, 2),
        "per_s": round(len(line.accepted) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1) if latencies else None,
    }


def main(notices: int, as_json: bool) -> int:
    found = asyncio.run(_run(notices))
    if as_json:
        print(json.dumps(found))
    else:
        print(
            f"{found['accepted']}/{found['notices']} pushes accepted in {found['seconds']} s "
            f"({found['per_s']}/s; LINE allows {RATE_LIMIT}/s), p50 {found['p50_ms']} ms, "
            f"p99 {found['p99_ms']} ms, {found['rate_limited']} answered 429, "
            f"retried: {found['retried']}"
        )
    return 0 if found["accepted"] == notices and found["failed"] == 0 else 1
