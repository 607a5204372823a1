"""Feeding systemd's watchdog, only while the gateway is alive (``liveness.py``).

A stalled part is logged once when the feeding stops, with what stalled, and shown
in ``systemctl status``; systemd then kills the daemon after ``WatchdogSec`` and
starts it again (``Restart=on-failure``). If the part recovers first, that is
logged once too and the feeding resumes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from mimamori.sdnotify import Notifier

log = logging.getLogger(__name__)


async def feed_watchdog(
    notifier: Notifier, problems: Callable[[], list[str]], interval_s: float
) -> None:
    """Ping every ``interval_s`` while ``problems()`` is empty; run until cancelled."""
    withheld = False
    while True:
        found = problems()
        if found:
            if not withheld:
                log.error(
                    "watchdog no longer fed, systemd will restart the daemon: %s",
                    "; ".join(found),
                )
                notifier.status("stalled: " + "; ".join(found))
                withheld = True
        else:
            if withheld:
                log.info("watchdog fed again: everything is alive")
                notifier.status("running")
                withheld = False
            notifier.watchdog()
        await asyncio.sleep(interval_s)
