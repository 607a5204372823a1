"""A department's system files meter anomalies (issue 16; 大館: the water department
reports through its own system, not by hand). The same lines as the desk's CSV
(``cases/anomalies.py``: household, date, kind, value), checked and filed the same way:
each line once per partner, ever; only for households whose people all consented to
"meter"; every bad line named by its index and why, the good ones filed all the same.

The credential is a report link of the department's partner, issued at the desk (its
label says what it is for, e.g. 「水道課システム」), sent as a bearer token: only its
hash is kept, staff revoke it at the desk, and it names the partner whose reports the
lines become. A request is bounded by the hub's 1 MiB body and ``MAX_LINES`` lines.
"""

# No "from __future__ import annotations": FastAPI reads the parameters' types from the
# evaluated annotations.
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from mimamori.hub.access.auth import token_hash
from mimamori.hub.access.deps import Hub
from mimamori.hub.cases import anomalies
from mimamori.hub.model.cases import Partner
from mimamori.hub.model.register import Actor

router = APIRouter(prefix="/api/v1/partner", tags=["partners"])
NOT_YOURS = {"WWW-Authenticate": "Bearer"}


class Anomaly(BaseModel):
    model_config = ConfigDict(extra="forbid")

    household: str = Field(max_length=64, description="the household's id in the register")
    date: str = Field(max_length=10, description="the day noticed: 2031-05-12 or 2031/05/12")
    kind: str = Field(max_length=32, description="water_still or power_score")
    value: str = Field(default="", max_length=16, description="power_score: the score 0-100")


class Anomalies(BaseModel):
    model_config = ConfigDict(extra="forbid")

    anomalies: list[Anomaly] = Field(max_length=anomalies.MAX_LINES)


class Problem(BaseModel):
    index: int = Field(description="the line's index in ``anomalies`` (from 0)")
    ja: str
    en: str


class Filed(BaseModel):
    filed: int = Field(description="lines filed now as the partner's reports")
    cases: list[int] = Field(description="the cases they joined or opened")
    already: int = Field(description="lines this partner had filed before: not filed again")
    no_consent: list[int] = Field(description="indexes of households without consent: not filed")
    problems: list[Problem] = Field(description="refused lines, with why")


async def _partner(hub: Hub, authorization: Annotated[str | None, Header()] = None) -> Partner:
    """The token's partner (a dependency: refused before the body is looked at)."""
    scheme, _, token = (authorization or "").partition(" ")
    link = (
        await hub.store.partner_link_of(token_hash(token.strip()))
        if scheme.lower() == "bearer" and token.strip()
        else None
    )
    if link is None or link.revoked:
        detail = "the token was revoked at the desk" if link else "a partner's token is needed"
        raise HTTPException(status_code=401, detail=detail, headers=NOT_YOURS)
    partner = await hub.store.partner(link.partner_id)
    if partner is None:
        raise HTTPException(status_code=401, detail="no such partner", headers=NOT_YOURS)
    return partner


@router.post(
    "/anomalies",
    response_model=Filed,
    responses={401: {"description": "no token, an unknown one or a revoked one"}},
    summary="File meter anomalies as the token's partner (each line once, ever)",
)
async def file_anomalies(
    hub: Hub, partner: Annotated[Partner, Depends(_partner)], body: Anomalies
) -> Filed:
    rows = ((i, a.model_dump()) for i, a in enumerate(body.anomalies))
    good, result = anomalies.check(hub.registry, partner, rows, hub.clock().date())
    by = Actor(f"api:{partner.id}", "partner", "api")
    result = await anomalies.file(hub, partner, good, result, by=by, via="API")
    return Filed(
        filed=result.filed,
        cases=sorted(result.cases),
        already=result.already,
        no_consent=result.no_consent,
        problems=[Problem(index=p.line, ja=p.ja, en=p.en) for p in result.problems],
    )
