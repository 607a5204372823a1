"""What every driver keeps for its status: the state of its link to the hardware,
counters, the time of the last frame, and warnings that must not flood the log;
the backoff between attempts to bring a link back; and ``LinkDriver``, the common
part of drivers built on them.

A link is ``starting`` until it first opens, then ``up`` or ``down``. Each change
is logged once (a port that fails to reopen a hundred times is one warning, and
one "recovered" when it is back), through the driver's own logger so that its
records carry the driver's module name.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import ClassVar, Generic, Literal, Protocol, TypeVar

from mimamori.edge.clock import Clock
from mimamori.protocol.status import DriverStatus, HeardStatus

# The first retry (of a port open, a scanner start) waits up to 0.25 s, then twice
# as long per failure up to a cap, with full jitter (AWS Architecture Blog,
# "Exponential Backoff And Jitter", 2015): after a power cut every gateway of a
# town retries, spread out.
REOPEN_BASE_S = 0.25
MAX_REASON = 200  # ReceiverData.reason on the wire holds at most 200 characters
# A noisy cable or a wrong bind key repeats its fault on every frame; one line every
# ten minutes (a button's heartbeat period) says it without filling the SD card.
LOG_EVERY_S = 600.0


def backoff_s(rng: random.Random, failures: int, max_s: float) -> float:
    """How long to wait after ``failures`` failed attempts in a row (full jitter)."""
    ceiling = min(max_s, REOPEN_BASE_S * 2 ** min(failures - 1, 20))
    return rng.uniform(0.0, ceiling)


class LinkState:
    """State, detail, last frame and counters of one driver, as its status reports them."""

    def __init__(self, driver: str, name: str, log: logging.Logger) -> None:
        self.driver = driver  # the driver kind in the status: "serial_line", "bthome"...
        self.name = name  # for logs: "receiver rx-1", "button genki-1"
        self.state: Literal["starting", "up", "down"] = "starting"
        self.detail = ""
        self.last_frame: datetime | None = None
        self.counters: Counter[str] = Counter()
        self._log = log

    def down(self, reason: str) -> bool:
        """The link is down; True (and one warning) only when it was not down already.

        The reason is kept up to date in ``detail`` either way.
        """
        self.detail = reason[:MAX_REASON]
        if self.state == "down":
            return False
        self.state = "down"
        self._log.warning("%s down: %s", self.name, self.detail)
        return True

    def up(self, detail: str) -> None:
        if self.state == "down":
            self._log.info("%s recovered: %s", self.name, detail)
        else:
            self._log.info("%s up: %s", self.name, detail)
        self.state = "up"
        self.detail = detail[:MAX_REASON]

    def status(self, heard: HeardStatus | None = None) -> DriverStatus:
        """The status; ``heard`` is a receiver's rate of adverts (buttons have none)."""
        return DriverStatus(
            driver=self.driver,
            state=self.state,
            detail=self.detail,
            last_frame=self.last_frame,
            counters=dict(self.counters),
            heard=heard,
        )


class RateLimitedLog:
    """Warnings about a recurring fault: the first at once, then one per ``every_s`` per key.

    A held-back warning is counted and the count told with the next one, so the log
    shows how often the fault happened while staying short.
    """

    def __init__(
        self, log: logging.Logger, clock: Callable[[], float], every_s: float = LOG_EVERY_S
    ) -> None:
        self._log = log
        self._clock = clock
        self._every_s = every_s
        self._next: dict[str, float] = {}
        self._held: Counter[str] = Counter()

    def warning(self, key: str, msg: str, *args: object) -> None:
        now = self._clock()
        if now < self._next.get(key, now):
            self._held[key] += 1
            return
        if held := self._held.pop(key, 0):
            msg += " (and %d more like it since the last report)"
            args = (*args, held)
        self._log.warning(msg, *args)
        self._next[key] = now + self._every_s


class Named(Protocol):
    @property
    def id(self) -> str: ...


ConfigT = TypeVar("ConfigT", bound=Named)


class LinkDriver(Generic[ConfigT]):
    """A driver's config, clock, status and rate-limited warnings.

    A subclass sets ``kind`` (the driver in the status), ``noun`` (for logs) and
    ``log`` (its module's logger), and provides ``observations()``.
    """

    kind: ClassVar[str]
    noun: ClassVar[str]
    log: ClassVar[logging.Logger]

    def __init__(self, config: ConfigT, clock: Clock, *, rng: random.Random | None = None) -> None:
        self._config = config
        self._clock = clock
        self._rng = rng or random.Random()
        self._link = LinkState(self.kind, f"{self.noun} {config.id}", self.log)
        self._counters = self._link.counters
        self._faults = RateLimitedLog(self.log, clock.monotonic)

    @property
    def id(self) -> str:
        return self._config.id

    def status(self) -> DriverStatus:
        return self._link.status()
