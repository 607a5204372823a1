"""The local LINE of ``bench line``: the push endpoint of the Messaging API on 127.0.0.1,
as LINE answers it, holding the hub to a rate limit, and recording when each notice was
accepted.

- ``Authorization: Bearer <token>`` or 401.
- At most ``limit`` pushes accepted in any one second (LINE documents 2,000 a second for
  push, per channel: Messaging API reference, "Rate limits"); past it 429 "The API rate
  limit has been exceeded", as LINE answers.
- ``X-Line-Retry-Key``: a key already accepted gets 409 (LINE shows the message once).
- Each accepted push is a notice, named by the number in its text (``NOTICE``): a
  notice accepted twice under two keys is a duplicate a person would see twice.

(``tests/line_server.py`` is the tests' fuller LINE, webhooks and replies too; this one
is only what the benchmark needs, and ships with the product's bench.)
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

NOTICE = "見守りのお知らせ（ベンチ） #{n}"
_NUMBER = re.compile(r"#(\d+)")
WINDOW_S = 1.0  # LINE's limits are per second


class BenchLine:
    def __init__(self, port: int, token: str, limit: int) -> None:
        self.port = port
        self.token = token
        self.limit = limit
        self.accepted: dict[int, list[float]] = {}  # notice -> wall times LINE accepted it
        self.keys: set[str] = set()
        self.limited = 0  # 429s: past the rate limit
        self.again = 0  # 409s: a retry key already accepted (a push repeated after a kill)
        self.peak = 0  # the most requests let through within any one second
        self._window: deque[float] = deque()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def distinct(self) -> int:
        return len(self.accepted)

    async def _push(self, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return JSONResponse({"message": "Authentication failed."}, 401)
        body: dict[str, Any] = await request.json()
        now = time.monotonic()
        while self._window and now - self._window[0] >= WINDOW_S:
            self._window.popleft()
        if len(self._window) >= self.limit:
            self.limited += 1
            return JSONResponse(
                {"message": "The API rate limit has been exceeded. Try again later."}, 429
            )
        self._window.append(now)  # LINE counts requests, a 409 among them
        self.peak = max(self.peak, len(self._window))
        key = request.headers.get("x-line-retry-key", "")
        if key and key in self.keys:
            self.again += 1
            return JSONResponse({"message": "The retry key is already accepted"}, 409)
        if key:
            self.keys.add(key)
        found = _NUMBER.search(str(body["messages"][0].get("text", "")))
        if found is not None:
            self.accepted.setdefault(int(found.group(1)), []).append(time.time())
        return JSONResponse({"sentMessages": [{"id": str(len(self.keys))}]})

    async def start(self) -> None:
        app = Starlette(routes=[Route("/v2/bot/message/push", self._push, methods=["POST"])])
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        async with asyncio.timeout(10):
            while not self._server.started:
                if self._task.done():
                    self._task.result()
                await asyncio.sleep(0.02)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await asyncio.wait_for(self._task, 10)
