"""The family's page of a found thread (issue 18), opened from the notice's signed
link (``found/links.py``; a day): the finder's messages and position, an answer
box, "show my number to the finder" (the number of the contact the link was sent
to, and only if they choose), and 「無事を確認しました」, which closes the thread for
both sides. Posts go back to the page (303), so a reload sends nothing twice."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse, RedirectResponse, Response

from mimamori.errors import ChangeRefused
from mimamori.hub.found import finder, thread
from mimamori.hub.found.links import BadThreadLink
from mimamori.hub.found.thread import FamilyView
from mimamori.hub.web.context import Page, PageContext
from mimamori.hub.web.desk_common import said
from mimamori.hub.web.found_finder import FORM_FIELD_MAX
from mimamori.protocol.timefmt import format_ts

router = APIRouter(include_in_schema=False)
Link = Annotated[str, Path(max_length=300)]


async def _view(page: PageContext, link: str) -> FamilyView | Response:
    try:
        return await thread.family_view(page.hub, link)
    except BadThreadLink as exc:
        key = "found_link_expired" if exc.reason == "expired" else "found_link_invalid"
        return page.message("found_link_title", key, 410 if exc.reason == "expired" else 404)


def _show(
    page: PageContext, view: FamilyView, problems: dict[str, list[str]] | None = None
) -> Response:
    return page.render(
        "found/family.html",
        status=422 if problems else 200,
        view=view,
        here=f"/found/thread/{view.token}",
        poll=f"/found/thread/{view.token}/thread.json",
        problems=problems or {},
        at=format_ts,
    )


@router.get("/found/thread/{link}")
async def family_page(page: Page, link: Link) -> Response:
    found = await _view(page, link)
    return found if isinstance(found, Response) else _show(page, found)


@router.get("/found/thread/{link}/thread.json")
async def family_thread(page: Page, link: Link) -> Response:
    found = await _view(page, link)
    if isinstance(found, Response):
        return JSONResponse({"state": "invalid", "messages": []}, status_code=404)
    return JSONResponse(
        {
            "state": found.report.state,
            "phone": found.report.phone,
            "messages": [
                {"id": m.id, "side": m.side, "at": format_ts(m.at), "body": m.body}
                for m in found.messages
            ],
        }
    )


@router.post("/found/thread/{link}/{action}")
async def family_action(
    page: Page, link: Link, action: Annotated[str, Path(max_length=10)]
) -> Response:
    found = await _view(page, link)
    if isinstance(found, Response):
        return found
    form = await page.request.form()
    if action == "answer":
        text = form.get("message")
        try:
            body = finder.message_of(text[:FORM_FIELD_MAX] if isinstance(text, str) else "")
        except ChangeRefused as exc:
            problems: dict[str, list[str]] = {}
            for p in exc.problems:
                problems.setdefault(p.field, []).append(said(page, p))
            return _show(page, found, problems)
        if body:
            await thread.answer(page.hub, found, body)
    elif action == "reveal":
        await thread.reveal(page.hub, found, form.get("show") == "1")
    elif action == "safe":
        await thread.mark_safe(page.hub, found)
    else:
        return page.message("found_link_title", "found_link_invalid", 404)
    return RedirectResponse(f"/found/thread/{found.token}", status_code=303)
