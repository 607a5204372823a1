"""Issue 19's figures at the desk, in a real headless Chromium at desktop size: staff
of the north see their area's year as bars by month with the table of numbers under
each chart, and download the same numbers as CSV (UTF-8 with a BOM) and XLSX, read
back with the csv module and openpyxl; another area's figures are refused (403), a
year that is not one gets 422 and a Japanese message.
One browser test, on SQLite only: the counting itself is checked on both engines by
``test_town_store.py``."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from playwright.async_api import Browser

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.figures.cases import HIDDEN
from mimamori.hub.figures.table import Family, Value, fiscal_months
from mimamori.hub.figures.town import count_town
from tests.hub.access.test_areas import NORTH, SOUTH
from tests.hub.figures.expect import check_year
from tests.hub.figures.year import FY, NOW, generate, store_year, town
from tests.hub.helpers import hub_document, import_register_of, open_test_store, running_hub
from tests.hub.web.browser import sign_in_as_staff

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]
DESKTOP = {"width": 1366, "height": 900}


def text(family: Family, value: Value) -> str:
    """A cell as the page and the CSV write it."""
    if value is None:
        return HIDDEN if family.unit == "count" else ""
    return str(value)


async def test_staff_see_their_areas_year_as_charts_and_download_the_same_numbers(
    own_broker: PrivateBroker, browser: Browser, tmp_path: Path
) -> None:
    doc = hub_document(tmp_path, own_broker.port, 0)
    town(doc)
    year = generate(doc)
    store = await open_test_store(tmp_path)  # the year is there before the hub starts
    try:
        await import_register_of(store, doc, lambda: NOW)
        await store_year(tmp_path, store, year)
    finally:
        await store.close()
    async with running_hub(own_broker, tmp_path, town, clock=lambda: NOW) as hub:
        await hub.account("kinjo", "staff", areas=(NORTH,))
        channels = {r.id: r.channels for r in hub.state.registry.recipients.values()}
        families = await count_town(hub.state.store, [NORTH], FY, NOW, channels)
        check_year(families, year, doc, [NORTH])  # what the page must show is right
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
        assert cells == expected

        got = await page.request.get(f"{hub.url}/desk/figures.xlsx?fy={FY}")
        assert got.ok
        book = openpyxl.load_workbook(io.BytesIO(await got.body()), read_only=True)
        assert book.sheetnames == [f.name for f in families]
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
