"""The hub's loops kept alive: a loop that fails is logged, counted and started again.

Every background loop handles what it can per item (a message, an event, a step) and
sets aside the item that fails (store/quarantine.py). What still escapes a loop is a
bug or a fault nobody foresaw; it must not end the hub (a TaskGroup would cancel
every other loop and the web server with it). So each loop runs under ``supervised``:
the first failure of a streak is logged with its traceback, the next ones once a
streak with a count, the loop restarts after a backoff, and ``/healthz`` says
"degraded" with the count while it keeps failing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from mimamori.mqtt import backoff_delay

log = logging.getLogger(__name__)

# A loop that ran this long before failing counts as recovered: the backoff restarts.
HEALTHY_AFTER_S = 60.0
FIRST_RETRY_S = 1.0
MAX_RETRY_S = 60.0


@dataclass
class LoopHealth:
    """What the supervisor knows of each loop, for ``/healthz``."""

    restarts: dict[str, int] = field(default_factory=dict)
    _failed_at: dict[str, float] = field(default_factory=dict)

    def failed(self, name: str) -> None:
        self.restarts[name] = self.restarts.get(name, 0) + 1
        self._failed_at[name] = time.monotonic()

    def failing(self, within_s: float = HEALTHY_AFTER_S + MAX_RETRY_S) -> list[str]:
        """Loops that failed lately (and may be failing still)."""
        now = time.monotonic()
        return sorted(n for n, at in self._failed_at.items() if now - at < within_s)


async def supervised(
    name: str,
    loop: Callable[[], Awaitable[None]],
    health: LoopHealth,
    *,
    healthy_after_s: float = HEALTHY_AFTER_S,
    first_retry_s: float = FIRST_RETRY_S,
) -> None:
    """Run ``loop()`` until cancelled, starting it again whenever it fails."""
    attempt = 0
    while True:
        started = time.monotonic()
        try:
            await loop()
            return  # a loop that ends by itself has finished its work
        except Exception as exc:
            if time.monotonic() - started >= healthy_after_s:
                attempt = 0  # it ran well for a while: a new streak
            health.failed(name)
            delay = backoff_delay(attempt, first_retry_s, MAX_RETRY_S)
            if attempt == 0:
                log.error("loop %s failed; starting it again in %.1f s", name, delay, exc_info=exc)
            else:
                log.error(
                    "loop %s failed again (%d in a row): %s: %s",
                    name,
                    attempt + 1,
                    type(exc).__name__,
                    exc,
                )
            attempt += 1
        await asyncio.sleep(delay)
