"""The page behind a roll-call's one-time link (``rollcall/asking.py``): two buttons,
元気です and 助けが必要. No account is needed: the link is the permission, for one
household, while the roll-call runs (only the token's hash is kept). GET only shows;
the buttons POST, so a mail or chat app that opens the link to preview it answers
nothing. 助けが必要 opens an SOS alert of the household at once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query
from fastapi.responses import Response

from mimamori.hub.model.rollcall import Answer, Asked
from mimamori.hub.web.context import Page, PageContext

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Query(max_length=100)]


def _unknown(page: PageContext, token: str) -> Response:
    keep = {"token": token}
    return page.message("rc_answer_unknown_title", "rc_answer_unknown", 404, keep=keep)


def _shown(page: PageContext, token: str, message: str, row: Asked, done: bool) -> Response:
    return page.render(
        "rollcall_answer.html",
        keep={"token": token},
        token=token,
        message=message,
        answered=row.answer if done else None,
    )


@router.get("/rollcall/answer")
async def answer_page(page: Page, token: Token = "") -> Response:
    if page.hub.rollcall is None or (found := await page.hub.rollcall.by_link(token)) is None:
        return _unknown(page, token)
    call, row = found
    return _shown(page, token, call.message, row, done=False)


@router.post("/rollcall/answer")
async def answer(
    page: Page, token: Token = "", answer: Annotated[Answer, Form()] = "safe"
) -> Response:
    service = page.hub.rollcall
    found = await service.by_link(token) if service is not None else None
    if service is None or found is None:
        return _unknown(page, token)
    row = await service.answer(token, answer)
    if row is None:
        return _unknown(page, token)
    await page.hub.store.audit(
        page.hub.clock(), who=f"household:{row.household_id}", role="link",
        action=f"rollcall.{answer}", subject=f"rollcall:{row.rollcall_id}",
    )  # fmt: skip
    return _shown(page, token, found[0].message, row, done=True)
