"""The desk's figures: the monthly figures of cases (issue 16; ``cases/figures.py``), a
page per month and the same as CSV, of the areas the signed-in staff member works in;
and the town's figures of a fiscal year (issue 19; ``figures/town.py``) as a page with
bars drawn on the server, CSV and XLSX."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import Response

from mimamori.errors import ChangeRefused
from mimamori.hub.cases import figures
from mimamori.hub.cases.access import scope as figures_areas
from mimamori.hub.desk.service import DeskRefused
from mimamori.hub.figures.cases import HIDDEN, as_csv
from mimamori.hub.figures.chart import bars
from mimamori.hub.figures.export import as_csv as town_as_csv
from mimamori.hub.figures.export import as_xlsx
from mimamori.hub.figures.points import draw
from mimamori.hub.figures.suppression import MIN_SHOWN
from mimamori.hub.figures.town import TownFigures, town_figures, year_of
from mimamori.hub.web.context import PageContext, SignedIn
from mimamori.hub.web.desk_common import failed, refusal

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Month = Annotated[str | None, Query(max_length=7)]


def _label(page: PageContext, prefix: str, key: str) -> str:
    name = f"{prefix}_{key}"
    return page.t(name) if name in page.t.catalogue else key


@router.get("/desk/figures/cases")
async def figures_page(page: SignedIn, month: Month = None) -> Response:
    try:
        when = figures.month_of(page.hub, month)
        areas = await figures.monthly(page.hub, page.who, when)
    except DeskRefused as exc:
        return refusal(page, exc)
    except ChangeRefused as exc:
        problems = failed(page, exc).problems
        return page.render("desk/figures.html", status=422, month=month or "", areas=[],
                           problems=problems, names={}, label=lambda p, k: k,
                           hidden=HIDDEN, min_shown=MIN_SHOWN)  # fmt: skip
    names = {a: e.name for a, e in page.hub.registry.areas.items()}
    return page.render(
        "desk/figures.html", month=f"{when:%Y-%m}", areas=areas, problems={}, names=names,
        label=lambda prefix, key: _label(page, prefix, key), hidden=HIDDEN, min_shown=MIN_SHOWN,
    )  # fmt: skip


@router.get("/desk/figures/cases.csv")
async def figures_csv(page: SignedIn, month: Month = None) -> Response:
    try:
        when = figures.month_of(page.hub, month)
        areas = await figures.monthly(page.hub, page.who, when)
    except DeskRefused as exc:
        return refusal(page, exc)
    except ChangeRefused:
        return Response("month: a month like 2031-05\n", status_code=422, media_type="text/plain")
    return Response(
        as_csv(when, areas).encode("utf-8-sig"),  # with the BOM Excel needs to read UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="cases-{when:%Y-%m}.csv"'},
    )


# -- the town's figures (issue 19, hub/figures/town.py) ---------------------------------

FiscalYear = Annotated[str | None, Query(max_length=4)]
Area = Annotated[str | None, Query(max_length=100)]


def _key_label(page: PageContext, key: str) -> str:
    """A figure's row in the reader's language: ours, an outcome's, a partner kind's,
    else its id (a kind the catalogue does not know yet still shows)."""
    for name in (f"fkey_{key}", f"outcome_{key}", f"pkind_{key}"):
        if name in page.t.catalogue:
            return page.t(name)
    return key


async def _town(page: PageContext, fy: str | None, area: str | None) -> TownFigures:
    year = year_of(page.hub, fy)
    return await town_figures(page.hub, page.who, year, area or None)


@router.get("/desk/figures")
async def town_page(page: SignedIn, fy: FiscalYear = None, area: Area = None) -> Response:
    try:
        figures = await _town(page, fy, area)
    except DeskRefused as exc:
        return refusal(page, exc)
    except ChangeRefused as exc:
        return page.render("desk/town.html", status=422, figures=None, charts={},
                           problems=failed(page, exc).problems, choices=[], query="",
                           points=None, names={},
                           fy=fy or "", area=area or "", hidden=HIDDEN, min_shown=MIN_SHOWN,
                           label=lambda key: key)  # fmt: skip
    labels = [f"{m.month}" for m in figures.months]
    charts = {f.name: bars(f, labels) for f in figures.families}
    points = draw(figures.listing("watch_points_map"))
    names = {a: e.name for a, e in page.hub.registry.areas.items()}
    mine = figures_areas(page.who) or list(names)
    query = urlencode({"fy": figures.fy, **({"area": figures.area} if figures.area else {})})
    return page.render(
        "desk/town.html", figures=figures, charts=charts, points=points, names=names,
        problems={}, query=query,
        choices=[(a, names.get(a, a)) for a in mine], fy=str(figures.fy),
        area=figures.area or "", area_name=names.get(figures.area or "", figures.area),
        hidden=HIDDEN, min_shown=MIN_SHOWN, label=lambda key: _key_label(page, key),
    )  # fmt: skip


def _attachment(figures: TownFigures, suffix: str) -> dict[str, str]:
    name = f"figures-FY{figures.fy}-{figures.area or 'all'}.{suffix}"
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get("/desk/figures.csv")
async def town_csv(page: SignedIn, fy: FiscalYear = None, area: Area = None) -> Response:
    try:
        figures = await _town(page, fy, area)
    except DeskRefused as exc:
        return refusal(page, exc)
    except ChangeRefused:
        return Response("fy: a fiscal year like 2031\n", status_code=422, media_type="text/plain")
    return Response(town_as_csv(figures), media_type="text/csv; charset=utf-8",
                    headers=_attachment(figures, "csv"))  # fmt: skip


@router.get("/desk/figures.xlsx")
async def town_xlsx(page: SignedIn, fy: FiscalYear = None, area: Area = None) -> Response:
    try:
        figures = await _town(page, fy, area)
    except DeskRefused as exc:
        return refusal(page, exc)
    except ChangeRefused:
        return Response("fy: a fiscal year like 2031\n", status_code=422, media_type="text/plain")
    names = [f.name for f in figures.families] + [x.name for x in figures.listings]
    titles = {name: page.t(f"fam_{name}") for name in names}
    return Response(as_xlsx(figures, titles), media_type=XLSX, headers=_attachment(figures, "xlsx"))
