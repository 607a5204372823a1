"""The desk's change log (``desk/audit.py``): every change of the register, newest
first, who made it, when and through what, each field before and after; personal
values masked for a reader who may not see the entry. Staff and admins only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from mimamori.hub.desk import audit
from mimamori.hub.model.register import Entity
from mimamori.hub.web.context import SignedIn
from mimamori.hub.web.desk_common import desk_refusal

router = APIRouter(include_in_schema=False)
PER_PAGE = 50


@router.get("/desk/audit")
async def change_log(
    page: SignedIn,
    kind: Annotated[str, Query(max_length=20)] = "",
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    if (refused := desk_refusal(page)) is not None:
        return refused
    entity = next((e for e in Entity if e.value == kind), None)
    rows = await page.hub.store.register_audit_log(entity=entity, limit=PER_PAGE, before_id=before)
    changes = [audit.shown(page.hub.registry, page.who, row) for row in rows]
    older = rows[-1].id if len(rows) == PER_PAGE else None
    return page.render(
        "desk/audit.html",
        changes=changes,
        kinds=[e.value for e in Entity],
        kind=entity.value if entity else "",
        older=older,
        keep={"kind": kind} if kind else {},
    )
