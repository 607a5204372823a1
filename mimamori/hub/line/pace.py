"""Pushes paced under LINE's rate limit, so the hub waits its turn instead of being
refused (429) and backing off for 30 s.

LINE's limit for the push endpoint is 2,000 requests a second per channel (Messaging
API reference, "Rate limits": the push endpoint is among "Other API endpoints, 2,000
requests per second"); past it LINE answers 429 Too Many Requests. LINE's "Best
practices for preventing HTTP status code 429 errors" asks for a limiter where the
requests start, set below the limit with a margin, since requests reach LINE's side
with their own delays: the hub's default is 90 % of it (``hub.line.push_per_s``, per
hub worker: several workers share the limit, so each gets its part).
(https://developers.line.biz/en/reference/messaging-api/#rate-limits,
https://developers.line.biz/en/docs/messaging-api/preventing-http-429-errors/)

The pace is the simplest limiter that keeps any one-second window under the limit
however LINE counts it (a sliding window or a token bucket): starts at least
``1 / per_s`` apart. A start is reserved before waiting, so callers running at once
queue up in order without a lock (one event loop). Time is injected: ``monotonic`` and
``sleep`` (tests run it on virtual time).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class Pace:
    def __init__(
        self,
        per_s: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if per_s <= 0:
            raise ValueError(f"a pace needs a positive rate, not {per_s}")
        self.gap = 1.0 / per_s
        self._monotonic = monotonic
        self._sleep = sleep
        self._next = float("-inf")  # the earliest time the next start may happen
        self.waited = 0  # starts that had to wait their turn (the limit was near)

    async def turn(self) -> None:
        """Return when this caller may start its request."""
        now = self._monotonic()
        start = max(now, self._next)
        self._next = start + self.gap
        if start > now:
            self.waited += 1
            await self._sleep(start - now)
