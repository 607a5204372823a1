"""How well a receiver hears: adverts per whole minute, and the time of the last one.

The most common complaint about BLE gateways in the field is one that stays online
while its receiver has stopped hearing anything. A driver's state cannot tell (a
quiet street and a deaf radio both say nothing), but a rate can: a vending machine on
a busy street hears tags and phones all day, so the hub learns each watch point's
normal rate from this and notices when it falls to nothing (issue 20).

Every advert the radio reports counts, whether or not it is one of our tags: in
active scanning the phones around keep the count up, which is the best sign the
radio works. (In passive BLE scanning BlueZ passes on only our tags, so there the
count is the tags'.)

Minutes are counted on the gateway's monotonic clock from the meter's start (a Pi's
wall clock jumps when NTP first syncs); a status names the wall time the newest whole
minute ended. The cost per advert is a comparison, an addition and an assignment:
``heard`` measured 0.23 µs a call (timeit, the 2-core development machine under load),
under 2 % of the 14 µs an advert may take at the pipeline's 70,734 adverts/s
(docs/performance.md); ``status`` about 10 µs, once per receiver and status.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

from mimamori.edge.clock import Clock
from mimamori.protocol.status import HEARD_MINUTES, HeardStatus

MINUTE_S = 60.0


class HearingMeter:
    """Counts the adverts of one receiver per whole minute, keeping the last
    ``HEARD_MINUTES``; ``status()`` says them on the wire."""

    def __init__(self, clock: Clock, minute_s: float = MINUTE_S) -> None:
        self._clock = clock
        self._minute_s = minute_s  # shorter only in end-to-end tests (HeardStatus.minute_s)
        self._start = clock.monotonic()
        self._minute = 0  # the open minute, counted from the start
        self._minute_ends = self._start + minute_s
        self._count = 0  # adverts in the open minute
        self._whole: deque[int] = deque(maxlen=HEARD_MINUTES)
        self._last_advert: datetime | None = None

    def heard(self, at: float, ts: datetime) -> None:
        """One advert, heard at monotonic ``at`` (wall time ``ts``)."""
        if at >= self._minute_ends:
            self._roll(at)
        self._count += 1
        self._last_advert = ts

    def _roll(self, at: float) -> None:
        """Close the open minute and any wholly quiet ones up to ``at``."""
        minute = int((at - self._start) // self._minute_s)
        if minute <= self._minute:
            return
        self._whole.append(self._count)
        quiet = min(minute - self._minute - 1, HEARD_MINUTES)
        self._whole.extend([0] * quiet)
        self._count = 0
        self._minute = minute
        self._minute_ends = self._start + (minute + 1) * self._minute_s

    def status(self) -> HeardStatus:
        now = self._clock.monotonic()
        wall = self._clock.now()
        self._roll(now)
        if not self._whole:
            return HeardStatus(last_advert=self._last_advert)
        ended = self._start + self._minute * self._minute_s  # the newest whole minute's end
        return HeardStatus(
            last_min=self._whole[-1],
            per_min=list(self._whole),
            until=wall - timedelta(seconds=now - ended),
            last_advert=self._last_advert,
            minute_s=None if self._minute_s == MINUTE_S else self._minute_s,
        )
