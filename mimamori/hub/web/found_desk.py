"""The desk's found-person stickers (issue 18), from a person's page: the sheets
issued (when, by whom, scans) and the finders' threads, a new sheet to print (its
answer is the printable A4 page: the token is shown this once, never stored), and
revoke. Staff of the person's area and admins only (``found/stickers.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import RedirectResponse, Response

from mimamori.hub.desk.service import DeskRefused
from mimamori.hub.found import stickers
from mimamori.hub.web.context import SignedIn
from mimamori.hub.web.desk_common import desk_refusal, refusal
from mimamori.protocol.timefmt import format_ts

router = APIRouter(include_in_schema=False)
PersonId = Annotated[str, Path(max_length=64)]
THREADS_SHOWN = 20


@router.get("/desk/people/{person_id}/stickers")
async def stickers_page(page: SignedIn, person_id: PersonId) -> Response:
    if (refused := desk_refusal(page)) is not None:
        return refused
    try:
        sheets = await stickers.stickers_of(page.hub, page.who, person_id)
    except DeskRefused as exc:
        return refusal(page, exc)
    person = page.hub.registry.people[person_id]
    reports = await page.hub.store.found_reports_of(person_id, THREADS_SHOWN)
    return page.render(
        "found/stickers.html", person=person, sheets=sheets, reports=reports, at=format_ts
    )


@router.post("/desk/people/{person_id}/stickers")
async def issue_sheet(page: SignedIn, person_id: PersonId) -> Response:
    if (refused := desk_refusal(page)) is not None:
        return refused
    try:
        sheet = await stickers.issue(page.hub, page.who, person_id)
    except DeskRefused as exc:
        return refusal(page, exc)
    # The answer itself, not a redirect: the token must not sit in the history.
    return page.render("found/sheet.html", sheet=sheet)


@router.post("/desk/people/{person_id}/stickers/revoke")
async def revoke_sheets(page: SignedIn, person_id: PersonId) -> Response:
    if (refused := desk_refusal(page)) is not None:
        return refused
    try:
        await stickers.revoke(page.hub, page.who, person_id)
    except DeskRefused as exc:
        return refusal(page, exc)
    return RedirectResponse(f"/desk/people/{person_id}/stickers", status_code=303)


@router.get("/desk/people/{person_id}/found/{report_id}")
async def thread_page(
    page: SignedIn, person_id: PersonId, report_id: Annotated[int, Path(ge=1, le=2**62)]
) -> Response:
    """A finder's thread, read-only (issue 18): the finder's and the family's messages."""
    if (refused := desk_refusal(page)) is not None:
        return refused
    try:
        found = await stickers.desk_thread(page.hub, page.who, person_id, report_id)
    except DeskRefused as exc:
        return refusal(page, exc)
    if found is None:
        return refusal(page, DeskRefused(404, "no such thread"))
    report, messages = found
    person = page.hub.registry.people[person_id]
    return page.render(
        "found/desk_thread.html", person=person, report=report, messages=messages, at=format_ts
    )
