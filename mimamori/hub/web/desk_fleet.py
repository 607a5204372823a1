"""The technician's fleet pages at the desk (issue 20; ``desk/fleet.py`` builds them):
every gateway the signed-in staff member may see, problems first, filtered by one
problem with ``?only=``, as a list with each receiver's day as a sparkline
(``desk/sparkline.py``), or as a map coloured by health (``/desk/fleet/map``,
``desk/fleet_map.py``). Pages without a form: they reload themselves."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from fastapi.responses import Response

from mimamori.hub.alerts.messages import kind_words
from mimamori.hub.desk.fleet import GATEWAY_KINDS, NEVER, OFFLINE, PROBLEMS, FleetRow, fleet
from mimamori.hub.desk.fleet_map import layout
from mimamori.hub.desk.sparkline import sparkline
from mimamori.hub.web.context import SignedIn
from mimamori.hub.web.desk_common import desk_refusal

router = APIRouter(include_in_schema=False)
Only = Annotated[str | None, Query(max_length=40)]
ZONE = ZoneInfo("Asia/Tokyo")  # the technicians' clock: the town's


def _problems(page: SignedIn) -> dict[str, str]:
    """The problems one may filter by: the gateway's state, and the technician's alerts."""
    problems = {PROBLEMS: page.t("fleet_any_problem"), OFFLINE: page.t("fleet_offline"),
                NEVER: page.t("fleet_never")}  # fmt: skip
    return problems | {k: kind_words(k, page.lang) for k in GATEWAY_KINDS}


async def _rows(page: SignedIn, wanted: str | None, now: datetime) -> list[FleetRow]:
    return await fleet(page.hub.store, page.hub.registry.gateways, page.who, now, wanted)


@router.get("/desk/fleet/map")
async def fleet_map_page(page: SignedIn, only: Only = None) -> Response:
    if (refused := desk_refusal(page)) is not None:
        return refused
    problems = _problems(page)
    wanted = only if only in problems else None
    return page.render(
        "desk/fleet_map.html",
        live_list=True,
        map=layout(await _rows(page, wanted, page.hub.clock())),
        only=wanted or "",
        problems=problems,
        view="/desk/fleet/map",
        words=lambda kind: problems.get(kind, kind),
    )


@router.get("/desk/fleet")
async def fleet_page(page: SignedIn, only: Only = None) -> Response:
    if (refused := desk_refusal(page)) is not None:
        return refused
    problems = _problems(page)
    wanted = only if only in problems else None
    now = page.hub.clock()
    rows = await _rows(page, wanted, now)

    def local(at: datetime | None) -> str:
        return page.t.date_time(at.astimezone(ZONE)) if at else "—"

    return page.render(
        "desk/fleet.html",
        live_list=True,
        rows=rows,
        only=wanted or "",
        problems=problems,
        view="/desk/fleet",
        spark=lambda day: sparkline(day, now),
        local=local,
        ago=lambda at: page.t.ago(at, now) if at else "—",
        words=lambda kind: problems.get(kind, kind),
    )
