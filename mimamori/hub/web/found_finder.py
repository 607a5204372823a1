"""The finder's page (issue 18), behind a found-person sticker's code: no sign-in,
phone first, big text, Japanese with English beneath. The first screen is plain HTML
(an old phone without script gets it whole): what to do now, tap-to-call 119 / 110,
and the big 「保護しています」 button with an optional message; with script, the page
also offers the phone's position (asked, never required) and follows the thread.

Every request is bounded (``found/limits.py``: per address and per sticker), every
field too; an unknown sheet and a revoked one get the same page (call 110).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from mimamori.errors import ChangeRefused
from mimamori.hub.found import finder
from mimamori.hub.found.finder import FinderView
from mimamori.hub.found.limits import FinderLimits
from mimamori.hub.web.context import Page, PageContext
from mimamori.hub.web.desk_common import said
from mimamori.protocol.timefmt import format_ts

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(max_length=finder.TOKEN_MAX)]
ReportId = Annotated[int | None, Query(ge=1, le=2**62)]
FORM_FIELD_MAX = 2000  # more than any field takes: the rest is not read


def _limits(request: Request) -> FinderLimits:
    limits: FinderLimits = request.app.state.found_limits
    return limits


def allowed(page: PageContext, token: str, *, poll: bool = False) -> bool:
    address = page.request.client.host if page.request.client else "-"
    return _limits(page.request).allow(address, token, page.hub.clock(), poll=poll)


def _busy(page: PageContext) -> Response:
    return page.render("found/finder.html", status=429, state="busy", view=None, problems={})


def _here(token: str, report_id: int | None = None) -> str:
    return f"/f/{token}" + (f"?{urlencode({'r': report_id})}" if report_id else "")


def _show(
    page: PageContext,
    token: str,
    view: FinderView,
    *,
    problems: dict[str, list[str]] | None = None,
    status: int | None = None,
) -> Response:
    if not view.valid:
        state = "invalid"
    elif view.report is None:
        state = "start"
    else:
        state = view.report.state  # open | safe
    return page.render(
        "found/finder.html",
        status=status or (410 if state == "invalid" else 200),
        state=state,
        view=view,
        token=token,
        here=_here(token, view.report.id if view.report else None),
        poll=f"/f/{token}/thread.json?{urlencode({'r': view.report.id})}" if view.report else "",
        problems=problems or {},
    )


@router.get("/f/{token}")
async def finder_page(page: Page, token: Token, r: ReportId = None) -> Response:
    if not allowed(page, token, poll=r is not None):
        return _busy(page)
    if r is None:  # the first screen: a scan
        await finder.scan(page.hub, token)
    return _show(page, token, await finder.view(page.hub, token, r))


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {
        k: v[:FORM_FIELD_MAX]
        for k in ("lat", "lon", "message")
        if isinstance(v := form.get(k), str)
    }


def problems_of(page: PageContext, exc: ChangeRefused) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for p in exc.problems:
        problems.setdefault(p.field, []).append(said(page, p))
    return problems


@router.post("/f/{token}/protect")
async def protect(page: Page, token: Token) -> Response:
    if not allowed(page, token):
        return _busy(page)
    view = await finder.view(page.hub, token, None)
    if not view.valid or view.sticker is None:
        return _show(page, token, view)
    values = await _form(page.request)
    try:
        lat, lon = finder.position(values.get("lat", ""), values.get("lon", ""))
        message = finder.message_of(values.get("message", ""))
    except ChangeRefused as exc:
        return _show(page, token, view, problems=problems_of(page, exc), status=422)
    report = await finder.protect(page.hub, view.sticker, lat, lon, message)
    return RedirectResponse(_here(token, report.id), status_code=303)


@router.post("/f/{token}/say")
async def say(page: Page, token: Token, r: ReportId = None) -> Response:
    if not allowed(page, token):
        return _busy(page)
    view = await finder.view(page.hub, token, r)
    if not view.valid or view.report is None:
        return _show(page, token, view)
    values = await _form(page.request)
    try:
        message = finder.message_of(values.get("message", ""))
    except ChangeRefused as exc:
        return _show(page, token, view, problems=problems_of(page, exc), status=422)
    await finder.say(page.hub, view.report, message)
    return RedirectResponse(_here(token, view.report.id), status_code=303)


def thread_json(view: FinderView, *, phone: bool = True) -> dict[str, Any]:
    report = view.report
    return {
        "state": report.state if report else "none",
        "phone": report.phone if report and phone else None,
        "messages": [
            {"id": m.id, "side": m.side, "at": format_ts(m.at), "body": m.body}
            for m in view.messages
        ],
    }


@router.get("/f/{token}/thread.json")
async def finder_thread(page: Page, token: Token, r: ReportId = None) -> Response:
    if not allowed(page, token, poll=True):
        return JSONResponse({"detail": "too many requests"}, status_code=429)
    view = await finder.view(page.hub, token, r)
    if not view.valid or view.report is None:
        return JSONResponse({"state": "invalid", "messages": []}, status_code=404)
    return JSONResponse(thread_json(view))
