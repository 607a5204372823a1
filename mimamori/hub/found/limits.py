"""Bounds on the finder's page, which anyone may reach without an account: a few
requests a minute per address and per sticker, in memory, with a bounded number of
keys (the oldest forgotten first), so a flood neither fills the database nor the
hub's memory. A refusal is a 429 page that still shows the emergency numbers."""

from __future__ import annotations

from collections import OrderedDict, deque
from datetime import datetime, timedelta

# A finder taps 保護しています once and writes a few lines; the page polls the thread
# by itself (found.js: every 3 s, about 20 a minute), which is counted apart.
PER_MINUTE = 20
POLLS_PER_MINUTE = 40
MAX_KEYS = 10_000  # ~1 MB: addresses and tokens of the last minutes
WINDOW = timedelta(minutes=1)


class Window:
    """At most ``limit`` hits per key in any minute."""

    def __init__(self, limit: int, max_keys: int = MAX_KEYS) -> None:
        self.limit = limit
        self.max_keys = max_keys
        self._hits: OrderedDict[str, deque[datetime]] = OrderedDict()

    def allow(self, key: str, now: datetime) -> bool:
        hits = self._hits.pop(key, None) or deque()
        while hits and hits[0] <= now - WINDOW:
            hits.popleft()
        ok = len(hits) < self.limit
        if ok:
            hits.append(now)
        self._hits[key] = hits  # the most recent key last
        while len(self._hits) > self.max_keys:
            self._hits.popitem(last=False)
        return ok


class FinderLimits:
    """One set per hub process (``app.state``), for the finder's pages."""

    def __init__(self, per_minute: int = PER_MINUTE, polls: int = POLLS_PER_MINUTE) -> None:
        self.actions = Window(per_minute)
        self.polls = Window(polls)

    def allow(self, address: str, token: str, now: datetime, *, poll: bool = False) -> bool:
        window = self.polls if poll else self.actions
        # Both are counted: one address cannot try many tokens, nor many addresses one.
        by_address = window.allow(f"a:{address}", now)
        by_token = window.allow(f"t:{token[:64]}", now)
        return by_address and by_token
