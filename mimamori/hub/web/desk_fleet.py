"""The technician's fleet page at the desk (issue 20; ``desk/fleet.py`` builds it):
every gateway the signed-in staff member may see, problems first, filtered by one
problem with ``?only=``. A list without a form: it reloads itself."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from fastapi.responses import Response

from mimamori.hub.alerts.messages import kind_words
from mimamori.hub.desk.fleet import GATEWAY_KINDS, NEVER, OFFLINE, PROBLEMS, fleet
from mimamori.hub.web.context import SignedIn
from mimamori.hub.web.desk_common import desk_refusal

router = APIRouter(include_in_schema=False)
Only = Annotated[str | None, Query(max_length=40)]
ZONE = ZoneInfo("Asia/Tokyo")  # the technicians' clock: the town's


@router.get("/desk/fleet")
async def fleet_page(page: SignedIn, only: Only = None) -> Response:
    if (refused := desk_refusal(page)) is not None:
        return refused
    # The problems one may filter by: the gateway's state, and the technician's alerts.
    problems = {PROBLEMS: page.t("fleet_any_problem"), OFFLINE: page.t("fleet_offline"),
                NEVER: page.t("fleet_never")}  # fmt: skip
    problems |= {k: kind_words(k, page.lang) for k in GATEWAY_KINDS}
    wanted = only if only in problems else None
    now = page.hub.clock()
    rows = await fleet(page.hub.store, page.hub.registry.gateways, page.who, now, wanted)

    def local(at: datetime | None) -> str:
        return page.t.date_time(at.astimezone(ZONE)) if at else "—"

    return page.render(
        "desk/fleet.html",
        live_list=True,
        rows=rows,
        only=wanted or "",
        problems=problems,
        local=local,
        ago=lambda at: page.t.ago(at, now) if at else "—",
        words=lambda kind: problems.get(kind, kind),
    )
