"""``mimamori hub --config FILE``: the app under uvicorn; SIGINT/SIGTERM stop it cleanly."""

from __future__ import annotations

import contextlib
import logging
import signal
from collections.abc import Generator
from pathlib import Path

import uvicorn

from .app import create_app
from .config import load_hub_config

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


def serve(config_path: Path) -> int:
    """Run until a signal; a bad config raises ConfigError (the CLI prints it)."""
    config = load_hub_config(config_path)
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
