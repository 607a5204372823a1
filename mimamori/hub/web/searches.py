"""Search pages: one for those searching (signed in), one for a shared link.

Both are the same page fed by different API routes: a member's page can end the
search, join it and share it; a shared link's page only watches. An expired,
revoked or unknown link gets a clear message and never the page.
"""

from __future__ import annotations

import html
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from mimamori.hub.access.deps import Hub, find_principal
from mimamori.hub.access.policy import Principal, can_see, visible_gateways
from mimamori.hub.api.shared import open_share
from mimamori.hub.server.state import HubState
from mimamori.hub.web.i18n import Lang, t
from mimamori.hub.web.map import (
    _fill,
    _lang,
    _remember_lang,
    _template,
    message_page,
    page_config,
    switch_href,
)

router = APIRouter(include_in_schema=False)


def _config(hub: HubState, lang: Lang, api: str, *, member: bool, gateways: list[Any]) -> str:
    points = [{"name": g.name, "lat": g.lat, "lon": g.lon} for g in gateways]
    return page_config(hub, lang, api=api, member=member, gateways=points)


def _page(hub: HubState, lang: Lang, config: str, nav: str) -> HTMLResponse:
    body = _fill(
        _template("search.html"),
        {
            "LANG": lang,
            "TITLE": html.escape(t("search_title", lang)),
            "SWITCH_HREF": switch_href(lang),
            "SWITCH_LANG": html.escape(t("switch_lang", lang)),
            "SIGHTINGS": html.escape(t("search_sightings", lang)),
            "NAV": nav,
            "CONFIG": config,
        },
    )
    # no-store: a shared page must not outlive its link in a browser's cache.
    return HTMLResponse(body, headers={"Cache-Control": "no-store"})


@router.get("/searches/{search_id}")
async def search_page(
    request: Request,
    hub: Hub,
    search_id: Annotated[str, Path(max_length=64)],
    lang: str | None = None,
) -> Response:
    chosen = _lang(request, hub, lang)
    principal: Principal | None = await find_principal(request, hub)
    if principal is None:
        response: Response = message_page(chosen, "signin_required_title", "signin_required", 401)
    else:
        search = await hub.store.search(search_id)
        if search is None or not can_see(hub.registry, principal, search.person_id):
            response = message_page(chosen, "search_unknown_title", "search_unknown", 404)
        else:
            back = html.escape(t("to_map", chosen))
            nav = f'<a href="/map?person={html.escape(search.person_id)}">{back}</a>'
            config = _config(
                hub,
                chosen,
                f"/api/v1/searches/{search.id}",
                member=True,
                gateways=visible_gateways(hub.registry, principal),
            )
            response = _page(hub, chosen, config, nav)
    _remember_lang(response, chosen, lang, hub)
    return response


@router.get("/s/{token}")
async def shared_page(
    request: Request, hub: Hub, token: Annotated[str, Path(max_length=200)], lang: str | None = None
) -> Response:
    chosen = _lang(request, hub, lang)
    found = await open_share(hub, token, count=False)
    if isinstance(found, str):
        status = 404 if found == "unknown" else 410
        response = message_page(chosen, f"share_{found}_title", f"share_{found}", status)
    else:
        public = [g for g in hub.registry.gateways.values() if g.site != "home"]
        config = _config(hub, chosen, f"/api/v1/shared/{token}", member=False, gateways=public)
        response = _page(hub, chosen, config, "")
    _remember_lang(response, chosen, lang, hub)
    return response
