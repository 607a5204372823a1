"""Shared links: one search, read-only, for police or volunteers without an account.

The link's token is the only credential; only its hash is stored. Each view is
counted and written to the audit log under the link's label. An expired or revoked
link answers 410 and shows no data, and an open live stream stops the moment its
link stops being valid.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path
from fastapi.sse import EventSourceResponse, ServerSentEvent

from mimamori.hub.access.auth import token_hash
from mimamori.hub.access.deps import Hub
from mimamori.hub.access.policy import hidden_for_share
from mimamori.hub.model.searches import Search, Share
from mimamori.hub.searches.live import follow
from mimamori.hub.searches.trail import SearchOut, search_out, share_state
from mimamori.hub.server.state import HubState

router = APIRouter(prefix="/api/v1/shared", tags=["searches"])
Token = Annotated[str, Path(max_length=200)]


async def open_share(hub: HubState, token: str, *, count: bool) -> tuple[Share, Search] | str:
    """The usable share and its search, or why not: unknown, revoked, expired, ended."""
    now = hub.clock()
    found = await hub.store.share_view(token_hash(token), now, count=count)
    if found is None:
        return "unknown"
    state = share_state(*found, now)
    return found if state == "active" else state


async def usable_share(hub: Hub, token: Token) -> tuple[Share, Search]:
    """A dependency, so that a stream is refused before it starts."""
    found = await open_share(hub, token, count=False)
    if found == "unknown":
        raise HTTPException(status_code=404, detail="no such link")
    if isinstance(found, str):
        raise HTTPException(status_code=410, detail=f"this link was {found}")
    return found


UsableShare = Annotated[tuple[Share, Search], Depends(usable_share)]


async def _audit(hub: HubState, share: Share, action: str) -> None:
    await hub.store.audit(
        hub.clock(),
        who=f"share:{share.id} {share.label}",
        role="share",
        action=action,
        subject=f"search:{share.search_id}",
    )


@router.get("/{token}", response_model=SearchOut, summary="A shared search, read-only")
async def shared_search(hub: Hub, token: Token, _usable: UsableShare) -> SearchOut:
    found = await open_share(hub, token, count=True)  # this one counts as a view
    if isinstance(found, str):
        raise HTTPException(status_code=410, detail=f"this link was {found}")
    share, search = found
    await _audit(hub, share, "view.search")
    return await search_out(
        hub.store,
        hub.registry,
        search,
        hub.clock(),
        hidden=hidden_for_share(hub.registry, search.person_id),
        participants=None,
    )


@router.get(
    "/{token}/live",
    response_class=EventSourceResponse,
    summary="Server-Sent Events of a shared search, while the link is valid",
)
async def shared_live(
    hub: Hub, token: Token, usable: UsableShare
) -> AsyncIterator[ServerSentEvent]:
    share, search = usable
    await _audit(hub, share, "view.live")

    async def still_valid() -> bool:
        return not isinstance(await open_share(hub, token, count=False), str)

    hidden = hidden_for_share(hub.registry, search.person_id)
    async for message in follow(hub, search, hidden, still_valid):
        yield message
