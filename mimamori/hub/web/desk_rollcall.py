"""The roll-call's pages (issue 19; docs/rollcall.md), for staff and volunteers signed in:

* ``/rollcall``: the roll-calls the caller may see, and (staff) the form to start one;
* ``/rollcall/{id}``: the live list (not answered first, the support list first), the
  phones to call, 100 lines a page with the counts of all, kept to one status by a
  link or to a search's households (``?find=``); it has no form, so it reloads itself
  like the other live lists; ``/rollcall/{id}/find`` is the search's form;
* ``/rollcall/{id}/visit?household=…``: the form that records a visit (無事 / 要支援 /
  不在), audited; and the end with its report (staff).

Plain forms that post back to these pages, no script, as the desk's other pages.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query
from fastapi.responses import RedirectResponse, Response

from mimamori.hub.model.rollcall import STATUSES, VISITS, Status, Visit
from mimamori.hub.rollcall.listing import MAX_FIND, line_of
from mimamori.hub.rollcall.service import MAX_MESSAGE, PAGE, Refused, RollCalls
from mimamori.hub.web.context import PageContext, SignedIn

router = APIRouter(include_in_schema=False)
RollCallId = Annotated[int, Path(ge=1, le=2**62)]
HouseholdId = Annotated[str, Query(min_length=1, max_length=64)]
_STATUS = {"forbidden": 403, "missing": 404, "over": 409}
MAX_PAGE = 10_000


def _service(page: PageContext) -> RollCalls | Response:
    if page.hub.rollcall is None or not (page.who.sees_all_homes or page.who.role == "volunteer"):
        return page.message("rc_title", "rc_refused", 403)
    return page.hub.rollcall


def _refused(page: PageContext, exc: Refused) -> Response:
    key = "rc_over" if exc.reason == "over" else "rc_refused"
    return page.message("rc_title", key, _STATUS[exc.reason])


@router.get("/rollcall")
async def rollcalls(page: SignedIn) -> Response:
    if isinstance(service := _service(page), Response):
        return service
    who = page.who
    calls = [
        c
        for c in await page.hub.store.rollcalls()
        if c.area is None or who.role == "volunteer" or who.in_area(c.area)
    ]
    areas = [a for a in page.hub.registry.areas.values() if who.in_area(a.id)]
    return page.render(
        "desk/rollcalls.html", calls=calls, areas=areas, staff=who.sees_all_homes,
        everywhere=who.everywhere, max_message=MAX_MESSAGE,
    )  # fmt: skip


@router.post("/rollcall")
async def start(
    page: SignedIn,
    area: Annotated[str, Form(max_length=64)] = "",
    message: Annotated[str, Form(max_length=MAX_MESSAGE)] = "",
) -> Response:
    if isinstance(service := _service(page), Response):
        return service
    try:
        started = await service.start(page.who, area or None, message)
    except Refused as exc:
        return _refused(page, exc)
    except ValueError:
        return page.message("rc_title", "rc_refused", 422)
    return RedirectResponse(f"/rollcall/{started.id}", status_code=303)


@router.get("/rollcall/{rollcall_id:int}")
async def live_list(
    page: SignedIn,
    rollcall_id: RollCallId,
    n: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)] = 1,
    status: Annotated[Status | None, Query()] = None,
    find: Annotated[str, Query(max_length=MAX_FIND)] = "",
) -> Response:
    if isinstance(service := _service(page), Response):
        return service
    try:
        call, found = await service.page(page.who, rollcall_id, page=n, status=status, find=find)
    except Refused as exc:
        return _refused(page, exc)
    report = await service.report(page.who, rollcall_id) if not call.open else None
    pages = max(1, -(-found.matching // PAGE))
    kept = {k: v for k, v in (("status", status or ""), ("find", find)) if v}
    return page.render(
        "desk/rollcall.html", call=call, lines=[line_of(page.hub.registry, r) for r in found.rows],
        counts=found.counts, report=report, staff=page.who.sees_all_homes, live_list=call.open,
        statuses=STATUSES, only=status, find=find, n=n, pages=pages, matching=found.matching,
        at=lambda m: f"/rollcall/{call.id}?{urlencode({**kept, 'page': m})}",
    )  # fmt: skip


@router.get("/rollcall/{rollcall_id:int}/find")
async def find_form(page: SignedIn, rollcall_id: RollCallId) -> Response:
    """The search for a household (a form: the live list has none, it reloads)."""
    if isinstance(service := _service(page), Response):
        return service
    try:
        call = await service.rollcall(page.who, rollcall_id)
    except Refused as exc:
        return _refused(page, exc)
    return page.render("desk/rollcall_find.html", call=call, max_find=MAX_FIND)


@router.get("/rollcall/{rollcall_id:int}/visit")
async def visit_form(page: SignedIn, rollcall_id: RollCallId, household: HouseholdId) -> Response:
    if isinstance(service := _service(page), Response):
        return service
    try:
        call, row = await service.row(page.who, rollcall_id, household)
    except Refused as exc:
        return _refused(page, exc)
    line = line_of(page.hub.registry, row)
    return page.render(
        "desk/rollcall_visit.html", call=call, line=line, visits=VISITS,
        staff=page.who.sees_all_homes,
    )  # fmt: skip


@router.post("/rollcall/{rollcall_id:int}/visit")
async def visit(
    page: SignedIn,
    rollcall_id: RollCallId,
    household: HouseholdId,
    outcome: Annotated[Visit, Form()],
) -> Response:
    if isinstance(service := _service(page), Response):
        return service
    try:
        await service.visit(page.who, rollcall_id, household, outcome)
    except Refused as exc:
        return _refused(page, exc)
    return RedirectResponse(f"/rollcall/{rollcall_id}", status_code=303)


@router.post("/rollcall/{rollcall_id:int}/end")
async def end(page: SignedIn, rollcall_id: RollCallId) -> Response:
    if isinstance(service := _service(page), Response):
        return service
    try:
        await service.end(page.who, rollcall_id)
    except Refused as exc:
        return _refused(page, exc)
    return RedirectResponse(f"/rollcall/{rollcall_id}", status_code=303)
