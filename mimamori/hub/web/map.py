"""Pages for people: the sign-in link, the map, sign-out (a POST).

HTML is rendered from two small templates by plain substitution of escaped
values; the map's data travels as JSON inside the page (``<`` escaped so no value
can close the script element).
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from datetime import timedelta
from importlib import resources
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mimamori.hub.access.auth import SESSION_COOKIE, issue, token_hash
from mimamori.hub.access.deps import Hub, find_principal
from mimamori.hub.access.policy import (
    Principal,
    visible_gateways,
    visible_households,
    visible_people,
)
from mimamori.hub.model.accounts import CredentialKind, Redeemed
from mimamori.hub.server.state import HubState
from mimamori.hub.web.i18n import Lang, pick_lang, strings, t

router = APIRouter(include_in_schema=False)
LANG_COOKIE = "mimamori_lang"
_TEMPLATES = resources.files(__package__) / "templates"


def _template(name: str) -> str:
    return (_TEMPLATES / name).read_text(encoding="utf-8")


def _fill(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace("{{" + key + "}}", value)
    return template


def _lang(request: Request, hub: HubState, requested: str | None) -> Lang:
    return pick_lang(requested, request.cookies.get(LANG_COOKIE), hub.config.hub.language)


def _remember_lang(response: Response, lang: Lang, requested: str | None, hub: HubState) -> None:
    if requested == lang:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", secure=_https(hub)
        )


def _https(hub: HubState) -> bool:
    return hub.config.hub.http.public_url.startswith("https://")


def set_session_cookie(response: Response, hub: HubState, session: str, ttl: timedelta) -> None:
    """HttpOnly (no script reads it), SameSite=Lax (no other site posts with it; a page
    of the same site on another port could, so ``security.SameOriginGuard`` checks
    every change), Secure when the hub is reached over https."""
    response.set_cookie(
        SESSION_COOKIE,
        session,
        max_age=int(ttl.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=_https(hub),
    )


def _other(lang: Lang) -> Lang:
    return "en" if lang == "ja" else "ja"


def switch_href(lang: Lang, keep: Mapping[str, str] | None = None) -> str:
    """The language switch's link, escaped for an attribute: the same page in the
    other language, keeping what it needs (an acknowledge link's token, say)."""
    query = {k: v for k, v in (keep or {}).items() if v} | {"lang": _other(lang)}
    return html.escape("?" + urlencode(query))


def message_page(
    lang: Lang,
    title_key: str,
    message_key: str,
    status: int,
    *,
    keep: Mapping[str, str] | None = None,
    extra: str = "",
) -> HTMLResponse:
    """A page that says one thing; ``extra`` is HTML (already escaped) below it."""
    body = _fill(
        _template("message.html"),
        {
            "LANG": lang,
            "APP": html.escape(t("app", lang)),
            "TITLE": html.escape(t(title_key, lang)),
            "MESSAGE": html.escape(t(message_key, lang)),
            "EXTRA": extra,
            "SWITCH_HREF": switch_href(lang, keep),
            "SWITCH_LANG": html.escape(t("switch_lang", lang)),
        },
    )
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse("/map", status_code=303)


@router.get("/signin")
async def signin(
    request: Request,
    hub: Hub,
    token: Annotated[str, Query(max_length=200)] = "",
    lang: str | None = None,
) -> Response:
    chosen = _lang(request, hub, lang)
    now = hub.clock()
    outcome, credential = await hub.store.redeem_signin(token_hash(token), now)
    if outcome is not Redeemed.OK or credential is None:
        status = 401 if outcome is Redeemed.UNKNOWN else 410
        return message_page(chosen, f"signin_{outcome}_title", f"signin_{outcome}", status)
    ttl = timedelta(days=hub.config.hub.auth.session_ttl_days)
    session = await issue(
        hub.store,
        CredentialKind.SESSION,
        role=credential.role,
        family_id=credential.family_id,
        name=credential.name,
        ttl=ttl,
        now=now,
    )
    # A language asked for on the link carries over to the map (and is remembered there).
    response = RedirectResponse(
        f"/map?lang={chosen}" if lang == chosen else "/map", status_code=303
    )
    set_session_cookie(response, hub, session, ttl)
    return response


def sign_out_button(lang: Lang) -> str:
    """Sign-out is a POST (from the hub's own page): a link or a prefetch never signs
    anyone out, and no other page can."""
    return (
        '<form method="post" action="/signout" class="signout">'
        f'<button type="submit" id="sign-out">{html.escape(t("sign_out", lang))}</button></form>'
    )


@router.get("/signout")
async def signout_page(request: Request, hub: Hub, lang: str | None = None) -> Response:
    """Asks; only the button signs out."""
    chosen = _lang(request, hub, lang)
    if await find_principal(request, hub) is None:
        response = message_page(chosen, "signed_out_title", "signed_out", 200)
    else:
        button = sign_out_button(chosen)
        response = message_page(chosen, "sign_out", "sign_out_confirm", 200, extra=button)
    _remember_lang(response, chosen, lang, hub)
    return response


@router.post("/signout")
async def signout(request: Request, hub: Hub) -> Response:
    if cookie := request.cookies.get(SESSION_COOKIE):
        await hub.store.delete_credential(CredentialKind.SESSION, token_hash(cookie))
    response = message_page(_lang(request, hub, None), "signed_out_title", "signed_out", 200)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _map_config(
    hub: HubState,
    principal: Principal,
    lang: Lang,
    people: list[dict[str, str]],
    person: str | None,
) -> str:
    gateways = visible_gateways(hub.registry, principal)
    if gateways:
        center = {
            "lat": sum(g.lat for g in gateways) / len(gateways),
            "lon": sum(g.lon for g in gateways) / len(gateways),
        }
    else:
        center = {"lat": 35.68, "lon": 139.77}  # Tokyo, for a hub with no gateways yet
    return page_config(hub, lang, center=center, people=people, person=person)


def page_config(hub: HubState, lang: Lang, **values: Any) -> str:
    """What a map page's script needs, as JSON safe inside a <script> element: the
    language and its strings, the tiles, and ``values``."""
    tiles = hub.config.hub.map.tiles
    doc: dict[str, Any] = {
        "lang": lang,
        "strings": strings(lang),
        "tiles": {"url": tiles.url, "attribution": tiles.attribution, "max_zoom": tiles.max_zoom},
        "zoom": hub.config.hub.map.zoom,
        **values,
    }
    return json.dumps(doc, ensure_ascii=False).replace("<", "\\u003c")


@router.get("/map")
async def map_page(
    request: Request, hub: Hub, person: str | None = None, lang: str | None = None
) -> Response:
    chosen = _lang(request, hub, lang)
    principal = await find_principal(request, hub)
    if principal is None:
        response: Response = message_page(chosen, "signin_required_title", "signin_required", 401)
    else:
        people = [{"id": p.id, "name": p.name} for p in visible_people(hub.registry, principal)]
        if not people and visible_households(hub.registry, principal):
            return RedirectResponse("/households", status_code=303)  # a family with a home only
        selected = person if person in {p["id"] for p in people} else None
        response = HTMLResponse(
            _fill(
                _template("map.html"),
                {
                    "LANG": chosen,
                    "TITLE": html.escape(t("map_title", chosen)),
                    "SWITCH_HREF": switch_href(chosen, {"person": selected or ""}),
                    "SWITCH_LANG": html.escape(t("switch_lang", chosen)),
                    "SIGN_OUT": sign_out_button(chosen),
                    "PERSON": html.escape(t("person", chosen)),
                    "TRAIL": html.escape(t("trail", chosen)),
                    "GATEWAYS": html.escape(t("gateways", chosen)),
                    "CONFIG": _map_config(hub, principal, chosen, people, selected),
                    "NAV": (
                        f'<a id="to-households" href="/households">'
                        f"{html.escape(t('to_households', chosen))}</a>"
                        if visible_households(hub.registry, principal)
                        else ""
                    ),
                },
            ),
            headers={"Cache-Control": "no-store"},
        )
    _remember_lang(response, chosen, lang, hub)
    return response
