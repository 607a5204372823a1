"""The fleet's map: each gateway a dot at its place, coloured by its health.

Drawn on the server as SVG, not on map tiles: a municipal network is often closed to
the tile servers, and a technician looking for the red dots needs where they are among
the others more than the streets (the watch point's page has its address). No script.

The projection is equirectangular around the fleet's middle latitude (a town is a few
kilometres across: the error is far under a dot's size), fitted into a fixed frame
with a margin, north up. The worst health is drawn last, on top of the well.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from mimamori.hub.desk.fleet import HEALTHS, FleetRow

WIDTH, HEIGHT = 800, 500
MARGIN = 24  # px: a dot (radius ``RADIUS``) at the edge stays whole
RADIUS = 8


@dataclass(frozen=True)
class Dot:
    row: FleetRow
    x: float
    y: float


@dataclass(frozen=True)
class FleetMap:
    dots: tuple[Dot, ...]  # the best first, the worst last (on top)
    counts: dict[str, int]  # by health, in ``HEALTHS``' order, only those present
    width: int = WIDTH
    height: int = HEIGHT
    radius: int = RADIUS


def layout(rows: list[FleetRow]) -> FleetMap:
    if not rows:
        return FleetMap((), {})
    lats = [r.entry.lat for r in rows]
    lons = [r.entry.lon for r in rows]
    squeeze = math.cos(math.radians((min(lats) + max(lats)) / 2))  # a degree of longitude
    span_x = (max(lons) - min(lons)) * squeeze
    span_y = max(lats) - min(lats)
    room_x, room_y = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN
    scale = min(room_x / span_x if span_x else math.inf, room_y / span_y if span_y else math.inf)
    scale = 0.0 if math.isinf(scale) else scale  # one place: every dot in the middle
    # Centred: the fleet's box in the middle of the frame.
    left = (WIDTH - span_x * scale) / 2
    top = (HEIGHT - span_y * scale) / 2
    worst_last = sorted(rows, key=lambda r: (-HEALTHS.index(r.health), r.entry.id))
    dots = tuple(
        Dot(
            r,
            round(left + (r.entry.lon - min(lons)) * squeeze * scale, 1),
            round(top + (max(lats) - r.entry.lat) * scale, 1),
        )
        for r in worst_last
    )
    counted = Counter(r.health for r in rows)
    return FleetMap(dots, {h: counted[h] for h in HEALTHS if counted[h]})
