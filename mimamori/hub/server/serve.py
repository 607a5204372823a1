"""``mimamori hub --config FILE``: the app under uvicorn; SIGINT/SIGTERM stop it cleanly.

Under systemd (``Type=notify``) it says READY once it listens and STOPPING when it
begins to stop, and feeds the watchdog from uvicorn's main loop while the database
answers: a hub whose event loop or database is stuck is restarted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import time
from collections.abc import Generator
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from mimamori.errors import MimamoriError
from mimamori.hub.config import HubConfig, load_hub_config
from mimamori.hub.eid.service import EidService
from mimamori.hub.model.clock import system_clock
from mimamori.hub.register.loading import load_registry
from mimamori.hub.server.app import create_app
from mimamori.hub.server.gc_tuning import tune_gc
from mimamori.hub.store.opening import open_store
from mimamori.sdnotify import Notifier

log = logging.getLogger(__name__)


STORE_PING_TIMEOUT_S = 5.0


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app: FastAPI, notifier: Notifier) -> None:
        super().__init__(config)
        self._app = app
        self._notifier = notifier
        self._next_ping = 0.0

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._notifier.ready("serving")

    async def on_tick(self, counter: int) -> bool:
        interval = self._notifier.watchdog_interval_s
        now = time.monotonic()
        if interval is not None and now >= self._next_ping:
            self._next_ping = now + interval
            if await self._store_answers():
                self._notifier.watchdog()
        return await super().on_tick(counter)

    async def _store_answers(self) -> bool:
        hub = getattr(self._app.state, "hub", None)
        if hub is None:
            return False
        try:
            async with asyncio.timeout(STORE_PING_TIMEOUT_S):
                return bool(await hub.store.ping())
        except TimeoutError:
            log.error("the database did not answer within %g s", STORE_PING_TIMEOUT_S)
            return False

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._notifier.stopping()
        await super().shutdown(sockets)

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """Stop on SIGINT/SIGTERM and then exit with status 0.

        uvicorn re-raises the signal after its graceful shutdown, so the process
        would die "killed by SIGTERM" even when everything stopped in order.
        """
        originals = {
            sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            yield
        finally:
            for sig, handler in originals.items():
                signal.signal(sig, handler)


async def _preflight(config: HubConfig) -> None:
    """Refuse to start, with a clear message, what could only fail inside the server:
    EID tags without a key-encryption key, or sealed keys this one does not open."""
    store = await open_store(config.hub.database)
    try:
        registry = await load_registry(store)
        if registry.eid_tags:
            await EidService.open(config, registry, store, clock=system_clock)
    finally:
        await store.close()


def serve(config_path: Path) -> int:
    """Run until a signal; a bad config raises ConfigError (the CLI prints it)."""
    clock = system_clock  # the hub's time, for every part (the composition root)
    config = load_hub_config(config_path)
    try:
        asyncio.run(_preflight(config))
    except MimamoriError as exc:
        log.error("not starting: %s", exc)
        return 1
    tune_gc()
    http = config.hub.http
    app = create_app(config, clock=clock)
    notifier = Notifier.from_environ()
    server = _Server(
        uvicorn.Config(
            app,
            host=http.host,
            port=http.port,
            log_level=logging.getLevelName(logging.getLogger().level).lower(),
            access_log=False,  # request paths hold person ids; never log them by default
            proxy_headers=True,
            lifespan="on",
            # Live map streams never end by themselves: give them a moment, then close.
            timeout_graceful_shutdown=3,
        ),
        app,
        notifier,
    )
    try:
        server.run()
    finally:
        notifier.close()
    return 0 if server.started else 1
