"""A partner's bulletin page (issue 18, part 2), behind the link of a search
bulletin (``searches/bulletins.py``): no sign-in, phone first, big text. While the
search runs: the photo, how the family named the person, the description, today's
clothing, where and when last seen, and the big 「見かけた」 with the phone's
position (asked, never required) and a note. Once the search ended: only
「見つかりました。ご協力ありがとうございました。」, no data (the photo too answers 410).
Rate-limited as the finder's page (``found/limits.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import RedirectResponse, Response

from mimamori.errors import ChangeRefused
from mimamori.hub.alerts.links import BadLink
from mimamori.hub.found import finder
from mimamori.hub.searches import bulletin_view
from mimamori.hub.searches.bulletin_view import Open, Withdrawn
from mimamori.hub.web.context import Page, PageContext
from mimamori.hub.web.found_finder import FORM_FIELD_MAX, allowed, problems_of

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(max_length=200)]


def _busy(page: PageContext) -> Response:
    return page.render("found/bulletin.html", status=429, state="busy", view=None, problems={})


async def _open(page: PageContext, token: str, *, view: bool) -> Open | Withdrawn | Response:
    try:
        return await bulletin_view.open_bulletin(page.hub, token, view=view)
    except BadLink as exc:
        status = 410 if exc.reason == "expired" else 404
        return page.render("found/bulletin.html", status=status, state="invalid", view=None,
                           problems={})  # fmt: skip


def _show(
    page: PageContext,
    token: str,
    found: Open | Withdrawn,
    *,
    problems: dict[str, list[str]] | None = None,
    thanks: bool = False,
) -> Response:
    if isinstance(found, Withdrawn):  # nothing of the person: not even in the markup
        return page.render(
            "found/bulletin.html", status=410, state="withdrawn", found=found.state == "found",
            view=None, problems={},
        )  # fmt: skip
    return page.render(
        "found/bulletin.html",
        status=422 if problems else 200,
        state="open",
        view=found,
        token=token,
        thanks=thanks,
        problems=problems or {},
        when=bulletin_view.local_time,
    )


@router.get("/b/{token}")
async def bulletin_page(page: Page, token: Token, thanks: int = 0) -> Response:
    if not allowed(page, token, poll=thanks == 1):
        return _busy(page)
    found = await _open(page, token, view=thanks != 1)
    return found if isinstance(found, Response) else _show(page, token, found, thanks=thanks == 1)


@router.get("/b/{token}/photo")
async def bulletin_photo(page: Page, token: Token) -> Response:
    if not allowed(page, token, poll=True):
        return Response(status_code=429)
    found = await _open(page, token, view=False)
    if not isinstance(found, Open):
        return Response(status_code=410 if isinstance(found, Withdrawn) else 404)
    person = page.hub.registry.people.get(found.search.person_id)
    photo = await page.hub.store.photo(person.photo) if person and person.photo else None
    if photo is None:
        return Response(status_code=404)
    return Response(photo.data, media_type=photo.media_type)


@router.post("/b/{token}/seen")
async def seen(page: Page, token: Token) -> Response:
    if not allowed(page, token):
        return _busy(page)
    found = await _open(page, token, view=False)
    if not isinstance(found, Open):
        return found if isinstance(found, Response) else _show(page, token, found)
    form = await page.request.form()
    values = {k: v[:FORM_FIELD_MAX] for k in ("lat", "lon", "note")
              if isinstance(v := form.get(k), str)}  # fmt: skip
    try:
        lat, lon = finder.position(values.get("lat", ""), values.get("lon", ""))
        note = finder.message_of(values.get("note", ""))
    except ChangeRefused as exc:
        return _show(page, token, found, problems=problems_of(page, exc))
    await bulletin_view.saw(page.hub, found, lat, lon, note)
    return RedirectResponse(f"/b/{token}?thanks=1", status_code=303)
