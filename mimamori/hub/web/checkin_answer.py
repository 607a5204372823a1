"""The page behind a check-in's answer link: 「元気ですか？」 with 元気だよ / 相談したい,
for a person whose LINE prompt went by mail or SMS instead (``checkins/prompt.py``
``answer_link``). No account is needed: the signed link is the permission, for one
person's one period, for a day. GET only shows; the buttons POST, so a mail app that
opens the link to preview it answers nothing. An answer does exactly what the LINE
buttons do (``LineCheckins.answer``): once the period is answered the page says so.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query
from fastapi.responses import Response

from mimamori.hub.alerts.links import BadLink
from mimamori.hub.checkins import prompt
from mimamori.hub.checkins.line import LineCheckins
from mimamori.hub.web.context import Page, PageContext

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Query(max_length=300)]


async def _asked(page: PageContext, token: str) -> tuple[LineCheckins, prompt.Asked] | Response:
    keep = {"token": token}
    checkins = page.hub.checkins
    if checkins is None:  # no LINE check-ins on this hub (or the API alone)
        return page.message("ci_link_invalid_title", "ci_link_invalid", 404, keep=keep)
    try:
        secret = await page.hub.store.secret(prompt.SECRET)
        return checkins, prompt.read_answer_link(secret, token, page.hub.clock())
    except BadLink as exc:
        status = 410 if exc.reason == "expired" else 400
        return page.message(f"ci_link_{exc.reason}_title", f"ci_link_{exc.reason}", status,
                            keep=keep)  # fmt: skip


def _shown(page: PageContext, token: str, outcome: str | None) -> Response:
    return page.render("checkin_answer.html", keep={"token": token}, token=token, outcome=outcome)


@router.get("/checkin")
async def answer_page(page: Page, token: Token = "") -> Response:
    found = await _asked(page, token)
    if isinstance(found, Response):
        return found
    checkins, asked = found
    return _shown(page, token, await checkins.is_open(asked))


@router.post("/checkin")
async def answer(
    page: Page, token: Token = "", card: Annotated[Literal["genki", "soudan"], Form()] = "genki"
) -> Response:
    found = await _asked(page, token)
    if isinstance(found, Response):
        return found
    checkins, asked = found
    outcome = await checkins.answer(asked, card)
    if outcome in ("thanks", "consult"):
        recipient = page.hub.registry.recipients.get(asked.recipient_id)
        await page.hub.store.audit(
            page.hub.clock(), who=recipient.name if recipient else asked.recipient_id,
            role="link", action=f"checkin.{card}", subject=f"person:{asked.person_id}",
        )  # fmt: skip
    return _shown(page, token, outcome)
