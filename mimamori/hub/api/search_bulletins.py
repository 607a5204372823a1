"""The SOS network in the API (issue 18, part 2): the family's consent to send a
search's bulletin to the town's partners (given at the start, ``POST /searches``'s
``share``, or later here), and what was sent: to which partner, viewed, 「見かけた」,
withdrawn. Who may see the search may read this; the family and staff of the area
may record the consent (``searches/consent.py``)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from mimamori.errors import ChangeRefused
from mimamori.hub.access.deps import Caller, Hub
from mimamori.hub.api.register import problems
from mimamori.hub.api.searches import VisibleSearch
from mimamori.hub.model.sos import ShareConsent
from mimamori.hub.searches import consent
from mimamori.hub.searches.consent import ConsentForm
from mimamori.protocol.timefmt import format_ts

router = APIRouter(prefix="/api/v1", tags=["searches"])


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class ConsentOut(_Out):
    agreed_by: str
    recorded_by: str
    role: str
    at: str
    shown_as: str
    clothing: str


class BulletinOut(_Out):
    partner: str
    sent_at: str
    views: int
    seen: int
    withdrawn_at: str | None


class SharingOut(_Out):
    consent: ConsentOut | None
    suggested_name: str  # what the form offers first (an age band)
    may_record: bool
    bulletins: list[BulletinOut]


def consent_out(c: ShareConsent) -> ConsentOut:
    return ConsentOut(
        agreed_by=c.agreed_by, recorded_by=c.recorded_by, role=c.role, at=format_ts(c.at),
        shown_as=c.shown_as, clothing=c.clothing,
    )  # fmt: skip


@router.get(
    "/searches/{search_id}/sharing",
    response_model=SharingOut,
    summary="The family's consent to send bulletins to partners, and the bulletins sent",
)
async def sharing(hub: Hub, caller: Caller, search: VisibleSearch) -> SharingOut:
    given = await hub.store.consent_of(search.id)
    names = {p.id: p.name for p in await hub.store.partners()}
    person = hub.registry.people.get(search.person_id)
    return SharingOut(
        consent=consent_out(given) if given else None,
        suggested_name=consent.suggested_name(person, hub.clock().date()),
        may_record=consent.may_record(hub, caller, search),
        bulletins=[
            BulletinOut(
                partner=names.get(b.partner_id, b.partner_id),
                sent_at=format_ts(b.sent_at),
                views=b.views,
                seen=b.seen,
                withdrawn_at=format_ts(b.withdrawn_at) if b.withdrawn_at else None,
            )
            for b in await hub.store.bulletins_of(search.id)
        ],
    )


@router.post(
    "/searches/{search_id}/consent",
    response_model=ConsentOut,
    status_code=201,
    summary="Record the family's consent to send this search's bulletin to partners",
)
async def give_consent(
    hub: Hub, caller: Caller, search: VisibleSearch, body: ConsentForm
) -> ConsentOut | JSONResponse:
    if not consent.may_record(hub, caller, search):
        raise HTTPException(status_code=403, detail="the family or the care centre records it")
    try:
        given = await consent.record(hub, caller, search, body.model_dump())
    except ChangeRefused as exc:
        return problems(exc.problems)
    return consent_out(given)
