"""The town's figures as tables (issue 19): a family of figures (alerts by kind,
searches...) is rows of one value per month of a fiscal year (年度: April to March,
the year a town reports and budgets by) and one for the year. Small counts are hidden
here, once, by ``suppression.py``'s rule, so the page, the CSV and the XLSX show the
same cells."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from mimamori.hub.figures.cases import window
from mimamori.hub.figures.suppression import MIN_SHOWN, hide_small

MONTHS = 12
Value = int | float | None  # None: hidden (a small count), or not known
Unit = Literal["count", "percent", "minutes", "hours"]
ListUnit = Literal["count", "percent", "minutes", "text", "degrees"]
Cell = int | float | str | None  # a listing's cell; None: hidden (a count) or not known
Stat = Literal["median", "p90", "max"]


@dataclass(frozen=True)
class Row:
    key: str
    months: tuple[Value, ...]  # the year's months in order, April first
    year: Value


@dataclass(frozen=True)
class Family:
    name: str  # its id: the catalogue's ``fig_<name>``, the CSV's column, the sheet
    unit: Unit
    rows: tuple[Row, ...]
    chart: str | None = None  # the row drawn as bars by month
    monthly: bool = True  # False: a count of now (the register), the year column only


@dataclass(frozen=True)
class Column:
    key: str  # its id: the catalogue's ``fcol_<key>``, the CSV's key
    unit: ListUnit


@dataclass(frozen=True)
class Item:
    key: str  # what the line is of (a roll-call's number, a watch point's id)
    cells: tuple[Cell, ...]  # one per column


@dataclass(frozen=True)
class Listing:
    """Figures that are not by month: one line per thing of the year (a roll-call, a
    watch point), a cell per column; counts hidden by the one rule, line by line."""

    name: str  # its id: the catalogue's ``fam_<name>``, the CSV's family, the sheet
    columns: tuple[Column, ...]
    items: tuple[Item, ...]

    def column(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)


def fiscal_months(fy: int) -> list[date]:
    """The first days of 年度 ``fy``'s months: April ``fy`` to March ``fy + 1``."""
    return [date(fy + (m + 3) // 12, (m + 3) % 12 + 1, 1) for m in range(MONTHS)]


def edges(fy: int) -> list[datetime]:
    """The 13 midnights in Japan that bound 年度 ``fy``'s months."""
    firsts = fiscal_months(fy)
    return [window(m)[0] for m in firsts] + [window(firsts[-1])[1]]


def fiscal_year_of(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def counted(family: str, by_month: Mapping[str, Sequence[int]], chart: str | None) -> Family:
    """A family of counts (``key -> 12 months``) with its year's totals, each column
    (a month, the year) hidden by the one rule: ``hide_small``."""
    keys = list(by_month)
    columns = [hide_small({k: by_month[k][m] for k in keys}) for m in range(MONTHS)]
    year = hide_small({k: sum(by_month[k]) for k in keys})
    rows = tuple(Row(k, tuple(c[k] for c in columns), year[k]) for k in keys)
    return Family(family, "count", rows, chart)


def nearest_rank(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile by nearest rank: a time that really happened."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def stat(values: Sequence[float], how: Stat, scale: float) -> Value:
    """A time statistic in ``scale`` seconds, one decimal; None (not shown) under
    ``MIN_SHOWN`` values: the longest of two searches is one person's."""
    if len(values) < MIN_SHOWN:
        return None
    got = {
        "median": lambda: statistics.median(values),
        "p90": lambda: nearest_rank(values, 0.9),
        "max": lambda: max(values),
    }[how]()
    return round(got / scale, 1)


def timed(unit: Unit, times: Sequence[Sequence[float]], stats: Sequence[Stat]) -> list[Row]:
    """Rows of time statistics (``median``, ``p90``, ``max``) over each month's times."""
    scale = 60.0 if unit == "minutes" else 3600.0
    whole = [t for month in times for t in month]
    return [
        Row(how, tuple(stat(m, how, scale) for m in times), stat(whole, how, scale))
        for how in stats
    ]


def rate(part: int, whole: int) -> Value:
    """``part`` of ``whole`` in percent, one decimal; None under ``MIN_SHOWN``."""
    return None if whole < MIN_SHOWN else round(100 * part / whole, 1)
