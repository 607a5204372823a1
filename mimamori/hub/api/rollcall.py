"""The safety roll-call in the API (issue 19; docs/rollcall.md): staff start one for
their area (admins for any, or the whole town), read the live list (staff their
areas, a volunteer their assigned households; 100 lines a page, with the counts of
all, kept to one status or to the households a search finds), record visits, and end
it with its report. A family, or a roll-call the caller may not see, answers 404; staff asking
for another area's, 403.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body, HTTPException, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from mimamori.hub.access.deps import Caller, Hub
from mimamori.hub.model.rollcall import Status, Visit
from mimamori.hub.rollcall.listing import MAX_FIND, line_of
from mimamori.hub.rollcall.service import MAX_MESSAGE, PAGE, Refused, RollCalls
from mimamori.hub.server.state import HubState
from mimamori.protocol.timefmt import format_ts

router = APIRouter(prefix="/api/v1")
RollCallId = Annotated[int, Path(ge=1, le=2**63 - 1)]
_STATUS = {"forbidden": 403, "missing": 404, "over": 409}
MAX_PAGE = 10_000  # 100 lines a page: a million households


def _service(hub: HubState) -> RollCalls:
    if hub.rollcall is None:  # pragma: no cover - every assembled hub has one
        raise HTTPException(503, "the roll-call is not available")
    return hub.rollcall


def _refused(exc: Refused) -> HTTPException:
    return HTTPException(_STATUS[exc.reason], f"roll-call: {exc.reason}")


class StartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    area: str | None = Field(default=None, max_length=64)  # None: the whole town (admins)
    message: str = Field(min_length=1, max_length=MAX_MESSAGE)


class StartedOut(BaseModel):
    id: int
    households: int
    notices: int
    buttons: int


class RollCallOut(BaseModel):
    id: int
    area: str | None
    message: str
    started_by: str
    started_at: str
    ended_at: str | None


class PhoneOut(BaseModel):
    name: str
    relation: str | None
    number: str


class LineOut(BaseModel):
    household_id: str
    name: str
    area: str
    support: bool
    status: Literal["unanswered", "seen", "safe", "help"]
    how: str | None
    answered_at: str | None
    seen_at: str | None
    seen_where: str | None
    visit: str | None
    visit_at: str | None
    visit_by: str | None
    button: str
    notices: int
    people: list[str]
    phones: list[PhoneOut]


class ListOut(BaseModel):
    rollcall: RollCallOut
    households: list[LineOut]  # this page's, in list order
    counts: dict[str, int]  # all the caller's households by status, the filter aside
    page: int
    pages: int
    matching: int  # households the filter (status, find) keeps


class VisitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    household_id: str = Field(min_length=1, max_length=64)
    visit: Visit


class ReportOut(BaseModel):
    asked: int
    counts: dict[str, int]
    median_s: float | None
    p90_s: float | None
    never_reached: list[str]


def _ts(value: datetime | None) -> str | None:
    return None if value is None else format_ts(value)


@router.post("/rollcalls", status_code=201, response_model=StartedOut)
async def start(hub: Hub, caller: Caller, body: Annotated[StartIn, Body()]) -> StartedOut:
    try:
        started = await _service(hub).start(caller, body.area, body.message)
    except Refused as exc:
        raise _refused(exc) from exc
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    return StartedOut(**vars(started))


@router.get("/rollcalls", response_model=list[RollCallOut])
async def rollcalls(hub: Hub, caller: Caller) -> list[RollCallOut]:
    if not (caller.sees_all_homes or caller.role == "volunteer"):
        return []
    return [
        RollCallOut(
            id=c.id, area=c.area, message=c.message, started_by=c.started_by,
            started_at=format_ts(c.started_at), ended_at=_ts(c.ended_at),
        )
        for c in await hub.store.rollcalls()
        if c.area is None or caller.role == "volunteer" or caller.in_area(c.area)
    ]  # fmt: skip


@router.get("/rollcalls/{rollcall_id}", response_model=ListOut)
async def live_list(
    hub: Hub,
    caller: Caller,
    rollcall_id: RollCallId,
    *,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    status: Annotated[Status | None, Query()] = None,
    find: Annotated[str, Query(max_length=MAX_FIND)] = "",
) -> ListOut:
    try:
        call, found = await _service(hub).page(
            caller, rollcall_id, page=page, status=status, find=find
        )
    except Refused as exc:
        raise _refused(exc) from exc
    lines = []
    for row in found.rows:
        line = line_of(hub.registry, row)
        lines.append(
            LineOut(
                household_id=row.household_id, name=line.name, area=row.area,
                support=row.support, status=row.status, how=row.how,
                answered_at=_ts(row.answered_at), seen_at=_ts(row.seen_at),
                seen_where=row.seen_where, visit=row.visit, visit_at=_ts(row.visit_at),
                visit_by=row.visit_by, button=row.button, notices=row.notices,
                people=line.people, phones=[PhoneOut(**vars(p)) for p in line.phones],
            )
        )  # fmt: skip
    out = RollCallOut(
        id=call.id, area=call.area, message=call.message, started_by=call.started_by,
        started_at=format_ts(call.started_at), ended_at=_ts(call.ended_at),
    )  # fmt: skip
    return ListOut(
        rollcall=out, households=lines, counts=found.counts, page=page,
        pages=max(1, -(-found.matching // PAGE)), matching=found.matching,
    )  # fmt: skip


@router.post("/rollcalls/{rollcall_id}/visits")
async def visit(
    hub: Hub, caller: Caller, rollcall_id: RollCallId, body: Annotated[VisitIn, Body()]
) -> dict[str, str | None]:
    try:
        row = await _service(hub).visit(caller, rollcall_id, body.household_id, body.visit)
    except Refused as exc:
        raise _refused(exc) from exc
    return {"household_id": row.household_id, "status": row.status, "visit": row.visit}


@router.post("/rollcalls/{rollcall_id}/end", response_model=ReportOut)
async def end(hub: Hub, caller: Caller, rollcall_id: RollCallId) -> ReportOut:
    try:
        report = await _service(hub).end(caller, rollcall_id)
    except Refused as exc:
        raise _refused(exc) from exc
    return ReportOut(**vars(report))


@router.get("/rollcalls/{rollcall_id}/report", response_model=ReportOut)
async def report(hub: Hub, caller: Caller, rollcall_id: RollCallId) -> ReportOut:
    try:
        kept = await _service(hub).report(caller, rollcall_id)
    except Refused as exc:
        raise _refused(exc) from exc
    if kept is None:
        raise HTTPException(409, "roll-call: still running")
    return ReportOut(**vars(kept))
