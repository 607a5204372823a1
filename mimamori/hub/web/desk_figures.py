"""The desk's monthly figures of cases (issue 16; ``cases/figures.py``): a page per
month and the same as CSV, of the areas the signed-in staff member works in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from mimamori.errors import ChangeRefused
from mimamori.hub.cases import figures
from mimamori.hub.desk.service import DeskRefused
from mimamori.hub.figures.cases import HIDDEN, as_csv
from mimamori.hub.figures.suppression import MIN_SHOWN
from mimamori.hub.web.context import PageContext, SignedIn
from mimamori.hub.web.desk_common import failed, refusal

router = APIRouter(include_in_schema=False)
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
