"""A minimal HTTP endpoint that notes when each webhook POST arrived (for benchmarks)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any


class WebhookReceiver:
    """Listens on 127.0.0.1; calls ``on_post(body, arrived_at)`` for every JSON POST,
    ``arrived_at`` read from ``clock`` (``time.time`` to compare with event times)."""

    def __init__(
        self,
        port: int,
        on_post: Callable[[Any, float], None],
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.port = port
        self.on_post = on_post
        self.clock = clock
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> WebhookReceiver:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.decode("latin-1").split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        body = await reader.readexactly(length)
        arrived = self.clock()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()
        self.on_post(json.loads(body or b"null"), arrived)
