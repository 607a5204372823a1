""" "My cases" (issue 16, ``cases/mine.py``): the open cases assigned to the signed-in
account. Staff see each case as at the desk, linked to it; a volunteer (民生委員) sees
what was noticed, where and what to do, and nothing else."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from mimamori.hub.cases.feedback import TOKYO
from mimamori.hub.cases.mine import mine
from mimamori.hub.cases.reports import label
from mimamori.hub.desk.service import DeskRefused
from mimamori.hub.model.cases import Case
from mimamori.hub.web.context import PageContext, SignedIn
from mimamori.hub.web.desk_cases import where
from mimamori.hub.web.desk_common import refusal

router = APIRouter(include_in_schema=False)


def _address(page: PageContext, case: Case) -> str:
    """Where, as a volunteer may see it: the address (a partner's label), no names."""
    home = page.hub.registry.households.get(case.household_id or "")
    return label(home) if home is not None else case.address or ""


@router.get("/cases/mine")
async def my_cases(page: SignedIn) -> Response:
    try:
        found = await mine(page.hub, page.who)
    except DeskRefused as exc:
        return refusal(page, exc)
    t, staff = page.t, page.who.role != "volunteer"
    rows = [
        (
            a.case,
            where(page, a.case) if staff else _address(page, a.case),
            [t(f"noticed_{n.value}") for n in a.noticed],
            t(f"triage_{a.case.triage.value}") if a.case.triage else t("mine_todo_pending"),
            t.date_time(a.case.opened_at.astimezone(TOKYO)),
        )
        for a in found
    ]
    return page.render("my_cases.html", rows=rows, staff=staff)
