"""Monthly figures of cases (issue 16; the seeds evaluate a network by its reports):
reports by partner kind and by what was noticed, time to the first decision (median,
p90), cases opened, and cases closed by what was done, per care-centre area, over a
month of Japan's calendar. ``month_of_cases`` gives the raw counts (issue 19's town
figures reuse it); ``shown`` hides the small ones (``suppression.py``) for a page or
a CSV.
"""

from __future__ import annotations

import csv
import io
import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from mimamori.hub.figures.suppression import MIN_SHOWN, hide_small, hide_small_number
from mimamori.hub.store.port_figures import FigureStore

JAPAN = ZoneInfo("Asia/Tokyo")
_MONTH = re.compile(r"^(20[0-9]{2})-(0[1-9]|1[0-2])$")


@dataclass
class AreaCases:
    """One area's month, raw."""

    area: str
    by_kind: dict[str, int] = field(default_factory=dict)
    by_noticed: dict[str, int] = field(default_factory=dict)
    opened: int = 0
    closed: dict[str, int] = field(default_factory=dict)  # by what was decided
    decision_s: list[float] = field(default_factory=list)  # opening to first decision


@dataclass(frozen=True)
class ShownArea:
    """One area's month as shown: a hidden count is None."""

    area: str
    by_kind: dict[str, int | None]
    by_noticed: dict[str, int | None]
    opened: int | None
    closed: dict[str, int | None]
    decided: int | None  # how many cases the times are of
    median_h: float | None  # None: fewer than MIN_SHOWN cases decided
    p90_h: float | None


def parse_month(text: str) -> date | None:
    """``2031-05`` as its first day; None if it is not a month."""
    found = _MONTH.match(text)
    return date(int(found[1]), int(found[2]), 1) if found else None


def window(month: date) -> tuple[datetime, datetime]:
    """The month's first and next month's first midnight in Japan."""
    after = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return (
        datetime(month.year, month.month, 1, tzinfo=JAPAN),
        datetime(after.year, after.month, 1, tzinfo=JAPAN),
    )


def nearest_rank(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile by nearest rank: a time some case really took."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


async def month_of_cases(
    store: FigureStore, areas: Sequence[str] | None, month: date
) -> dict[str, AreaCases]:
    """Each area's raw figures of ``month`` (areas without a case are absent)."""
    since, until = window(month)
    found: dict[str, AreaCases] = {}

    def of(area: str) -> AreaCases:
        return found.setdefault(area, AreaCases(area))

    for area, kind, noticed, n in await store.report_counts(since, until, areas):
        got = of(area)
        got.by_kind[kind] = got.by_kind.get(kind, 0) + n
        got.by_noticed[noticed] = got.by_noticed.get(noticed, 0) + n
    for area, what, triage, n in await store.case_counts(since, until, areas):
        if what == "opened":
            of(area).opened += n
        else:
            of(area).closed[triage] = n
    for area, seconds in await store.decision_times(since, until, areas):
        of(area).decision_s.append(seconds)
    return found


def shown(raw: AreaCases) -> ShownArea:
    times, decided = raw.decision_s, len(raw.decision_s)
    enough = decided >= MIN_SHOWN
    return ShownArea(
        raw.area,
        hide_small(raw.by_kind),
        hide_small(raw.by_noticed),
        hide_small_number(raw.opened),
        hide_small(raw.closed),
        hide_small_number(decided),
        round(statistics.median(times) / 3600, 1) if enough else None,
        round(nearest_rank(times, 0.9) / 3600, 1) if enough else None,
    )


HIDDEN = "x"  # as Japan's statistics mark a hidden cell (秘匿): a small count, or its partner


def _cell(value: int | float | None) -> str:
    return HIDDEN if value is None else str(value)


def as_csv(month: date, areas: Sequence[ShownArea]) -> str:
    """One line per figure: month, area, figure, key, value (``x``: hidden)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["month", "area", "figure", "key", "value"])
    ym = f"{month:%Y-%m}"
    for a in areas:
        rows: list[tuple[str, str, int | float | None]] = [
            *(("reports_by_kind", k, v) for k, v in sorted(a.by_kind.items())),
            *(("reports_by_noticed", k, v) for k, v in sorted(a.by_noticed.items())),
            ("cases_opened", "", a.opened),
            *(("cases_closed", k, v) for k, v in sorted(a.closed.items())),
            ("cases_decided", "", a.decided),
        ]
        for figure, key, value in rows:
            writer.writerow([ym, a.area, figure, key, _cell(value)])
        for key, hours in (("median", a.median_h), ("p90", a.p90_h)):
            writer.writerow([ym, a.area, "hours_to_decision", key, "" if hours is None else hours])
    return out.getvalue()
