"""A search's live stream: each new sighting of the person, with the direction.

Built on the hub's live fan-out (``LiveHub``), so a sighting reaches the page in the
same moment it reaches the person's map. Before each message the stream asks
``allowed`` again, and while quiet it looks every ``CHECK_S``: a shared link that
was revoked or ran out stops at once, even on a page that stayed open. When the
search ends the stream says so (``state``) and closes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi.sse import ServerSentEvent
from pydantic import BaseModel, ConfigDict

from mimamori.hub.model.searches import Search
from mimamori.hub.people.whereabouts import TrailPoint, masked_point
from mimamori.hub.searches.trail import Direction, direction, search_out
from mimamori.hub.server.state import HubState

CHECK_S = 5.0  # how soon a quiet stream notices an ended search or a revoked link
RECENT = 50  # points kept for the direction


class SearchSighting(BaseModel):
    model_config = ConfigDict(frozen=True)

    point: TrailPoint
    direction: Direction | None


async def _always() -> bool:
    return True


async def follow(
    hub: HubState,
    search: Search,
    hidden: frozenset[str],
    allowed: Callable[[], Awaitable[bool]] = _always,
    check_s: float = CHECK_S,
) -> AsyncIterator[ServerSentEvent]:
    if not search.active:
        yield ServerSentEvent(event="state", data={"state": search.state})
        return
    with hub.live.subscribe(search.person_id) as subscription:
        # Subscribed first, then read: a sighting in between is in both, never in neither.
        now = hub.clock()
        start = await search_out(
            hub.store, hub.registry, search, now, hidden=hidden, participants=None
        )
        recent = [p for p in [start.last_before, *start.sightings] if p is not None][-RECENT:]
        while True:
            try:
                item = await asyncio.wait_for(subscription.queue.get(), check_s)
            except TimeoutError:
                if not await allowed():
                    return
                current = await hub.store.search(search.id)
                if current is None or not current.active:
                    state = current.state if current else "cancelled"
                    yield ServerSentEvent(event="state", data={"state": state})
                    return
                yield ServerSentEvent(comment="still searching")  # keeps proxies from closing
                continue
            if item is None or not await allowed():
                return  # fell behind (the page reconnects and reloads), or the link ended
            point = masked_point(item.point, hidden)
            recent = [*recent[-(RECENT - 1) :], point]
            message = SearchSighting(point=point, direction=direction(recent))
            yield ServerSentEvent(event="sighting", data=message.model_dump(mode="json"))
