"""Searches in the API: start, follow, join, end, and share with the police.

Whoever may see a person may search for them: their family, the volunteer of their
household, care-center staff, admins. A search the caller may not see answers 404,
like one that does not exist. Every view of a search is audited (it shows where a
person is).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Query
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, ConfigDict, Field

from mimamori.errors import StoreError
from mimamori.hub.access.auth import new_token, token_hash
from mimamori.hub.access.deps import Caller, Hub
from mimamori.hub.access.policy import Principal, can_see, hidden_homes, person_scope
from mimamori.hub.api.audit import record
from mimamori.hub.model.searches import Search
from mimamori.hub.searches import consent
from mimamori.hub.searches.consent import ConsentForm
from mimamori.hub.searches.live import follow
from mimamori.hub.searches.service import SearchService, participant
from mimamori.hub.searches.trail import (
    SearchOut,
    SearchSummary,
    ShareOut,
    search_out,
    share_out,
    summary,
)
from mimamori.hub.server.state import HubState

router = APIRouter(prefix="/api/v1", tags=["searches"])


class StartSearch(BaseModel):
    # NaN and Infinity are JSON to Python's parser, and no duration.
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    person_id: str = Field(max_length=64)
    hours: float | None = Field(default=None, gt=0, description="default: hub setting")
    share: ConsentForm | None = Field(
        default=None, description="the family's consent to send a bulletin to partners"
    )


class EndSearch(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    outcome: Literal["found", "cancelled"]
    note: str = Field(default="", max_length=1000)


class NewShare(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    label: str = Field(min_length=1, max_length=100, description="e.g. 宜野湾署 生活安全課")
    hours: float | None = Field(default=None, gt=0, description="default: hub setting")


class CreatedShare(ShareOut):
    url: str  # shown once: only its hash is kept


def service(hub: HubState) -> SearchService:
    if hub.searches is None:
        raise HTTPException(status_code=503, detail="searches are not running on this hub")
    return hub.searches


async def visible_search(search_id: str, hub: Hub, caller: Caller) -> Search:
    found = await hub.store.search(search_id)
    if found is None or not can_see(hub.registry, caller, found.person_id):
        raise HTTPException(status_code=404, detail="no such search")
    return found


VisibleSearch = Annotated[Search, Depends(visible_search)]


async def _out(hub: HubState, caller: Principal, search: Search) -> SearchOut:
    return await search_out(
        hub.store,
        hub.registry,
        search,
        hub.clock(),
        hidden=hidden_homes(hub.registry, caller),
        participants=await hub.store.participants(search.id),
    )


@router.post(
    "/searches", response_model=SearchOut, status_code=201, summary="Start a search for a person"
)
async def start_search(hub: Hub, caller: Caller, body: StartSearch) -> SearchOut:
    if not can_see(hub.registry, caller, body.person_id):
        raise HTTPException(status_code=404, detail="no such person")
    limit = hub.config.hub.search.max_hours
    if body.hours is not None and body.hours > limit:
        raise HTTPException(status_code=422, detail=f"a search may last at most {limit:g} hours")
    if body.share is not None and caller.role not in consent.MAY_RECORD:
        raise HTTPException(status_code=403, detail="the family or the care centre records it")
    try:
        search = await service(hub).start(body.person_id, caller, body.hours)
    except StoreError as exc:
        running = await hub.store.searches([body.person_id], active_only=True)
        if running:
            raise HTTPException(
                status_code=409, detail=f"already being searched for: {running[0].id}"
            ) from exc
        raise
    await record(hub, caller, "search.start", f"search:{search.id}", body.person_id)
    if body.share is not None:  # validated with the request: recorded as given
        await consent.record(hub, caller, search, body.share.model_dump())
    return await _out(hub, caller, search)


@router.get("/searches", response_model=list[SearchSummary], summary="Searches the caller may see")
async def list_searches(
    hub: Hub,
    caller: Caller,
    state: Annotated[Literal["active", "all"], Query()] = "active",
) -> list[SearchSummary]:
    scope = person_scope(hub.registry, caller)
    found = await hub.store.searches(scope, active_only=state == "active")
    return [summary(hub.registry, s) for s in found]


@router.get(
    "/searches/{search_id}",
    response_model=SearchOut,
    summary="A search: the trail since the start, the last position before it, who searches",
)
async def get_search(hub: Hub, caller: Caller, search: VisibleSearch) -> SearchOut:
    await record(hub, caller, "view.search", f"search:{search.id}")
    return await _out(hub, caller, search)


@router.post("/searches/{search_id}/join", response_model=SearchOut, summary="Join the search")
async def join_search(hub: Hub, caller: Caller, search: VisibleSearch) -> SearchOut:
    if not search.active:
        raise HTTPException(status_code=409, detail=f"the search is {search.state}")
    await hub.store.join_search(search.id, participant(caller, hub.clock()))
    await record(hub, caller, "search.join", f"search:{search.id}")
    return await _out(hub, caller, search)


@router.post(
    "/searches/{search_id}/close",
    response_model=SearchOut,
    summary="End the search: found, or cancelled; the gateways return to normal reporting",
)
async def close_search(
    hub: Hub, caller: Caller, search: VisibleSearch, body: Annotated[EndSearch, Body()]
) -> SearchOut:
    ended = await service(hub).end(search.id, body.outcome, caller, body.note)
    if ended is None:
        raise HTTPException(status_code=409, detail=f"the search is {search.state}")
    await record(hub, caller, f"search.{body.outcome}", f"search:{search.id}", body.note)
    return await _out(hub, caller, ended)


@router.get(
    "/searches/{search_id}/live",
    response_class=EventSourceResponse,
    summary="Server-Sent Events: a 'sighting' (with the direction) for each new sighting",
)
async def search_live(
    hub: Hub, caller: Caller, search: VisibleSearch
) -> AsyncIterator[ServerSentEvent]:
    await record(hub, caller, "view.live", f"search:{search.id}")
    async for message in follow(hub, search, hidden_homes(hub.registry, caller)):
        yield message


@router.get(
    "/searches/{search_id}/shares",
    response_model=list[ShareOut],
    summary="Links shared for this search: creator, expiry, views",
)
async def list_shares(hub: Hub, search: VisibleSearch) -> list[ShareOut]:
    now = hub.clock()
    return [share_out(s, search, now) for s in await hub.store.shares(search.id)]


@router.post(
    "/searches/{search_id}/shares",
    response_model=CreatedShare,
    status_code=201,
    summary="A time-limited, read-only link to this search for police or volunteers",
)
async def create_share(
    hub: Hub, caller: Caller, search: VisibleSearch, body: NewShare
) -> CreatedShare:
    if not search.active:
        raise HTTPException(status_code=409, detail=f"the search is {search.state}")
    settings = hub.config.hub.search
    hours = body.hours or settings.share_default_hours
    if hours > settings.share_max_hours:
        raise HTTPException(
            status_code=422, detail=f"a link may last at most {settings.share_max_hours:g} hours"
        )
    now = hub.clock()
    token = new_token()
    share = await hub.store.add_share(
        search.id,
        token_hash(token),
        label=body.label,
        created_by=caller.name,
        now=now,
        expires_at=now + timedelta(hours=hours),
    )
    await record(hub, caller, "search.share", f"search:{search.id}", body.label)
    url = f"{hub.config.hub.http.public_url.rstrip('/')}/s/{token}"
    return CreatedShare(**share_out(share, search, now).model_dump(), url=url)


@router.post(
    "/searches/{search_id}/shares/{share_id}/revoke",
    response_model=ShareOut,
    summary="Revoke a shared link at once",
)
async def revoke_share(hub: Hub, caller: Caller, search: VisibleSearch, share_id: int) -> ShareOut:
    now = hub.clock()
    share = await hub.store.revoke_share(search.id, share_id, caller.name, now)
    if share is None:
        raise HTTPException(status_code=404, detail="no such link")
    await record(hub, caller, "search.revoke", f"search:{search.id}", f"share:{share_id}")
    return share_out(share, search, now)
