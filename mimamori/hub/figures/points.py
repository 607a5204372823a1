"""A map of the watch points by activity (issue 19), drawn as SVG on the server as the
charts are (``chart.py``: no map library, no tiles, no CDN, no script): each watch
point at its position, coloured by its uptime over the year, numbered as the table
under the map, which carries the same numbers: its uptime and the tags' arrivals
recorded there. No person is shown; the arrivals, counts of people passing, are
hidden by the one rule (``suppression.py``) across the points of the map."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from mimamori.hub.figures.cases import HIDDEN
from mimamori.hub.figures.people import uptime_by_point
from mimamori.hub.figures.suppression import hide_small
from mimamori.hub.figures.table import Cell, Column, Item, Listing
from mimamori.hub.store.port_figures import FigureStore
from mimamori.protocol.events import EventKind

# Uptime bands of the year, best first. 99 % up is under 88 hours down in a year
# (about what a point loses to a weekend's outage a quarter); under 95 % (18 days
# down) a technician should look (docs/figures.md).
BANDS = (("high", 99.0, "#2f855a"), ("mid", 95.0, "#b7791f"), ("low", 0.0, "#c53030"))
UNKNOWN = ("unknown", "#a0aec0")  # never heard of in the year
COLUMNS = (
    Column("name", "text"),
    Column("area", "text"),
    Column("lat", "degrees"),
    Column("lon", "degrees"),
    Column("uptime", "percent"),
    Column("band", "text"),
    Column("arrivals", "count"),
)
WIDTH, HEIGHT, MARGIN, LEGEND = 640, 420, 28, 150


def band_of(uptime: float | None) -> str:
    if uptime is None:
        return UNKNOWN[0]
    return next(name for name, floor, _ in BANDS if uptime >= floor)


COLOURS = {name: colour for name, _, colour in BANDS} | {UNKNOWN[0]: UNKNOWN[1]}


async def point_listing(
    store: FigureStore, areas: Sequence[str] | None, edges: Sequence[datetime], now: datetime
) -> Listing:
    uptimes = await uptime_by_point(store, areas, edges, now)
    rows = await store.watch_point_activity(edges[0], edges[-1], areas, EventKind.TAG_ARRIVED)
    arrivals = hide_small({gid: n for gid, *_, n in rows})
    items = []
    for gid, name, area, lat, lon, _n in rows:
        got = uptimes.get(gid)
        uptime = None if got is None else got.year()
        cells: tuple[Cell, ...] = (name, area, lat, lon, uptime, band_of(uptime), arrivals[gid])
        items.append(Item(gid, cells))
    return Listing("watch_points_map", COLUMNS, tuple(items))


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    number: int  # as the table numbers the point
    key: str
    band: str
    colour: str
    title: str  # what the dot says when pointed at: the table's numbers


@dataclass(frozen=True)
class Key:
    band: str
    colour: str
    points: int  # watch points in the band (machines: never hidden)


@dataclass(frozen=True)
class PointsMap:
    dots: tuple[Dot, ...]
    legend: tuple[Key, ...]
    width: int = WIDTH
    height: int = HEIGHT
    legend_x: int = WIDTH - LEGEND


def draw(listing: Listing) -> PointsMap | None:
    """The map of ``listing`` (``point_listing``'s), or None with no point. Positions
    are projected equirectangular (a town is a few km across: the error is nothing a
    reader sees), longitude shrunk by the cosine of the middle latitude, and fitted
    into the drawing with the aspect kept."""
    if not listing.items:
        return None
    lat_at, lon_at = listing.column("lat"), listing.column("lon")
    band_at, up_at, n_at = (
        listing.column("band"),
        listing.column("uptime"),
        listing.column("arrivals"),
    )
    lats = [float(i.cells[lat_at] or 0) for i in listing.items]
    lons = [float(i.cells[lon_at] or 0) for i in listing.items]
    shrink = math.cos(math.radians((min(lats) + max(lats)) / 2))
    span_x = (max(lons) - min(lons)) * shrink or 1e-9
    span_y = (max(lats) - min(lats)) or 1e-9
    box_w, box_h = WIDTH - LEGEND - 2 * MARGIN, HEIGHT - 2 * MARGIN
    scale = min(box_w / span_x, box_h / span_y)
    off_x = MARGIN + (box_w - span_x * scale) / 2
    off_y = MARGIN + (box_h - span_y * scale) / 2
    dots = []
    for number, (item, lat, lon) in enumerate(zip(listing.items, lats, lons, strict=True), 1):
        band = str(item.cells[band_at])
        up, n = item.cells[up_at], item.cells[n_at]
        shown_up, shown_n = "—" if up is None else up, HIDDEN if n is None else n
        title = f"{number}. {item.cells[0]}: {shown_up} % · {shown_n}"
        dots.append(Dot(off_x + (lon - min(lons)) * shrink * scale,
                        off_y + (max(lats) - lat) * scale, number, item.key, band,
                        COLOURS[band], title))  # fmt: skip
    names = [name for name, _, _ in BANDS] + [UNKNOWN[0]]
    legend = tuple(Key(b, COLOURS[b], sum(d.band == b for d in dots)) for b in names)
    return PointsMap(tuple(dots), legend)
