"""``mimamori hub --config FILE``: the app under uvicorn (SIGINT/SIGTERM stop it cleanly)."""

from __future__ import annotations

import logging
from pathlib import Path

import uvicorn

from .app import create_app
from .config import load_hub_config

log = logging.getLogger(__name__)


def serve(config_path: Path) -> int:
    """Run until a signal; a bad config raises ConfigError (the CLI prints it)."""
    config = load_hub_config(config_path)
    http = config.hub.http
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config),
            host=http.host,
            port=http.port,
            log_level=logging.getLevelName(logging.getLogger().level).lower(),
            access_log=False,  # request paths hold person ids; never log them by default
            proxy_headers=True,
            lifespan="on",
        )
    )
    server.run()
    return 0 if server.started else 1
