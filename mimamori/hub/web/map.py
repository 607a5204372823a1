"""The family's map: where each of their people was last seen, the day's trail, the
watch points; it follows the live stream (``/api/v1/people/{id}/live``), so it never
reloads itself.

The page's script gets its data as JSON in the page (``map_config``), which the
search pages share.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from mimamori.hub.access.policy import visible_gateways, visible_households, visible_people
from mimamori.hub.server.state import HubState
from mimamori.hub.web.context import SignedIn
from mimamori.hub.web.i18n import Lang, texts

router = APIRouter(include_in_schema=False)
# Where a hub with no gateways yet centres its map: Tokyo.
NO_GATEWAYS = {"lat": 35.68, "lon": 139.77}


def map_config(hub: HubState, lang: Lang, **values: Any) -> dict[str, Any]:
    """What a map page's script needs: the language and its catalogue, the tiles, and
    ``values`` (rendered as JSON data by ``_script_config.html``)."""
    tiles = hub.config.hub.map.tiles
    return {
        "lang": lang,
        "strings": texts(lang).all(),
        "tiles": {"url": tiles.url, "attribution": tiles.attribution, "max_zoom": tiles.max_zoom},
        "zoom": hub.config.hub.map.zoom,
        **values,
    }


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse("/map", status_code=303)


@router.get("/map")
async def map_page(page: SignedIn, person: str | None = None) -> Response:
    hub, who = page.hub, page.who
    people = [{"id": p.id, "name": p.name} for p in visible_people(hub.registry, who)]
    homes = bool(visible_households(hub.registry, who))
    if not people and homes:
        return RedirectResponse("/households", status_code=303)  # a family with a home only
    selected = person if person in {p["id"] for p in people} else None
    gateways = visible_gateways(hub.registry, who)
    center = NO_GATEWAYS
    if gateways:
        center = {
            "lat": sum(g.lat for g in gateways) / len(gateways),
            "lon": sum(g.lon for g in gateways) / len(gateways),
        }
    config = map_config(hub, page.lang, center=center, people=people, person=selected)
    return page.render(
        "map.html", keep={"person": selected or ""}, config=config, households_link=homes
    )
