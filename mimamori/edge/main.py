"""``mimamori edge --config FILE``: the daemon as a process, with its signals.

SIGTERM/SIGINT stop it in order; SIGHUP reloads the config (``reload.py``); under
systemd it says when it is ready and stopping (``sdnotify``).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

from mimamori.edge.config import GatewayConfig, load_gateway_config
from mimamori.edge.daemon import EdgeDaemon
from mimamori.errors import MimamoriError
from mimamori.sdnotify import Notifier

log = logging.getLogger(__name__)


async def _main_async(config: GatewayConfig, config_path: Path) -> None:
    from mimamori.edge.reload import reload_config

    notifier = Notifier.from_environ()
    daemon = EdgeDaemon(config, notifier=notifier)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, daemon.stop)
    loop.add_signal_handler(signal.SIGHUP, reload_config, daemon, config_path)
    try:
        await daemon.run()
    finally:
        notifier.close()


def main(config_path: Path) -> int:
    """Run until SIGTERM/SIGINT; SIGHUP reloads. A bad config raises ConfigError
    (the CLI prints it)."""
    config = load_gateway_config(config_path)
    try:
        asyncio.run(_main_async(config, config_path))
    except MimamoriError as exc:
        log.error("%s", exc)
        return 1
    return 0
