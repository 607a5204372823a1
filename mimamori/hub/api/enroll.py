"""Enrollment over HTTP: an admin asks for a gateway's one-time code (the desk will call
this), and the gateway trades the code for its account, CA and YAML (``edge enroll``).

    POST /api/v1/gateways/{id}/enrollment   admins: {"code", "gateway", "expires_at"}
    POST /api/v1/enroll {"code": "..."}     no sign-in; the code is the credential

A refusal says why in both languages (``detail.ja``/``detail.en``): 404 unknown or
malformed, 410 used or expired, 429 too many failures from this address (with
Retry-After), 503 when the hub cannot write the account; 404 when this hub does not
enroll at all (no ``hub.enrollment``/``hub.mosquitto``: the route is as good as absent).
"""

from __future__ import annotations

import math

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from mimamori.hub.access.deps import Caller, Hub
from mimamori.hub.enroll.service import Enrollment, EnrollmentError, Refused
from mimamori.protocol.timefmt import format_ts

router = APIRouter(prefix="/api/v1", tags=["gateways"])

STATUS = {
    "unknown": 404,
    "malformed": 404,
    "gone": 404,
    "used": 410,
    "expired": 410,
    "wait": 429,
    "broker": 503,
}


class CodeOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    gateway: str
    code: str
    expires_at: str


class EnrollIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(min_length=1, max_length=64)


class EnrollOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    gateway: str
    username: str
    password: str
    config: str  # the gateway's YAML
    ca: str | None  # the town's CA (PEM); None: the broker speaks plain MQTT
    broker_reloaded: bool  # False: the broker reads the account at its next reload


def _enrollment(hub: Hub) -> Enrollment:
    settings, files = hub.config.hub.enrollment, hub.config.hub.mosquitto
    if settings is None or files is None:
        raise HTTPException(
            status_code=404,
            detail={
                "ja": "このハブではゲートウェイの登録を受け付けていません",
                "en": "this hub does not enroll gateways (no hub.enrollment or hub.mosquitto)",
            },
        )
    return Enrollment(hub.config, settings, files, hub.registry, hub.store, clock=hub.clock)


@router.post(
    "/gateways/{gateway_id}/enrollment",
    response_model=CodeOut,
    summary="A one-time enrollment code for a registered gateway (admins only)",
)
async def enrollment_code(gateway_id: str, hub: Hub, caller: Caller) -> CodeOut:
    if caller.role != "admin":
        raise HTTPException(status_code=403, detail="admins only")
    enrollment = _enrollment(hub)
    try:
        issued = await enrollment.issue(gateway_id[:64], who=caller.name, role=caller.role)
    except EnrollmentError as exc:
        raise HTTPException(status_code=404, detail={"ja": exc.ja, "en": exc.en}) from None
    return CodeOut(
        gateway=issued.gateway_id, code=issued.code, expires_at=format_ts(issued.expires_at)
    )


@router.post(
    "/enroll",
    response_model=EnrollOut,
    summary="A gateway trades its one-time code for its broker account, CA and YAML",
)
async def enroll(body: EnrollIn, request: Request, hub: Hub) -> EnrollOut:
    address = request.client.host if request.client else None
    got = await _enrollment(hub).redeem(body.code, address=address)
    if isinstance(got, Refused):
        headers = None
        if got.retry_after is not None:
            headers = {"Retry-After": str(math.ceil(got.retry_after.total_seconds()))}
        raise HTTPException(
            status_code=STATUS[got.reason],
            detail={"reason": got.reason, "ja": got.ja, "en": got.en},
            headers=headers,
        )
    return EnrollOut(
        gateway=got.gateway_id,
        username=got.username,
        password=got.password,
        config=got.config,
        ca=got.ca,
        broker_reloaded=got.broker_reloaded,
    )
