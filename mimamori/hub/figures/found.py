"""Found-person QR stickers in the town's figures (issue 19; issue 18's scheme is
judged by how often it is used, 通報件数での評価): the stickers scanned and the
finders' reports (保護しています) by month, by the area of the person whose sticker it
was."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from mimamori.hub.figures.table import MONTHS, Family, counted
from mimamori.hub.store.port_figures import FigureStore

FOUND_KEYS = ("scans", "finder_reports")


async def found_families(
    store: FigureStore, areas: Sequence[str] | None, edges: Sequence[datetime]
) -> list[Family]:
    counts = {k: [0] * MONTHS for k in FOUND_KEYS}
    for month, what, n in await store.found_counts(edges, areas):
        counts[what][month] += n
    # Two tables: a report is not a part of the scans (a finder may write on a scan of
    # the month before), and a small count of one would hide the other.
    return [
        counted("qr_scans", {"scans": counts["scans"]}, chart="scans"),
        counted("finder_reports", {"finder_reports": counts["finder_reports"]},
                chart="finder_reports"),
    ]  # fmt: skip
