"""Search pages: one for those searching (signed in), one for a shared link.

Both are the same page fed by different API routes: a member's page can end the
search, join it and share it; a shared link's page only watches. An expired,
revoked or unknown link gets a clear message and never the page. The page follows
the search's live stream; it never reloads itself.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response

from mimamori.hub.access.policy import can_see, visible_gateways
from mimamori.hub.api.shared import open_share
from mimamori.hub.web.context import Page, PageContext, SignedIn
from mimamori.hub.web.map import map_config

router = APIRouter(include_in_schema=False)


def _page(
    page: PageContext, api: str, *, member: bool, gateways: list[Any], person: str
) -> Response:
    points = [{"name": g.name, "lat": g.lat, "lon": g.lon} for g in gateways]
    config = map_config(page.hub, page.lang, api=api, member=member, gateways=points)
    # no-store (as on every page): a shared page must not outlive its link in a cache.
    return page.render("search.html", config=config, person_id=person)


@router.get("/searches/{search_id}")
async def search_page(page: SignedIn, search_id: Annotated[str, Path(max_length=64)]) -> Response:
    hub, who = page.hub, page.who
    search = await hub.store.search(search_id)
    if search is None or not can_see(hub.registry, who, search.person_id):
        return page.message("search_unknown_title", "search_unknown", 404)
    gateways = visible_gateways(hub.registry, who)
    api = f"/api/v1/searches/{search.id}"
    return _page(page, api, member=True, gateways=gateways, person=search.person_id)


@router.get("/s/{token}")
async def shared_page(page: Page, token: Annotated[str, Path(max_length=200)]) -> Response:
    hub = page.hub
    found = await open_share(hub, token, count=False)
    if isinstance(found, str):
        status = 404 if found == "unknown" else 410
        return page.message(f"share_{found}_title", f"share_{found}", status)
    public = [g for g in hub.registry.gateways.values() if g.site != "home"]
    return _page(page, f"/api/v1/shared/{token}", member=False, gateways=public, person="")
