"""Bars by month as SVG, drawn on the server (issue 19): the page needs no chart
library and no CDN, prints as it shows, and the numbers it draws are the table's
under it. One bar per month; a hidden or unknown month has no bar and says ``x`` or
``—``."""

from __future__ import annotations

from dataclasses import dataclass

from mimamori.hub.figures.cases import HIDDEN
from mimamori.hub.figures.table import Family, Value

WIDTH, HEIGHT = 640, 220
LEFT, BOTTOM, TOP = 44, 28, 18
BAR_GAP = 0.3  # of a month's width


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # the month, as the page says it
    value: str  # as the table shows it


@dataclass(frozen=True)
class Chart:
    """What the template draws: bars and the top of the scale."""

    bars: tuple[Bar, ...]
    top: float
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    base: int = HEIGHT - BOTTOM


def _nice_top(high: float, unit: str) -> float:
    """The scale's top: 100 for percents, else the first of 5, 10, 20, 50, 100... that
    holds the highest bar."""
    if unit == "percent":
        return 100.0
    top = 5.0
    while top < high:
        top *= 2.5 if str(top)[0] == "2" else 2
    return top


def _text(value: Value, unit: str) -> str:
    if value is None:
        return HIDDEN if unit == "count" else "—"
    return f"{value:g}"


def bars(family: Family, labels: list[str]) -> Chart | None:
    """The chart of ``family``'s chart row, or None if it has none."""
    row = next((r for r in family.rows if r.key == family.chart), None)
    if row is None or not family.monthly:
        return None
    numbers = [v for v in row.months if v is not None]
    top = _nice_top(max(numbers, default=0), family.unit)
    slot = (WIDTH - LEFT - 8) / len(row.months)
    span = HEIGHT - BOTTOM - TOP
    drawn = []
    for i, (value, label) in enumerate(zip(row.months, labels, strict=True)):
        h = 0.0 if value is None else span * min(value, top) / top
        drawn.append(
            Bar(LEFT + i * slot + slot * BAR_GAP / 2, HEIGHT - BOTTOM - h, slot * (1 - BAR_GAP),
                h, label, _text(value, family.unit))
        )  # fmt: skip
    return Chart(tuple(drawn), top)
