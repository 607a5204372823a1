"""``mimamori edge --config FILE``: the daemon as a process, with its signals.

SIGTERM/SIGINT stop it in order; SIGHUP reloads the config (``reload.py``); under
systemd it says when it is ready and stopping (``sdnotify``). The config that runs is
the hub's copy in ``data_dir`` once the hub sent one (``config_push.ConfigFiles``).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

from mimamori.edge.config import GatewayConfig
from mimamori.edge.config_push import ConfigFiles
from mimamori.edge.daemon import EdgeDaemon
from mimamori.errors import MimamoriError
from mimamori.sdnotify import Notifier

log = logging.getLogger(__name__)


async def _main_async(config: GatewayConfig, files: ConfigFiles, running: Path) -> None:
    from mimamori.edge.reload import reload_config

    notifier = Notifier.from_environ()
    daemon = EdgeDaemon(config, notifier=notifier, files=files, running=running)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, daemon.stop)
    loop.add_signal_handler(signal.SIGHUP, reload_config, daemon, files)
    try:
        await daemon.run()
    finally:
        notifier.close()


def main(config_path: Path) -> int:
    """Run until SIGTERM/SIGINT; SIGHUP reloads. A bad config raises ConfigError
    (the CLI prints it)."""
    files = ConfigFiles(config_path)
    running, config = files.in_use()
    if running != config_path:
        log.info("running the hub's config %s (installed: %s)", running, config_path)
    try:
        asyncio.run(_main_async(config, files, running))
    except MimamoriError as exc:
        log.error("%s", exc)
        return 1
    return 0
