"""``mimamori hub --config FILE``: the app under uvicorn; SIGINT/SIGTERM stop it cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Generator
from pathlib import Path

import uvicorn

from ..errors import MimamoriError
from .app import create_app
from .config import HubConfig, is_eid_tag, load_hub_config
from .eid.service import EidService
from .registry import Registry
from .store.sqlite import SqliteStore

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
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
    if not any(is_eid_tag(t) for p in config.people for t in p.tags):
        return
    store = await SqliteStore.open(config.hub.database.path)
    try:
        await EidService.open(config, Registry.from_config(config), store)
    finally:
        await store.close()


def serve(config_path: Path) -> int:
    """Run until a signal; a bad config raises ConfigError (the CLI prints it)."""
    config = load_hub_config(config_path)
    try:
        asyncio.run(_preflight(config))
    except MimamoriError as exc:
        log.error("not starting: %s", exc)
        return 1
    http = config.hub.http
    server = _Server(
        uvicorn.Config(
            create_app(config),
            host=http.host,
            port=http.port,
            log_level=logging.getLevelName(logging.getLogger().level).lower(),
            access_log=False,  # request paths hold person ids; never log them by default
            proxy_headers=True,
            lifespan="on",
            # Live map streams never end by themselves: give them a moment, then close.
            timeout_graceful_shutdown=3,
        )
    )
    server.run()
    return 0 if server.started else 1
