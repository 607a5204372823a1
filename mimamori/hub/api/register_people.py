"""People in the register for API clients (issue 14), as at the desk: the list with
search and filters (the store's indexed query, fast with 10,000 people), a person
and their version, adding, replacing and removing one, and a person's own changes:
consent per purpose, its withdrawal, emergency contacts in order and the yearly
review. The rules are ``api/register.py``'s (policy, versions, 409, 422 with each
field in Japanese and English).
"""

# No "from __future__ import annotations": FastAPI reads the bodies' types (``raw``)
# from the evaluated annotations.
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from mimamori.hub.access.deps import Hub
from mimamori.hub.access.policy import Principal
from mimamori.hub.api.register import (
    REFUSALS,
    VIA,
    DeskCaller,
    Saved,
    Stored,
    Version,
    add,
    answer,
    guard,
    raw,
    read,
    replace,
)
from mimamori.hub.desk import service
from mimamori.hub.desk.service import DeskRefused
from mimamori.hub.model.register import Entity, PeopleQuery, PersonRow
from mimamori.hub.register.schema import ConsentRecord, PersonEntry, Purpose

router = APIRouter(prefix="/api/v1/register/people", tags=["register"])
READ, WRITE = guard(Entity.PERSON, write=False), guard(Entity.PERSON, write=True)
PersonId = Annotated[str, Path(min_length=1, max_length=64)]
Filter = Annotated[str | None, Query(max_length=100)]
PersonBody = raw(PersonEntry)
ConsentBody = raw(ConsentRecord)
MAX_LIMIT = 500  # a page of people; the desk's pages show 50


class PeopleOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    total: int
    people: list[PersonRow]


class ContactsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contacts: list[Annotated[str, Field(max_length=64)]] = Field(max_length=10)


def _areas(who: Principal, asked: str | None) -> tuple[str, ...] | None:
    """The areas a list covers: the caller's (all for admins), narrowed to ``asked``."""
    if asked:
        return (asked,) if who.in_area(asked) else ()
    return None if who.everywhere else who.areas


@router.get(
    "",
    response_model=PeopleOut,
    dependencies=[READ],
    responses=REFUSALS,
    summary="People you may see: search by the start of a name or reading, filter, page",
)
async def people(  # noqa: PLR0917 (FastAPI passes the query by name)
    hub: Hub,
    caller: DeskCaller,
    q: Filter = None,
    area: Filter = None,
    household: Filter = None,
    tag: Filter = None,
    review_due: Annotated[bool, Query(description="a yearly review due this month")] = False,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> PeopleOut:
    try:
        service.check(caller, Entity.PERSON, [], write=False)
    except DeskRefused as exc:
        raise HTTPException(status_code=exc.status, detail=str(exc)) from None
    query = PeopleQuery(
        areas=_areas(caller, area),
        text=(q or "").strip() or None,
        household=household or None,
        tag=tag or None,
        review_by=service.month_end(service.today(hub)) if review_due else None,
        offset=offset,
        limit=limit,
    )
    rows = await hub.store.find_people(query)
    return PeopleOut(total=await hub.store.count_people(query), people=rows)


@router.get(
    "/{person_id}",
    response_model=Stored[PersonEntry],
    dependencies=[READ],
    responses=REFUSALS,
    summary="One person's care record, consent and contacts, and its version",
)
async def person(hub: Hub, caller: DeskCaller, person_id: PersonId) -> Stored[Any]:
    entry, version = await read(hub, caller, Entity.PERSON, person_id)
    return Stored[Any](version=version, entry=entry)


@router.post(
    "",
    status_code=201,
    response_model=Saved,
    dependencies=[WRITE],
    responses=REFUSALS,
    summary="Register a person",
)
async def add_person(hub: Hub, caller: DeskCaller, body: PersonBody) -> JSONResponse:  # type: ignore[valid-type]
    return await answer(add(hub, caller, Entity.PERSON, body), status=201)


@router.put(
    "/{person_id}",
    response_model=Saved,
    dependencies=[WRITE],
    responses=REFUSALS,
    summary="Replace a person's entry (the version you read)",
)
async def change_person(
    hub: Hub,
    caller: DeskCaller,
    person_id: PersonId,
    version: Version,
    body: PersonBody,  # type: ignore[valid-type]
) -> JSONResponse:
    return await answer(replace(hub, caller, Entity.PERSON, person_id, body, version=version))


@router.delete(
    "/{person_id}",
    response_model=Saved,
    dependencies=[WRITE],
    responses=REFUSALS,
    summary="Remove a person from the register (their data: `mimamori hub person forget`)",
)
async def remove_person(
    hub: Hub, caller: DeskCaller, person_id: PersonId, version: Version
) -> JSONResponse:
    work = service.remove(hub, caller, Entity.PERSON, person_id, version=version, via=VIA)
    return await answer(work)


@router.post(
    "/{person_id}/consents",
    response_model=Saved,
    dependencies=[WRITE],
    responses=REFUSALS,
    summary="Record a signed consent to one purpose (replacing that purpose's record)",
)
async def record_consent(
    hub: Hub,
    caller: DeskCaller,
    person_id: PersonId,
    version: Version,
    body: ConsentBody,  # type: ignore[valid-type]
) -> JSONResponse:
    work = service.record_consent(hub, caller, person_id, body, version=version, via=VIA)
    return await answer(work)


@router.post(
    "/{person_id}/consents/{purpose}/withdraw",
    response_model=Saved,
    dependencies=[WRITE],
    responses=REFUSALS,
    summary="Withdraw the consent to a purpose from a day (default: today, the hub's)",
)
async def withdraw_consent(  # noqa: PLR0917 (FastAPI passes them by name)
    hub: Hub,
    caller: DeskCaller,
    person_id: PersonId,
    purpose: Purpose,
    version: Version,
    on: Annotated[date | None, Query()] = None,
) -> JSONResponse:
    day = on or service.today(hub)
    work = service.withdraw_consent(
        hub, caller, person_id, purpose, on=day, version=version, via=VIA
    )
    return await answer(work)


@router.put(
    "/{person_id}/contacts",
    response_model=Saved,
    dependencies=[WRITE],
    responses=REFUSALS,
    summary="A person's emergency contacts, in the order they are called",
)
async def set_contacts(
    hub: Hub, caller: DeskCaller, person_id: PersonId, version: Version, body: ContactsIn
) -> JSONResponse:
    work = service.set_contacts(hub, caller, person_id, body.contacts, version=version, via=VIA)
    return await answer(work)


@router.post(
    "/{person_id}/review",
    response_model=Saved,
    dependencies=[WRITE],
    responses=REFUSALS,
    summary="The yearly review is done today: the next falls due a year on",
)
async def review_done(
    hub: Hub, caller: DeskCaller, person_id: PersonId, version: Version
) -> JSONResponse:
    return await answer(service.review_done(hub, caller, person_id, version=version, via=VIA))
