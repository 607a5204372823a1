"""Searches for a missing person in the town's figures (issue 19; seed 000's 平均発見
日数): started, found, and the time to find (median, longest), by the month each
search started and its person's area."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from mimamori.hub.figures.table import MONTHS, Family, counted, timed
from mimamori.hub.store.port_figures import FigureStore


async def search_families(
    store: FigureStore, areas: Sequence[str] | None, edges: Sequence[datetime]
) -> list[Family]:
    counts = {"started": [0] * MONTHS, "found": [0] * MONTHS}
    times: list[list[float]] = [[] for _ in range(MONTHS)]
    for month, state, seconds in await store.search_rows(edges, areas):
        counts["started"][month] += 1
        if state == "found":
            counts["found"][month] += 1
        if seconds is not None:
            times[month].append(seconds)
    return [
        counted("searches", counts, chart="started"),
        Family("find_hours", "hours", tuple(timed("hours", times, ("median", "max")))),
    ]
