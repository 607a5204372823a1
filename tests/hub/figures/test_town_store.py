"""Issue 19's "done when" for the figures, on SQLite and PostgreSQL: a generated year
of a town's events (``year.py``) counted by the hub's queries, every figure of the
whole town and of one area checked against the test's own count (``expect.py``);
and the parts of the counting that the year cannot show on its own."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import pytest

from mimamori.hub.figures.chart import bars
from mimamori.hub.figures.people import _spans
from mimamori.hub.figures.points import COLUMNS, band_of, draw
from mimamori.hub.figures.rollcalls import ANSWERS, UNANSWERED
from mimamori.hub.figures.table import Family, Item, Listing, Row, counted, edges
from mimamori.hub.figures.town import count_listings, count_town
from mimamori.hub.model.events import GATEWAY_OFFLINE, GATEWAY_ONLINE
from mimamori.hub.rollcall.report import KINDS
from mimamori.hub.store.sql_store import SqlStore
from tests.hub.access.test_areas import NORTH
from tests.hub.figures.expect import check_year
from tests.hub.figures.expect_more import check_more
from tests.hub.figures.year import FY, NOW, generate, month_starts, store_year, town
from tests.hub.figures.year_more import generate_more, store_more
from tests.hub.helpers import hub_document, import_register_of


async def test_a_years_figures_match_an_independent_count_of_what_happened(
    store: SqlStore, tmp_path: Path
) -> None:
    doc = hub_document(tmp_path, 1883, 8080)
    town(doc)
    await import_register_of(store, doc, lambda: NOW - timedelta(days=400))
    year, more = generate(doc), generate_more(doc)
    await store_year(tmp_path, store, year)
    await store_more(tmp_path, more)
    channels = {"r-miyagi": ["mailto://…"]}
    everywhere = await count_town(store, None, FY, NOW, channels)
    check_year(everywhere, year, doc, None)
    lists = await count_listings(store, None, FY, NOW)
    assert check_more(everywhere, lists, year, more, None) > 0  # the 1 and 2 arrivals
    north = await count_town(store, [NORTH], FY, NOW, channels)
    # One area's figures are smaller: some of its counts are 1 or 2, and hidden.
    assert check_year(north, year, doc, [NORTH]) > 0
    north_lists = await count_listings(store, [NORTH], FY, NOW)
    assert check_more(north, north_lists, year, more, [NORTH]) > 0

    # Sightings are kept 30 days; the arrivals the map counts outlive them.
    cutoff = NOW - timedelta(days=30)
    purged = await store.purge_sightings(cutoff, [])
    old = sum(1 for times in more.arrivals.values() for at in times if at < cutoff)
    assert purged.removed["tag.arrived"] == old > 30
    assert await count_listings(store, None, FY, NOW) == lists


def test_the_fiscal_year_runs_from_april_to_march_in_japan() -> None:
    assert edges(FY) == month_starts()
    assert edges(FY)[0].isoformat() == "2031-04-01T00:00:00+09:00"


def test_a_watch_points_state_before_its_first_change_is_the_opposite_of_it() -> None:
    # Came online at 30: it was down before (the hub records online only after offline).
    assert _spans(None, [(30, GATEWAY_ONLINE)], 0, 100) == [(0, 30, False), (30, 100, True)]
    assert _spans(None, [(30, GATEWAY_OFFLINE)], 0, 100) == [(0, 30, True), (30, 100, False)]
    assert _spans(None, [], 0, 100) == []  # never heard of: not counted


def test_a_lone_small_count_hides_its_partner_in_the_same_month() -> None:
    family = counted("f", {"a": [1] + [0] * 11, "b": [5] + [0] * 11, "c": [9] + [0] * 11}, None)
    assert [r.months[0] for r in family.rows] == [None, None, 9]
    assert [r.year for r in family.rows] == [None, None, 9]


def test_a_chart_draws_no_bar_for_a_hidden_month_and_says_x() -> None:
    months = (None, 4, 10, *([0] * 9))
    chart = bars(
        Family("f", "count", (Row("total", months, None),), chart="total"),
        [str(m) for m in range(12)],
    )
    assert chart is not None
    assert [b.value for b in chart.bars[:3]] == ["x", "4", "10"]
    assert chart.bars[0].height == 0 and chart.bars[2].height > chart.bars[1].height > 0
    assert chart.top == 10


def test_the_map_keeps_north_up_and_the_aspect_and_colours_by_the_years_uptime() -> None:
    columns = COLUMNS  # name, area, lat, lon, uptime, band, arrivals
    at = [("a", 26.30, 127.76, 99.5), ("b", 26.26, 127.76, 96.0), ("c", 26.26, 127.80, 50.0),
          ("d", 26.28, 127.78, None)]  # fmt: skip
    items = tuple(Item(k, (k, NORTH, la, lo, up, band_of(up), None)) for k, la, lo, up in at)
    drawn = draw(Listing("watch_points_map", columns, items))
    assert drawn is not None
    a, b, c, _ = drawn.dots
    assert a.y < b.y == c.y and a.x == b.x < c.x  # north up, east right
    # 0.04° of latitude is 4.4 km; 0.04° of longitude at 26.3° N is 4.0 km.
    assert (c.x - b.x) / (b.y - a.y) == pytest.approx(math.cos(math.radians(26.28)), rel=1e-3)
    assert [x.band for x in drawn.dots] == ["high", "mid", "low", "unknown"]
    assert len({x.colour for x in drawn.dots}) == 4
    assert [(k.band, k.points) for k in drawn.legend] == [
        ("high", 1),
        ("mid", 1),
        ("low", 1),
        ("unknown", 1),
    ]
    one = draw(Listing("watch_points_map", columns, items[:1]))
    assert one is not None and 0 < one.dots[0].x < one.legend_x  # one point: drawn inside
    assert draw(Listing("watch_points_map", columns, ())) is None


def test_a_roll_calls_line_has_every_kind_of_the_roll_calls_report() -> None:
    # The figures split the households as the roll-call's report does; a kind added
    # there must be a column here (or the sums would leave it out).
    assert sorted((*ANSWERS, *UNANSWERED)) == sorted(KINDS)
