"""Issue 19's figures at the desk, in a real headless Chromium at desktop size: staff
of the north see their area's year as bars by month with the table of numbers under
each chart, the year's roll-calls and the map of watch points with its table, and
download the same numbers as CSV (UTF-8 with a BOM) and XLSX, read
back with the csv module and openpyxl; another area's figures are refused (403), a
year that is not one gets 422 and a Japanese message.
One browser test, on SQLite only: the counting itself is checked on both engines by
``test_town_store.py``."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.async_api import Browser, Page

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.figures.cases import HIDDEN
from mimamori.hub.figures.export import listed
from mimamori.hub.figures.table import Family, Listing, Value, fiscal_months
from mimamori.hub.figures.town import count_listings, count_town
from tests.hub.access.test_areas import NORTH, SOUTH
from tests.hub.figures.expect import check_year
from tests.hub.figures.expect_more import check_more
from tests.hub.figures.year import FY, NOW, generate, store_year, town
from tests.hub.figures.year_more import generate_more, store_more
from tests.hub.helpers import hub_document, import_register_of, open_test_store, running_hub
from tests.hub.web.browser import sign_in_as_staff

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]
DESKTOP = {"width": 1366, "height": 900}


def text(family: Family, value: Value) -> str:
    """A cell as the page and the CSV write it."""
    if value is None:
        return HIDDEN if family.unit == "count" else ""
    return str(value)


def exported(listing: Listing) -> dict[tuple[str, str, str], str]:
    """A listing's cells as the CSV writes them: (listing, column, item) -> text."""
    return {
        (listing.name, c.key, item.key): str(listed(c, v))
        for item in listing.items
        for c, v in zip(listing.columns, item.cells, strict=True)
    }


async def check_listings(page: Page, listings: tuple[Listing, ...]) -> None:
    """Each listing's table says its cells, and the map draws each point once."""
    for listing in listings:
        section = page.locator(f"section[data-listing={listing.name}]")
        assert await section.locator("tbody tr[data-key]").count() == len(listing.items)
        for item in listing.items:
            cells = section.locator(f"tr[data-key='{item.key}'] td")
            values = await cells.evaluate_all("cells => cells.map(c => c.dataset.value)")
            assert values == ["" if v is None else str(v) for v in item.cells], item.key
            said = await cells.all_inner_texts()
            for c, v, shown in zip(listing.columns, item.cells, said, strict=True):
                if c.unit == "count":
                    assert shown == (HIDDEN if v is None else str(v)), (item.key, c.key)
    points = page.locator("svg.points-map g.point")
    keys = await points.evaluate_all("dots => dots.map(d => d.dataset.key)")
    listing = next(x for x in listings if x.name == "watch_points_map")
    assert keys == [i.key for i in listing.items]
    bands = await points.evaluate_all("dots => dots.map(d => d.dataset.band)")
    assert bands == [i.cells[listing.column("band")] for i in listing.items]
    legend = page.locator("svg.points-map g.legend")
    counts = await legend.evaluate_all("keys => keys.map(k => Number(k.dataset.points))")
    assert sum(counts) == len(listing.items)
    box = await points.first.locator("circle").bounding_box()
    assert box is not None and box["width"] > 10  # drawn, and seen at this size


def check_listing_sheets(book: Any, listings: tuple[Listing, ...]) -> None:
    """A sheet per listing, a line per item, read back as written (empty: None)."""
    for listing in listings:
        rows = list(book[listing.name].iter_rows(values_only=True))
        assert rows[1] == ("key", *(c.key for c in listing.columns))
        for item, sheet_row in zip(listing.items, rows[2:], strict=True):
            written = [listed(c, v) for c, v in zip(listing.columns, item.cells, strict=True)]
            assert list(sheet_row) == [item.key, *(w if w != "" else None for w in written)]


async def test_staff_see_their_areas_year_as_charts_and_download_the_same_numbers(
    own_broker: PrivateBroker, browser: Browser, tmp_path: Path
) -> None:
    doc = hub_document(tmp_path, own_broker.port, 0)
    town(doc)
    year, more = generate(doc), generate_more(doc)
    store = await open_test_store(tmp_path)  # the year is there before the hub starts
    try:
        await import_register_of(store, doc, lambda: NOW)
        await store_year(tmp_path, store, year)
        await store_more(tmp_path, more)
    finally:
        await store.close()
    async with running_hub(own_broker, tmp_path, town, clock=lambda: NOW) as hub:
        await hub.account("kinjo", "staff", areas=(NORTH,))
        channels = {r.id: r.channels for r in hub.state.registry.recipients.values()}
        families = await count_town(hub.state.store, [NORTH], FY, NOW, channels)
        listings = await count_listings(hub.state.store, [NORTH], FY, NOW)
        check_year(families, year, doc, [NORTH])  # what the page must show is right
        check_more(families, listings, year, more, [NORTH])
        assert all(x.items for x in listings)
        context = await browser.new_context(viewport=DESKTOP, locale="ja-JP")
        page = await sign_in_as_staff(hub, context, "kinjo")
        await page.goto(f"{hub.url}/desk/figures?fy={FY}")
        assert "2031年度" in await page.locator("#town-heading").inner_text()
        charted = [f for f in families if f.chart and f.monthly]
        await page.locator("svg.chart").nth(len(charted) - 1).wait_for()
        assert await page.locator("svg.chart").count() == len(charted)
        for family in families:
            section = page.locator(f"section[data-family={family.name}]")
            for row in family.rows:
                cells = section.locator(f"tr[data-key='{row.key}'] td")
                want = [*row.months, row.year] if family.monthly else [row.year]
                shown = await cells.all_inner_texts()
                assert shown == [text(family, v) or "—" for v in want], (family.name, row.key)
            if family in charted:
                bars = section.locator("svg.chart g.bar")
                chart_row = next(r for r in family.rows if r.key == family.chart)
                values = await bars.evaluate_all("bars => bars.map(b => b.dataset.value)")
                assert values == [text(family, v) or "—" for v in chart_row.months]
        alerts = page.locator("section[data-family=alerts_by_kind] svg.chart rect")
        box = await alerts.nth(4).bounding_box()
        assert box is not None and box["height"] > 0  # drawn, and seen at this size
        await check_listings(page, listings)

        got = await page.request.get(f"{hub.url}/desk/figures.csv?fy={FY}")
        assert got.ok and got.headers["content-type"].startswith("text/csv")
        body = await got.body()
        assert body.startswith(b"\xef\xbb\xbf")  # the BOM Excel in Japan needs
        lines = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
        cells = {(r["family"], r["key"], r["period"]): r["value"] for r in lines}
        periods = [f"{m:%Y-%m}" for m in fiscal_months(FY)] + [f"FY{FY}"]
        expected: dict[tuple[str, str, str], str] = {}
        for family in families:
            for row in family.rows:
                pairs = zip(periods, [*row.months, row.year], strict=True)
                for period, value in pairs if family.monthly else [(periods[-1], row.year)]:
                    expected[(family.name, row.key, period)] = text(family, value)
        for listing in listings:
            expected |= exported(listing)
        assert cells == expected

        got = await page.request.get(f"{hub.url}/desk/figures.xlsx?fy={FY}")
        assert got.ok
        book = openpyxl.load_workbook(io.BytesIO(await got.body()), read_only=True)
        assert book.sheetnames == [f.name for f in families] + [x.name for x in listings]
        check_listing_sheets(book, listings)
        for family in families:
            rows = list(book[family.name].iter_rows(values_only=True))
            assert rows[1][0] == "key"
            for row, sheet_row in zip(family.rows, rows[2:], strict=True):
                want = [*row.months, row.year] if family.monthly else [row.year]
                written = [v if v is not None else HIDDEN if family.unit == "count" else None
                           for v in want]  # fmt: skip
                assert list(sheet_row[: len(want) + 1]) == [row.key, *written], row.key
                assert not any(sheet_row[len(want) + 1 :])  # the title row is wider

        refused = await page.request.get(f"{hub.url}/desk/figures.csv?fy={FY}&area={SOUTH}")
        assert refused.status == 403
        for bad in ("abc", "1999", "2099"):  # not a year, or none the hub can have
            wrong = await page.request.get(f"{hub.url}/desk/figures.csv?fy={bad}")
            assert wrong.status == 422
        await page.goto(f"{hub.url}/desk/figures?fy=abc")
        assert "年度を数字で" in await page.locator("#problems").inner_text()
        await context.close()
