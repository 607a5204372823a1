"""The care centre's webhook for ``sim town``, as a process of its own.

It stamps each notification with the wall clock the moment its POST has been read,
and prints one JSON line per notification (``{"at": ..., "body": ...}``) after a
first line ``ready``. In a process of its own, its stamps do not wait for the town's
busy event loop: a notification that arrived while the town was ticking counts as
arrived. ``python -m mimamori.bench.town_hook PORT``; SIGTERM stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from mimamori.bench.webhook import WebhookReceiver


async def _serve(port: int) -> None:
    def posted(body: Any, at: float) -> None:
        print(json.dumps({"at": at, "body": body}, ensure_ascii=False), flush=True)

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with WebhookReceiver(port, posted, time.time):
        print("ready", flush=True)
        await stop.wait()


@contextlib.asynccontextmanager
async def care_centre(port: int, on_post: Callable[[Any, float], None]) -> AsyncIterator[None]:
    """Run the webhook process on ``port``; ``on_post(body, arrived_at)`` per notification."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mimamori.bench.town_hook", str(port),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        first = await asyncio.wait_for(proc.stdout.readline(), 30)
        if first.strip() != b"ready":
            raise RuntimeError("the care centre's webhook did not start")

        async def read() -> None:
            assert proc.stdout is not None
            async for line in proc.stdout:
                note = json.loads(line)
                on_post(note["body"], note["at"])

        reader = asyncio.create_task(read(), name="care centre")
        try:
            yield
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
    finally:
        if proc.returncode is None:
            proc.terminate()
        await proc.wait()


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1])))
