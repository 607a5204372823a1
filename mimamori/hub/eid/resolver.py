"""Which tag showed this rotating id? A precomputed table, slid forward as time moves.

For every tag the hub holds its identity key, its exponent K (a new id every 2**K s =
one *period*) and what it knows of the tag's clock: a range ``[lo, hi]`` for
``offset = counter - Unix time``. Around the period ``p`` a tag should show now, the
table maps the EIDs of periods ``p-W-H .. p+W`` to ``(tag, period)``: W periods either
side for clock drift (the *window*), H more behind it (the *history*) so that an id
recorded and played back later is recognised as a replay, not taken for a stranger's.

* An advert costs one dict lookup, however many tags the town has.
* A tag's entries slide by one period when its period ends (a heap holds each tag's
  next boundary): two AES calls per tag per period, spread over time.
* A sighting resolves when its period lies within W of the period expected at the
  sighting's own time, and the tag has not already been seen further on (a tag's
  counter never runs back; one period of slack, as tags may switch ids a little late).
  Anything else found in the table is a replay: rejected, never learned from.
* Each resolution narrows the offset range (``_learn``): the table follows a drifting
  clock. A sighting that contradicts the range starts it again (the clock jumped).
* Late events (a gateway's outbox after an outage) older than the history are looked
  up in a table built for their stretch of the past, kept for the next ones.

Pure: times are Unix seconds passed in, nothing here reads a clock or does I/O.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from mimamori.protocol.eid import COUNTER_LIMIT, eids_of_periods, period_at

# Events that miss the live table and are older than this are looked up in the past.
LATE_AFTER_S = 60.0
# A late event's table covers this stretch of time (and the window either side).
HISTORIC_SPAN_S = 600
HISTORIC_TABLES = 6
# What a sighting proves about a tag's clock is blurred by the gateway's own clock
# (NTP keeps it within a second or two) and by millisecond timestamps.
SKEW_S = 2


@dataclass(frozen=True)
class TagClock:
    """A tag's key and what is known of its clock (from the store, or learned)."""

    tag_id: str
    identity_key: bytes = field(repr=False)
    exponent: int
    offset_lo: int
    offset_hi: int


class Outcome(StrEnum):
    RESOLVED = "resolved"
    UNKNOWN = "unknown"  # no tag of ours: dropped, never stored
    REPLAYED = "replayed"  # one of ours, but not valid at that time: rejected, counted


@dataclass(frozen=True, slots=True)
class Resolution:
    outcome: Outcome
    tag_id: str = ""
    period: int = -1
    detail: str = ""


class _Tag:
    __slots__ = (
        "dirty",
        "eids",
        "exponent",
        "hi",
        "key",
        "latest_at",
        "latest_period",
        "lo",
        "next_at",
        "tag_id",
    )

    def __init__(self, clock: TagClock) -> None:
        self.tag_id = clock.tag_id
        self.key = clock.identity_key
        self.exponent = clock.exponent
        self.lo, self.hi = clock.offset_lo, clock.offset_hi
        self.eids: dict[int, bytes] = {}  # period -> EID, for the periods in the table
        self.next_at = math.inf
        self.latest_period = -1
        self.latest_at = -math.inf
        self.dirty = False

    @property
    def offset(self) -> int:
        return (self.lo + self.hi) // 2

    @property
    def max_period(self) -> int:
        return (COUNTER_LIMIT - 1) >> self.exponent

    def period(self, unix_s: float) -> int:
        return period_at(unix_s, self.exponent, self.offset)


Hit = tuple[_Tag, int]


class EidResolver:
    def __init__(
        self, tags: Iterable[TagClock], *, now: float, window: int = 2, history: int = 8
    ) -> None:
        self.window = window
        self.history = history
        self.computed = 0  # EIDs computed so far: the table's whole upkeep
        self._now = now
        self._tags: dict[str, _Tag] = {}
        self._live: dict[bytes, Hit] = {}
        self._heap: list[tuple[float, int, str]] = []  # (next boundary, tie-break, tag)
        self._seq = itertools.count()
        self._past: OrderedDict[int, dict[bytes, Hit]] = OrderedDict()
        for clock in tags:
            tag = _Tag(clock)
            self._tags[tag.tag_id] = tag
            self._place(tag, now)

    def __len__(self) -> int:
        """Entries in the live table."""
        return len(self._live)

    @property
    def tags(self) -> int:
        return len(self._tags)

    def has(self, tag_id: str) -> bool:
        return tag_id in self._tags

    # -- the live table ------------------------------------------------------------------

    def _span(self, tag: _Tag, centre: int) -> range:
        first = max(centre - self.window - self.history, 0)
        last = min(centre + self.window, tag.max_period)
        return range(first, last + 1)

    def _place(self, tag: _Tag, now: float) -> None:
        """Make the tag's entries cover its span at ``now``; schedule its next slide."""
        centre = tag.period(now)
        span = self._span(tag, centre)
        for period in [p for p in tag.eids if p not in span]:
            eid = tag.eids.pop(period)
            held = self._live.get(eid)
            if held is not None and held[0] is tag:
                del self._live[eid]
        missing = [p for p in span if p not in tag.eids]
        if missing:
            for period, eid in zip(
                missing, eids_of_periods(tag.key, tag.exponent, missing), strict=True
            ):
                tag.eids[period] = eid
                # Two tags sharing an EID is a 1 in 2**64 event: the first keeps it.
                self._live.setdefault(eid, (tag, period))
            self.computed += len(missing)
        tag.next_at = float(((centre + 1) << tag.exponent) - tag.offset)
        heapq.heappush(self._heap, (tag.next_at, next(self._seq), tag.tag_id))

    def advance(self, now: float) -> int:
        """Time moved on to ``now``: slide the tags whose period ended. Returns the
        number of EIDs computed for it."""
        before = self.computed
        self._now = max(self._now, now)
        while self._heap and self._heap[0][0] <= now:
            at, _, tag_id = heapq.heappop(self._heap)
            tag = self._tags.get(tag_id)
            if tag is not None and at == tag.next_at:  # else: superseded by a re-centre
                self._place(tag, now)
        return self.computed - before

    # -- resolving -------------------------------------------------------------------------

    def resolve(self, eid: bytes, at: float) -> Resolution:
        """Whose is ``eid``, heard at Unix time ``at``?"""
        hit = self._live.get(eid)
        if hit is None and at < self._now - LATE_AFTER_S:
            hit = self._past_table(at).get(eid)
        if hit is None:
            return Resolution(Outcome.UNKNOWN)
        tag, period = hit
        expected = tag.period(at)
        if abs(period - expected) > self.window:
            return Resolution(
                Outcome.REPLAYED,
                tag.tag_id,
                period,
                f"the id of period {period} heard in period {expected} "
                f"(window: {self.window} either side)",
            )
        if at >= tag.latest_at and period < tag.latest_period - 1:
            return Resolution(
                Outcome.REPLAYED,
                tag.tag_id,
                period,
                f"the id of period {period} heard after period {tag.latest_period}",
            )
        self._learn(tag, period, at)
        return Resolution(Outcome.RESOLVED, tag.tag_id, period)

    def _learn(self, tag: _Tag, period: int, at: float) -> None:
        """A sighting of ``period`` at ``at``: the offset lies in what that allows."""
        if at >= tag.latest_at:
            tag.latest_at = at
            tag.latest_period = max(tag.latest_period, period)
        t = math.floor(at)
        lo_seen = (period << tag.exponent) - t - SKEW_S
        hi_seen = ((period + 1) << tag.exponent) - 1 - t + SKEW_S
        lo, hi = max(tag.lo, lo_seen), min(tag.hi, hi_seen)
        if lo > hi:  # the clock moved (drift, a battery change): start from this sighting
            lo, hi = lo_seen, hi_seen
        if (lo, hi) == (tag.lo, tag.hi):
            return
        centre = tag.period(self._now)
        tag.lo, tag.hi = lo, hi
        tag.dirty = True
        if tag.period(self._now) != centre:  # the window follows the tag's clock
            self._place(tag, self._now)

    def _past_table(self, at: float) -> dict[bytes, Hit]:
        """Every tag's EIDs around a stretch of the past (cached: late events come in runs)."""
        stretch = math.floor(at / HISTORIC_SPAN_S)
        table = self._past.get(stretch)
        if table is not None:
            self._past.move_to_end(stretch)
            return table
        table = {}
        start, end = stretch * HISTORIC_SPAN_S, (stretch + 1) * HISTORIC_SPAN_S
        for tag in self._tags.values():
            first = max(tag.period(start) - self.window, 0)
            last = min(tag.period(end) + self.window, tag.max_period)
            periods = range(first, last + 1)
            for period, eid in zip(
                periods, eids_of_periods(tag.key, tag.exponent, periods), strict=True
            ):
                table.setdefault(eid, (tag, period))
            self.computed += len(periods)
        self._past[stretch] = table
        if len(self._past) > HISTORIC_TABLES:
            self._past.popitem(last=False)
        return table

    # -- what others need ------------------------------------------------------------------

    def eids_between(self, tag_id: str, start: datetime, end: datetime) -> list[bytes]:
        """The EIDs ``tag_id`` may show from ``start`` to ``end``, with the drift window
        either side (what a gateway watching for it during a search needs)."""
        tag = self._tags.get(tag_id)
        if tag is None:
            raise KeyError(tag_id)
        if end < start:
            raise ValueError("the end of a time window comes before its start")
        first = max(tag.period(start.timestamp()) - self.window, 0)
        last = min(tag.period(end.timestamp()) + self.window, tag.max_period)
        return eids_of_periods(tag.key, tag.exponent, range(first, last + 1))

    def clock(self, tag_id: str) -> tuple[int, int]:
        """The offset range known for ``tag_id`` (counter minus Unix time)."""
        tag = self._tags[tag_id]
        return tag.lo, tag.hi

    def take_learned(self) -> list[tuple[str, int, int]]:
        """Clocks that changed since the last call: ``(tag_id, offset_lo, offset_hi)``."""
        changed = [t for t in self._tags.values() if t.dirty]
        for tag in changed:
            tag.dirty = False
        return [(t.tag_id, t.lo, t.hi) for t in changed]
