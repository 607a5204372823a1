"""The audit log: every view of a location and every answer to an alert, by whom.

Written before the answer goes out, so a view that was served is always on record.
Admins read it at ``GET /api/v1/audit``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict

from mimamori.hub.access.deps import Caller, Hub
from mimamori.hub.access.policy import Principal
from mimamori.hub.server.state import HubState
from mimamori.protocol.timefmt import format_ts

router = APIRouter(prefix="/api/v1")


async def record(
    hub: HubState, caller: Principal, action: str, subject: str, detail: str = ""
) -> None:
    await hub.store.audit(
        hub.clock(),
        who=caller.name,
        role=caller.role,
        action=action,
        subject=subject,
        detail=detail,
    )


class AuditOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    at: str
    who: str
    role: str
    action: str
    subject: str
    detail: str | None


@router.get("/audit", response_model=list[AuditOut], summary="The audit log (admins only)")
async def audit_log(
    hub: Hub,
    caller: Caller,
    days: Annotated[int, Query(ge=1, le=366)] = 7,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[AuditOut]:
    if caller.role != "admin":
        raise HTTPException(status_code=403, detail="admins only")
    since = hub.clock() - timedelta(days=days)
    return [
        AuditOut(
            id=e.id,
            at=format_ts(e.at),
            who=e.who,
            role=e.role,
            action=e.action,
            subject=e.subject,
            detail=e.detail,
        )
        for e in await hub.store.audit_log(since, limit)
    ]
