"""Where a simulated town's gateways, homes and tag carriers are: around Ginowan.

Pure and seeded: the same sizes and seed give the same town. Positions are kept in
local metres (east, north of the town's centre), where distances are a ``hypot``;
latitude and longitude are worked out only for the hub's registry. Over a few
kilometres the flat-earth error is far below the radio's own scatter.

Watch points (vending machines, shops) stand on a jittered grid, so each has
neighbours a street or two away; homes and the tag carriers' homes are anywhere.
A grid index answers "which gateways are within hearing of this point" from the
nine cells around it, so a tick costs what is near each tag, not the whole town.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field

from mimamori.firmware_sim.radio import EARTH_RADIUS_M

# Ginowan city hall, by the demo's street (mimamori/demo): the middle of the town.
CENTRE = (26.2815, 127.7785)
# Ginowan covers 19.8 km²; a town of 2,000 watch points on it has one about every
# 100 m. Smaller runs keep that density on a smaller square.
GINOWAN_KM2 = 19.8
REFERENCE_GATEWAYS = 2000
CELL_M = 60.0  # grid cell; hearing is cut at HEAR_M <= CELL_M, so 3 x 3 cells cover it
JITTER = 0.4  # share of the grid spacing a watch point strays from its grid point

XY = tuple[float, float]


def default_area_km2(gateways: int) -> float:
    return GINOWAN_KM2 * gateways / REFERENCE_GATEWAYS


def to_lat_lon(xy: XY) -> tuple[float, float]:
    """Local metres (east, north of CENTRE) to degrees, rounded to ~1 m."""
    lat0 = math.radians(CENTRE[0])
    lat = CENTRE[0] + math.degrees(xy[1] / EARTH_RADIUS_M)
    lon = CENTRE[1] + math.degrees(xy[0] / (EARTH_RADIUS_M * math.cos(lat0)))
    return round(lat, 6), round(lon, 6)


@dataclass(frozen=True)
class Place:
    id: str
    xy: XY


@dataclass
class Grid:
    """Points by cell, for "what is near here" without looking at the whole town."""

    cell_m: float = CELL_M
    _cells: dict[tuple[int, int], list[int]] = field(default_factory=lambda: defaultdict(list))

    def _cell(self, xy: XY) -> tuple[int, int]:
        return math.floor(xy[0] / self.cell_m), math.floor(xy[1] / self.cell_m)

    def add(self, index: int, xy: XY) -> None:
        self._cells[self._cell(xy)].append(index)

    def near(self, xy: XY, rings: int = 1) -> list[int]:
        """Indexes in the cells within ``rings`` of ``xy``'s cell (covers rings * cell_m)."""
        cx, cy = self._cell(xy)
        found: list[int] = []
        for dx in range(-rings, rings + 1):
            for dy in range(-rings, rings + 1):
                found.extend(self._cells.get((cx + dx, cy + dy), ()))
        return found


@dataclass(frozen=True)
class Town:
    watch_points: list[Place]  # vending machines and shops: receivers, tags heard
    homes: list[Place]  # one home gateway per household (a check-in button)
    carrier_homes: list[XY]  # where each tag's carrier lives
    side_m: float
    grid: Grid  # indexes into watch_points

    def nearest(self, xy: XY, k: int, exclude: int | None = None) -> list[int]:
        """The ``k`` watch points nearest ``xy`` (fewer if the town has fewer)."""
        want = min(k, len(self.watch_points) - (exclude is not None))
        rings = 1
        while True:
            found = [i for i in self.grid.near(xy, rings) if i != exclude]
            # Enough inside the square the rings cover: the k nearest are among them
            # once the k-th is no further than the rings' inner radius.
            found.sort(key=lambda i: _dist(xy, self.watch_points[i].xy))
            reach = rings * self.grid.cell_m
            if len(found) >= want and (
                want == 0 or _dist(xy, self.watch_points[found[want - 1]].xy) <= reach
            ):
                return found[:want]
            if reach > 2 * self.side_m:
                return found[:want]
            rings *= 2


def _dist(a: XY, b: XY) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def place_town(gateways: int, households: int, tags: int, area_km2: float, seed: int) -> Town:
    rng = random.Random(seed)
    side = math.sqrt(area_km2) * 1000.0
    half = side / 2
    cols = max(1, math.ceil(math.sqrt(gateways)))
    rows = max(1, math.ceil(gateways / cols))
    step_x, step_y = side / cols, side / rows
    spots = [(c, r) for r in range(rows) for c in range(cols)]
    rng.shuffle(spots)  # with fewer gateways than grid points, leave random holes
    watch_points = []
    grid = Grid()
    for n, (c, r) in enumerate(sorted(spots[:gateways], key=lambda s: (s[1], s[0]))):
        x = -half + (c + 0.5 + rng.uniform(-JITTER, JITTER)) * step_x
        y = -half + (r + 0.5 + rng.uniform(-JITTER, JITTER)) * step_y
        watch_points.append(Place(f"gw-v{n:05d}", (x, y)))
        grid.add(n, (x, y))

    def anywhere() -> XY:
        return rng.uniform(-half, half), rng.uniform(-half, half)

    homes = [Place(f"gw-h{n:05d}", anywhere()) for n in range(households)]
    carriers = [anywhere() for _ in range(tags)]
    return Town(watch_points, homes, carriers, side, grid)
