"""Who and what is watched (issue 19): people by how they are watched and households
and watch points, as the register holds them now (it keeps no count by month), and
each month's uptime of the watch points, from the ``gateway.online``/``offline``
events the hub records when one comes or goes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from mimamori.hub.figures.suppression import hide_small
from mimamori.hub.figures.table import MONTHS, Family, Row, Value
from mimamori.hub.model.events import GATEWAY_OFFLINE, GATEWAY_ONLINE
from mimamori.hub.store.port_figures import FigureStore
from mimamori.protocol.timefmt import to_epoch_ms

# The people watched, and of them by a kind of watching: a tag, a home button (a home
# gateway), a LINE check-in of their own that has started (hub/checkins/line.py).
PEOPLE_KEYS = ("people", "tag", "home", "line_checkin")
PLACE_KEYS = ("households", "watch_points")


def _now_only(name: str, counts: dict[str, int], keys: Sequence[str]) -> Family:
    shown = hide_small({k: counts[k] for k in keys})
    rows = tuple(Row(k, (None,) * MONTHS, shown[k]) for k in keys)
    return Family(name, "count", rows, monthly=False)


async def register_families(store: FigureStore, areas: Sequence[str] | None) -> list[Family]:
    counts = await store.register_counts(areas)
    return [_now_only("people", counts, PEOPLE_KEYS), _now_only("places", counts, PLACE_KEYS)]


def _spans(
    start: bool | None, moves: Sequence[tuple[int, str]], since: int, until: int
) -> list[tuple[int, int, bool]]:
    """A watch point's [from, to) spans of being up (True) or down; a span whose state
    is not known (never heard of) is left out."""
    state = start
    if state is None and moves:
        # No transition before: the first one says what it was (the hub records
        # ``online`` only when it was offline).
        state = moves[0][1] != GATEWAY_ONLINE
    spans, at = [], since
    for when, kind in moves:
        if state is not None and when > at:
            spans.append((at, when, state))
        state, at = kind == GATEWAY_ONLINE, max(at, when)
    if state is not None and until > at:
        spans.append((at, until, state))
    return spans


@dataclass(frozen=True)
class Uptime:
    """One watch point's time up and time known (ms) in each month of the period."""

    up: list[int]
    known: list[int]

    def year(self) -> Value:
        return pct(sum(self.up), sum(self.known))


def pct(up: int, known: int) -> Value:
    return round(100 * up / known, 1) if known else None


async def uptime_by_point(
    store: FigureStore, areas: Sequence[str] | None, edges: Sequence[datetime], now: datetime
) -> dict[str, Uptime]:
    """Each watch point of ``areas``'s time up and known by month (none after ``now``)."""
    ms = [to_epoch_ms(e) for e in edges]
    until = min(ms[-1], to_epoch_ms(now))
    kinds = [GATEWAY_ONLINE, GATEWAY_OFFLINE]
    starts, moves = await store.watch_point_spans(edges[0], edges[-1], areas, kinds)
    by_point: dict[str, list[tuple[int, str]]] = {}
    for gid, at, kind in moves:
        if at < until:
            by_point.setdefault(gid, []).append((at, kind))
    found = {}
    for gid, last, online_now in starts:
        up, known = [0] * MONTHS, [0] * MONTHS
        start = None if last is None else last == GATEWAY_ONLINE
        if start is None and gid not in by_point and online_now is not None:
            start = bool(online_now)  # no change since before the year: as it is now
        for begin, end, is_up in _spans(start, by_point.get(gid, []), ms[0], until):
            for m in range(MONTHS):
                overlap = min(end, ms[m + 1]) - max(begin, ms[m])
                if overlap > 0:
                    known[m] += overlap
                    up[m] += overlap if is_up else 0
        found[gid] = Uptime(up, known)
    return found


async def uptime_family(
    store: FigureStore, areas: Sequence[str] | None, edges: Sequence[datetime], now: datetime
) -> Family:
    """Each month's share of time the area's watch points were up, in percent (one
    decimal), of the time each was known; none for months not begun."""
    points = (await uptime_by_point(store, areas, edges, now)).values()
    up = [sum(p.up[m] for p in points) for m in range(MONTHS)]
    known = [sum(p.known[m] for p in points) for m in range(MONTHS)]
    months = tuple(pct(u, k) for u, k in zip(up, known, strict=True))
    row = Row("uptime", months, pct(sum(up), sum(known)))
    return Family("uptime", "percent", (row,), chart="uptime")
