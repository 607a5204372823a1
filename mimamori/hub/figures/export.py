"""The town's figures for the city's reports (issue 19): CSV (one line per cell, UTF-8
with a BOM so Excel in Japan reads it) and XLSX (openpyxl: one sheet per family,
months across; a sheet per listing, a line per roll-call or watch point). Both carry
exactly the cells the page shows: a hidden count is ``x`` (秘匿, as Japan's statistics
mark one), a time not shown is empty."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from mimamori.hub.figures.cases import HIDDEN
from mimamori.hub.figures.table import Cell, Column, Family, Listing, Value
from mimamori.hub.figures.town import TownFigures

YEAR = "year"


def cell(family: Family, value: Value) -> str | int | float:
    """A value as exported: a hidden count ``x``; a statistic not shown, empty."""
    if value is None:
        return HIDDEN if family.unit == "count" else ""
    return value


def listed(column: Column, value: Cell) -> str | int | float:
    """A listing's cell as exported, by the same rule as ``cell``."""
    if value is None:
        return HIDDEN if column.unit == "count" else ""
    return value


def columns(figures: TownFigures) -> list[str]:
    return [f"{m:%Y-%m}" for m in figures.months] + [f"FY{figures.fy}"]


def as_csv(figures: TownFigures) -> bytes:
    """``fiscal_year, area, family, unit, key, period, value``: one line per cell
    (``period``: ``2031-04`` ... or ``FY2031`` for the year; in a listing, the line's
    item: a roll-call's number, a watch point's id)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["fiscal_year", "area", "family", "unit", "key", "period", "value"])
    area = figures.area or "all"
    heads = columns(figures)
    for family in figures.families:
        for row in family.rows:
            values = [*row.months, row.year] if family.monthly else [row.year]
            periods = heads if family.monthly else [heads[-1]]
            for period, value in zip(periods, values, strict=True):
                writer.writerow(
                    [figures.fy, area, family.name, family.unit, row.key, period,
                     cell(family, value)]
                )  # fmt: skip
    for listing in figures.listings:
        for item in listing.items:
            for column, got in zip(listing.columns, item.cells, strict=True):
                writer.writerow([figures.fy, area, listing.name, column.unit, column.key,
                                 item.key, listed(column, got)])  # fmt: skip
    return out.getvalue().encode("utf-8-sig")  # the BOM: Excel reads it as UTF-8


def as_xlsx(figures: TownFigures, titles: dict[str, str]) -> bytes:
    """One sheet per family: a row per key, a column per month and the year.
    ``titles``: each family's title in the reader's language (the sheet's first cell)."""
    book = Workbook()
    book.remove(book.active)
    heads = columns(figures)
    for family in figures.families:
        sheet = book.create_sheet(family.name[:31])  # Excel's limit on a sheet's name
        sheet.append([titles.get(family.name, family.name), f"area: {figures.area or 'all'}",
                      f"unit: {family.unit}"])  # fmt: skip
        sheet.append(["key", *(heads if family.monthly else heads[-1:])])
        for row in family.rows:
            values = [*row.months, row.year] if family.monthly else [row.year]
            sheet.append([row.key, *(cell(family, v) for v in values)])
    for listing in figures.listings:
        _listing_sheet(book.create_sheet(listing.name[:31]), figures, listing, titles)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _listing_sheet(
    sheet: Worksheet, figures: TownFigures, listing: Listing, titles: dict[str, str]
) -> None:
    """A line per item (roll-call, watch point), a column per figure."""
    sheet.append([titles.get(listing.name, listing.name), f"area: {figures.area or 'all'}"])
    sheet.append(["key", *(c.key for c in listing.columns)])
    for item in listing.items:
        sheet.append(
            [item.key, *(listed(c, v) for c, v in zip(listing.columns, item.cells, strict=True))]
        )
