"""``GET /api/v1/quarantine``: what the hub set aside, for admins (docs/faults.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict

from mimamori.hub.access.deps import Caller, Hub
from mimamori.protocol.timefmt import format_ts

router = APIRouter(prefix="/api/v1", tags=["health"])

PREVIEW_BYTES = 2048


class QuarantineOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    at: str
    source: str
    gateway: str | None
    topic: str | None
    reason: str
    failure: bool  # valid data the hub could not handle (else: input it refused)
    detail: str
    size: int
    payload_preview: str  # the first bytes, undecodable ones escaped


@router.get(
    "/quarantine",
    response_model=list[QuarantineOut],
    summary="Messages and rows the hub set aside (admins only)",
)
async def quarantine(
    hub: Hub,
    caller: Caller,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    failures: bool = False,
) -> list[QuarantineOut]:
    if caller.role != "admin":
        raise HTTPException(status_code=403, detail="admins only")
    entries = await hub.store.quarantined(limit, before_id=before, failures_only=failures)
    return [
        QuarantineOut(
            id=e.id,
            at=format_ts(e.at),
            source=e.item.source,
            gateway=e.item.gateway_id,
            topic=e.item.topic,
            reason=e.item.reason,
            failure=e.item.failure,
            detail=e.item.detail,
            size=e.size,
            payload_preview=(e.item.payload or b"")[:PREVIEW_BYTES].decode(
                "utf-8", "backslashreplace"
            ),
        )
        for e in entries
    ]
