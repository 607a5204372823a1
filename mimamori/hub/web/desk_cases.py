"""The desk's cases (issue 16): the list, new first, and one case with its timeline
and what staff do with it (triage, assign, note, close). Through ``cases.service``,
which asks the access policy first and audits every read of a case."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import RedirectResponse, Response

from mimamori.errors import ChangeRefused
from mimamori.hub.alerts.messages import what_of
from mimamori.hub.cases import service
from mimamori.hub.cases.feedback import TOKYO
from mimamori.hub.cases.reports import label
from mimamori.hub.desk.service import DeskRefused
from mimamori.hub.model.cases import Case, Triage
from mimamori.hub.web.context import PageContext, SignedIn
from mimamori.hub.web.desk_common import failed, form_value, refusal

router = APIRouter(include_in_schema=False)


def where(page: PageContext, case: Case) -> str:
    """The home as staff know it: the household's name and address."""
    home = page.hub.registry.households.get(case.household_id or "")
    if home is None:
        return case.address or case.household_id or ""
    return f"{home.name}（{label(home)}）" if home.address else home.name


def _local(page: PageContext, case: Case) -> str:
    return page.t.date_time(case.opened_at.astimezone(TOKYO))


@router.get("/desk/cases")
async def case_list(page: SignedIn) -> Response:
    try:
        cases = await service.visible_cases(page.hub, page.who)
    except DeskRefused as exc:
        return refusal(page, exc)
    rows = [(c, where(page, c), _local(page, c)) for c in cases]
    return page.render("desk/cases.html", rows=rows, live_list=True)


async def _case(
    page: PageContext, case_id: int, problems: dict[str, list[str]] | None = None, status: int = 200
) -> Response:
    try:
        view = await service.read(page.hub, page.who, case_id)
    except DeskRefused as exc:
        return refusal(page, exc)
    t, case = page.t, view.case
    timeline = [(e, t.date_time(e.at.astimezone(TOKYO))) for e in view.timeline]
    staff = await service.assignees(page.hub, case)
    alerts = [
        (
            a,
            what_of(a, page.lang),
            t(f"alert_{a.state}"),
            t.date_time(a.opened_at.astimezone(TOKYO)),
        )
        for a in view.alerts
    ]
    return page.render(
        "desk/case.html",
        status=status,
        case=case,
        where=where(page, case),
        opened=_local(page, case),
        area=area.name if (area := page.hub.registry.areas.get(case.area)) else case.area,
        timeline=timeline,
        alerts=alerts,
        triages=[(x.value, t(f"triage_{x.value}")) for x in Triage],
        staff=staff,
        assigned=dict(staff).get(case.assigned_to or "", case.assigned_to),
        problems=problems or {},
    )


@router.get("/desk/cases/{case_id}")
async def case_page(page: SignedIn, case_id: int) -> Response:
    return await _case(page, case_id)


@router.get("/desk/cases/{case_id}/photos/{photo_id}")
async def case_photo(
    page: SignedIn, case_id: int, photo_id: Annotated[str, Path(max_length=64)]
) -> Response:
    """A report's photo: to the staff who may read the case (the read audited)."""
    try:
        found = await service.photo(page.hub, page.who, case_id, photo_id)
    except DeskRefused as exc:
        return refusal(page, exc)
    if found is None:
        return page.message("case_photo", "case_photo_gone", 404)
    return Response(found.data, media_type=found.media_type)


async def _act(
    page: PageContext, case_id: int, act: Callable[[dict[str, str]], Awaitable[None]]
) -> Response:
    form = await page.request.form()
    values = {k: form_value(form, k, 1000) for k in ("triage", "note", "outcome", "text", "assign")}
    try:
        await act(values)
    except DeskRefused as exc:
        return refusal(page, exc)
    except ChangeRefused as exc:
        return await _case(page, case_id, failed(page, exc).problems, 422)
    return RedirectResponse(f"/desk/cases/{case_id}", status_code=303)


@router.post("/desk/cases/{case_id}/triage")
async def triage(page: SignedIn, case_id: int) -> Response:
    return await _act(page, case_id, lambda v: service.triage(
        page.hub, page.who, case_id, v["triage"], v["note"]))  # fmt: skip


@router.post("/desk/cases/{case_id}/close")
async def close(page: SignedIn, case_id: int) -> Response:
    return await _act(
        page, case_id, lambda v: service.close(page.hub, page.who, case_id, v["outcome"])
    )


@router.post("/desk/cases/{case_id}/note")
async def note(page: SignedIn, case_id: int) -> Response:
    return await _act(page, case_id, lambda v: service.note(page.hub, page.who, case_id, v["text"]))


@router.post("/desk/cases/{case_id}/assign")
async def assign(page: SignedIn, case_id: int) -> Response:
    return await _act(
        page, case_id, lambda v: service.assign(page.hub, page.who, case_id, v["assign"])
    )
