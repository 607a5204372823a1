"""Household pages for staff and families: the state of each home, and a 30-day calendar.

Rendered on the server from the same views as the API (``hub/households/summary.py``,
shaped for the page by ``household_view.py``). Both pages show a list that changes and
have nothing to type, so they reload themselves every ``PageSettings.refresh_s``. No
script is needed.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import Response

from mimamori.hub.access.policy import can_see_household, visible_households, visible_people
from mimamori.hub.households import summary as households
from mimamori.hub.web import household_view as view
from mimamori.hub.web.context import SignedIn

router = APIRouter(include_in_schema=False)


@router.get("/households")
async def household_list(page: SignedIn) -> Response:
    hub, who, t = page.hub, page.who, page.t
    now = hub.clock()
    rows = []
    for home in visible_households(hub.registry, who):
        summary = await households.summary(hub.store, home, now)
        zone = ZoneInfo(home.timezone)
        rows.append(
            {
                "id": home.id,
                "name": home.name,
                "state": view.state_label(summary, t),
                "checkin": view.checkin(summary, zone, t),
                "next_due": view.moment(summary.next_due, zone, t),
            }
        )
    return page.render(
        "households.html",
        live_list=True,
        rows=rows,
        map_link=bool(visible_people(hub.registry, who)),
    )


@router.get("/households/{household_id}")
async def household_page(page: SignedIn, household_id: str) -> Response:
    hub, t = page.hub, page.t
    if not can_see_household(hub.registry, page.who, household_id):
        return page.message("household_unknown_title", "household_unknown", 404)
    home = hub.registry.households[household_id]
    zone = ZoneInfo(home.timezone)
    detail = await households.detail(hub.store, home, hub.clock())
    return page.render(
        "household.html",
        live_list=True,
        name=home.name,
        state=view.state_label(detail, t),
        checkin=view.checkin(detail, zone, t),
        next_due=view.moment(detail.next_due, zone, t),
        devices=view.devices(detail, t),
        calendar=view.calendar(detail, zone, t),
        day_kinds=view.DAY_KINDS,
    )
