"""The page behind a notification's one-tap link: see the alert, press to acknowledge.

No account is needed: the signed link is the permission, for one alert, for a week.
GET only shows; the button POSTs, so link previews in mail and chat apps never
acknowledge anything by themselves. The page has a form, so it never reloads itself.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from mimamori.hub.alerts.engine import ACK_SECRET
from mimamori.hub.alerts.links import AckLink, BadLink, read_token
from mimamori.hub.alerts.messages import render
from mimamori.hub.web.context import Page, PageContext

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Query(max_length=300)]
# The summary shows the notice's first lines: who, what, since when (the rest are links).
SUMMARY_LINES = 3


async def _link(page: PageContext, token: str) -> AckLink | Response:
    try:
        return read_token(await page.hub.store.secret(ACK_SECRET), token, page.hub.clock())
    except BadLink as exc:
        status = 410 if exc.reason == "expired" else 400
        keep = {"token": token}
        return page.message(f"ack_{exc.reason}_title", f"ack_{exc.reason}", status, keep=keep)


@router.get("/ack")
async def ack_page(page: Page, token: Token = "") -> Response:
    link = await _link(page, token)
    if isinstance(link, Response):
        return link
    hub = page.hub
    alert = await hub.store.alert(link.alert_id)
    if alert is None:
        return page.message("ack_invalid_title", "ack_invalid", 400, keep={"token": token})
    home = hub.registry.households.get(alert.household_id or "")
    title, body = render(alert, home, page.lang, hub.config.hub.http.public_url, False)
    # The language switch keeps the token: without it the page could not be shown.
    return page.render(
        "ack.html",
        keep={"token": token},
        token=token,
        heading=title,
        summary=body.splitlines()[:SUMMARY_LINES],
        open=alert.state == "open",
    )


@router.post("/ack")
async def ack(page: Page, token: Token = "") -> Response:
    link = await _link(page, token)
    if isinstance(link, Response):
        return link
    hub = page.hub
    recipient = hub.registry.recipients.get(link.recipient_id)
    who = recipient.name if recipient else link.recipient_id
    now = hub.clock()
    await hub.store.audit(
        now, who=who, role="link", action="alert.ack", subject=f"alert:{link.alert_id}"
    )
    done = await hub.store.acknowledge_alert(link.alert_id, who, page.t("ack_by_link"), now)
    keep = {"token": token}
    if done is None:
        return page.message("ack_title", "ack_already", 200, keep=keep)
    return page.message("ack_done_title", "ack_done", 200, keep=keep)
