"""Many home gateways in one process, for an end-to-end test of a whole street:
``python -m tests.e2e.gateway_pack CONFIG...``.

Each config runs the real gateway daemon (``EdgeDaemon``, what ``mimamori edge`` runs:
its drivers on their serial ports, the household's rules, the SQLite outbox, its own
MQTT connection and client id); only the process is shared, so that fifty homes cost
one interpreter, not fifty (about 40 MB and a second of CPU each on the 2-core test
machine). SIGTERM stops every daemon in order, as it stops ``mimamori edge``.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path

from mimamori.edge.config import load_gateway_config
from mimamori.edge.daemon import EdgeDaemon


async def run(paths: list[Path]) -> None:
    daemons = [EdgeDaemon(load_gateway_config(path)) for path in paths]
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: [d.stop() for d in daemons])
    async with asyncio.TaskGroup() as group:
        for daemon in daemons:
            group.create_task(daemon.run(), name=daemon.config.gateway.id)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(run([Path(p) for p in sys.argv[1:]]))
