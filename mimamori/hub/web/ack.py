"""The page behind a notification's one-tap link: see the alert, press to acknowledge.

No account is needed: the signed link is the permission, for one alert, for a week.
GET only shows; the button POSTs, so link previews in mail and chat apps never
acknowledge anything by themselves.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from mimamori.hub.access.deps import Hub
from mimamori.hub.alerts.engine import ACK_SECRET
from mimamori.hub.alerts.links import AckLink, BadLink, read_token
from mimamori.hub.alerts.messages import render
from mimamori.hub.server.state import HubState
from mimamori.hub.web.households import _page
from mimamori.hub.web.i18n import Lang, t
from mimamori.hub.web.map import _lang, _remember_lang, message_page

router = APIRouter(include_in_schema=False)


async def _link(hub: HubState, token: str, lang: Lang) -> AckLink | Response:
    try:
        return read_token(await hub.store.secret(ACK_SECRET), token, datetime.now(UTC))
    except BadLink as exc:
        status = 410 if exc.reason == "expired" else 400
        keep = {"token": token}
        return message_page(lang, f"ack_{exc.reason}_title", f"ack_{exc.reason}", status, keep=keep)


@router.get("/ack")
async def ack_page(
    request: Request,
    hub: Hub,
    token: Annotated[str, Query(max_length=300)] = "",
    lang: str | None = None,
) -> Response:
    chosen = _lang(request, hub, lang)
    response = await _ack_page(hub, token, chosen)
    _remember_lang(response, chosen, lang, hub)
    return response


async def _ack_page(hub: HubState, token: str, lang: Lang) -> Response:
    link = await _link(hub, token, lang)
    if isinstance(link, Response):
        return link
    alert = await hub.store.alert(link.alert_id)
    if alert is None:
        return message_page(lang, "ack_invalid_title", "ack_invalid", 400, keep={"token": token})
    home = hub.registry.households.get(alert.household_id or "")
    title, body = render(alert, home, lang, hub.config.hub.http.public_url, False)
    summary = "".join(f"<p>{html.escape(line)}</p>" for line in body.splitlines()[:3])
    if alert.state == "open":
        target = html.escape(f"/ack?{urlencode({'token': token})}")
        action = (
            f'<form method="post" action="{target}">'
            f'<button type="submit" id="ack">{html.escape(t("ack_button", lang))}</button></form>'
        )
    else:
        action = f'<p id="done">{html.escape(t("ack_already", lang))}</p>'
    content = f"<h2>{html.escape(title)}</h2>{summary}{action}"
    # The language switch keeps the token: without it the page could not be shown.
    page = _page(lang, t("ack_title", lang), content, "", keep={"token": token})
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})


@router.post("/ack")
async def ack(
    request: Request, hub: Hub, token: Annotated[str, Query(max_length=300)] = ""
) -> Response:
    lang = _lang(request, hub, None)
    link = await _link(hub, token, lang)
    if isinstance(link, Response):
        return link
    recipient = next((r for r in hub.config.recipients if r.id == link.recipient_id), None)
    who = recipient.name if recipient else link.recipient_id
    now = datetime.now(UTC)
    await hub.store.audit(
        now, who=who, role="link", action="alert.ack", subject=f"alert:{link.alert_id}"
    )
    done = await hub.store.acknowledge_alert(link.alert_id, who, t("ack_by_link", lang), now)
    keep = {"token": token}
    if done is None:
        return message_page(lang, "ack_title", "ack_already", 200, keep=keep)
    return message_page(lang, "ack_done_title", "ack_done", 200, keep=keep)
