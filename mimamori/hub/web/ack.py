"""The page behind a notification's one-tap link: see the alert and its timeline, and
answer: 対応します, 行けない・次の人へ, 解決しました (with what happened), or the
result of a call to the person.

No account is needed: the signed link is the permission, for one alert, for a week.
GET only shows; the buttons POST, so link previews in mail and chat apps never answer
anything by themselves. The page has forms, so it never reloads itself. A POST
without an answer (the page before issue 15, an old bookmark) means 対応します.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query
from fastapi.responses import Response

from mimamori.hub.alerts.engine import ACK_SECRET
from mimamori.hub.alerts.links import AckLink, BadLink, read_token
from mimamori.hub.alerts.responses import called, respond
from mimamori.hub.model.alerts import Alert
from mimamori.hub.model.escalation import CallResult, Outcome
from mimamori.hub.web.alert_page import flash_of, show
from mimamori.hub.web.context import Page, PageContext

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Query(max_length=300)]
Note = Annotated[str, Form(max_length=1000)]


async def _link(page: PageContext, token: str) -> AckLink | Response:
    try:
        return read_token(await page.hub.store.secret(ACK_SECRET), token, page.hub.clock())
    except BadLink as exc:
        status = 410 if exc.reason == "expired" else 400
        keep = {"token": token}
        return page.message(f"ack_{exc.reason}_title", f"ack_{exc.reason}", status, keep=keep)


def _urls(token: str) -> dict[str, str]:
    query = urlencode({"token": token})
    return {"answer_url": f"/ack?{query}", "call_url": f"/ack/call?{query}"}


@router.get("/ack")
async def ack_page(page: Page, token: Token = "") -> Response:
    link = await _link(page, token)
    if isinstance(link, Response):
        return link
    alert = await page.hub.store.alert(link.alert_id)
    if alert is None:
        return page.message("ack_invalid_title", "ack_invalid", 400, keep={"token": token})
    return await _show(page, token, alert)


async def _show(page: PageContext, token: str, alert: Alert, flash: str | None = None) -> Response:
    # The language switch keeps the token: without it the page could not be shown.
    query = urlencode({"token": token})
    return await show(
        page, alert, answer_url=f"/ack?{query}", call_url=f"/ack/call?{query}",
        keep={"token": token}, flash=flash,
    )  # fmt: skip


async def _answered(
    page: PageContext, token: str, link: AckLink, done: Alert | None, key: str
) -> Response:
    alert = done or await page.hub.store.alert(link.alert_id)
    if alert is None:
        return page.message("ack_invalid_title", "ack_invalid", 400, keep={"token": token})
    return await _show(page, token, alert, flash_of(page, done, key))


@router.post("/ack")
async def ack(
    page: Page,
    token: Token = "",
    answer: Annotated[Literal["handling", "decline", "resolve"], Form()] = "handling",
    outcome: Annotated[Outcome, Form()] = "other",
    note: Note = "",
) -> Response:
    link = await _link(page, token)
    if isinstance(link, Response):
        return link
    hub = page.hub
    recipient = hub.registry.recipients.get(link.recipient_id)
    who = recipient.name if recipient else link.recipient_id
    action = "alert.ack" if answer == "handling" else f"alert.{answer}"
    await hub.store.audit(
        hub.clock(), who=who, role="link", action=action, subject=f"alert:{link.alert_id}",
        detail=note,
    )  # fmt: skip
    done = await respond(
        hub.store, hub.registry, hub.clock, link.alert_id, answer, who=who, role="link",
        note=note or (page.t("ack_by_link") if answer == "handling" else ""), outcome=outcome,
    )  # fmt: skip
    return await _answered(page, token, link, done, f"ack_done_{answer}")


@router.post("/ack/call")
async def ack_call(
    page: Page,
    token: Token = "",
    result: Annotated[CallResult, Form()] = "no_answer",
    note: Note = "",
) -> Response:
    link = await _link(page, token)
    if isinstance(link, Response):
        return link
    hub = page.hub
    recipient = hub.registry.recipients.get(link.recipient_id)
    who = recipient.name if recipient else link.recipient_id
    await hub.store.audit(
        hub.clock(), who=who, role="link", action=f"alert.call_{result}",
        subject=f"alert:{link.alert_id}", detail=note,
    )  # fmt: skip
    done = await called(
        hub.store, hub.clock, link.alert_id, result, who=who, role="link", note=note
    )
    return await _answered(page, token, link, done, "ack_done_call")
