"""A receiver's day as a sparkline, drawn on the server (inline SVG: no script, no
CDN, the desk works on a closed municipal network).

The day is the 96 quarter hours up to the hub's now (``model/fleet.py`` ``RATE_BUCKET``),
each at its adverts per minute, scaled to the day's busiest quarter. A quarter the hub
took no minutes in (the gateway offline, or the hub not yet running) is a gap in the
line, not a zero: nobody knows what it heard. A quarter it heard nothing in is a zero,
and is marked in red under the line: a deaf spell is a red bar along the bottom.
Pure: buckets and now in, numbers for the template out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mimamori.hub.model.fleet import RATE_BUCKET, RateBucket, rate_bucket

SLOTS = 96  # a day of quarter hours
STEP = 2  # px a quarter: the line is 192 px wide, readable in a laptop's table cell
WIDTH = SLOTS * STEP
HEIGHT = 28
PAD = 3  # room for the line's width and the zeros' marks


@dataclass(frozen=True)
class Spark:
    segments: tuple[str, ...]  # each a polyline's points ("x,y x,y ..."), between gaps
    zeros: tuple[int, ...]  # x of each quarter heard nothing in
    peak: float  # the busiest quarter's adverts per minute (the top of the scale)
    quarters: int  # quarters with minutes taken in (of ``SLOTS``)
    width: int = WIDTH
    height: int = HEIGHT


def sparkline(day: tuple[RateBucket, ...] | list[RateBucket], now: datetime) -> Spark | None:
    """The sparkline of ``day`` (any order) ending at ``now``; None when nothing of
    the last day was taken in."""
    first = rate_bucket(now) - (SLOTS - 1) * RATE_BUCKET
    slots: dict[int, RateBucket] = {}
    for taken in day:
        i = round((taken.start - first) / RATE_BUCKET)
        if 0 <= i < SLOTS and taken.minutes > 0:
            slots[i] = taken
    if not slots:
        return None
    peak = max(b.per_min for b in slots.values())
    segments: list[str] = []
    zeros: list[int] = []
    points: list[str] = []
    for i in range(SLOTS + 1):
        bucket = slots.get(i)
        if bucket is None:
            if points:
                segments.append(" ".join(_widened(points)))
            points = []
            continue
        x = i * STEP + STEP // 2
        rise = bucket.per_min / peak if peak else 0.0
        # Whole pixels: a finer line is not seen at this height, and 500 rows of 96
        # points are a large page already (measured: see docs/desk.md).
        points.append(f"{x},{round(HEIGHT - PAD - rise * (HEIGHT - 2 * PAD))}")
        if bucket.adverts == 0:
            zeros.append(i * STEP)
    return Spark(tuple(segments), tuple(zeros), peak, len(slots))


def _widened(points: list[str]) -> list[str]:
    """A lone quarter is a short dash (a polyline of one point draws nothing)."""
    if len(points) > 1:
        return points
    x, y = points[0].split(",")
    return [f"{int(x) - 1},{y}", f"{int(x) + 1},{y}"]
