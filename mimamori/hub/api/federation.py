"""The routes a peer hub calls: a search to put to our gateways, and sightings of one
of our searches that its gateways made. Every request is signed (``auth``); its body
is read within a bound and parsed here, against this hub's clock (``wire``).

A peer's order gets this town's limits, as a search started here would: it is searched
for at most ``search.max_hours`` (the window is cut, and the answer says so), never
for a tag of someone this town watches over (their sightings are this town's to
share), and never from further back than that limit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar

from fastapi import APIRouter, HTTPException
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from mimamori.hub.access.deps import Hub
from mimamori.hub.federation.auth import CallingPeer
from mimamori.hub.federation.wire import RelayedSearch, SightingsBack, Wire
from mimamori.hub.model.clock import place
from mimamori.hub.model.federation import ForeignSearch, PeerGateway
from mimamori.protocol.events import Event, EventKind
from mimamori.protocol.timefmt import format_ts
from mimamori.protocol.topics import is_valid_id

router = APIRouter(prefix="/api/v1/federation", tags=["federation"])

# A peer's gateway clock a little ahead of ours is a clock, not an attack: the five
# minutes of the signature window (signing.WINDOW).
CLOCK_SLACK = timedelta(minutes=5)

W = TypeVar("W", bound=Wire)


def _parse(model: type[W], body: bytes, now: datetime) -> W:
    """The body as ``model`` (422 with pydantic's reasons; the input is not echoed)."""
    try:
        return model.model_validate_json(body, context={"now": now})
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        raise RequestValidationError(errors) from None


def _joined(peer: str, local: str) -> str:
    joined = f"{peer}.{local}"
    if not is_valid_id(joined):
        raise HTTPException(status_code=422, detail=f"{joined!r} is too long for an id")
    return joined


def window(
    started_at: datetime, until: datetime, now: datetime, longest: timedelta
) -> tuple[datetime, datetime, list[str]]:
    """The part of a peer's search window this town takes part in, and why it is not
    the whole. HTTPException 422 for a window that cannot be a search."""
    if started_at > now + CLOCK_SLACK:
        raise HTTPException(status_code=422, detail="the search starts in the future")
    if until < started_at:
        raise HTTPException(status_code=422, detail="the search ends before it starts")
    hours = f"{longest.total_seconds() / 3600:g} h"
    limited: list[str] = []
    start = max(started_at, now - longest)
    if start != started_at:
        limited.append(f"started more than {hours} ago: searched here from {format_ts(start)}")
    end = max(start, min(until, start + longest))
    if end != until:
        limited.append(f"a search lasts at most {hours} here: until {format_ts(end)}")
    return start, end, limited


@router.post("/searches", summary="A peer's search, for our gateways to watch")
async def relayed_search(hub: Hub, calling: CallingPeer) -> dict[str, Any]:
    """Body: ``RelayedSearch``. Tags of our own people are refused (``refused_tags``),
    and the window cut to our limits (``limited`` says how)."""
    order = _parse(RelayedSearch, calling.body, calling.now)
    peer = calling.peer
    search_id = _joined(peer.id, order.id)
    ours = {t for t in order.tags if t in hub.registry.person_of_tag}
    tags = tuple(t for t in order.tags if t not in ours)
    if not tags:
        raise HTTPException(
            status_code=422,
            detail="every tag of this search is of someone this town watches over: refused",
        )
    longest = timedelta(hours=hub.config.hub.search.max_hours)
    start, until, limited = window(order.started_at, order.until, calling.now, longest)
    state = order.state if until > calling.now else "ended"
    await hub.store.put_foreign_search(
        ForeignSearch(search_id, peer.id, order.id, tags, start, until, state), longest
    )
    if hub.searches is not None:
        hub.searches.wake.set()
    return {
        "search": search_id,
        "state": state,
        "started_at": format_ts(start),
        "until": format_ts(until),
        "limited": limited,
        "refused_tags": len(ours),
    }


@router.post("/sightings", summary="Sightings of one of our searches by a peer's gateways")
async def sightings_back(hub: Hub, calling: CallingPeer) -> dict[str, int]:
    """Body: ``SightingsBack``. Refused (409) unless the search is running. What is not
    of this search (another tag, an id outside its window, a time before its start or
    ahead of our clock) is dropped and counted in the answer, never stored."""
    body = _parse(SightingsBack, calling.body, calling.now)
    peer = calling.peer
    search = await hub.store.search(body.search_id)
    if search is None:
        raise HTTPException(status_code=404, detail="no such search")
    if not search.active:
        raise HTTPException(
            status_code=409,
            detail=f"search {search.id} is not running ({search.state}): sightings refused",
        )
    latest = min(calling.now + CLOCK_SLACK, search.expires_at)
    events: list[tuple[str, Event]] = []
    places: dict[str, PeerGateway] = {}
    received = calling.now
    said: dict[str, datetime] = {}  # the peer's time, where the hub's differs (clock.py)
    for s in body.sightings:
        if not search.started_at <= s.ts <= latest:
            continue  # not this search's: dropped (an error would only make the peer retry)
        gateway = _joined(peer.id, s.gateway.id)
        data = {"tag": s.tag, "receiver": peer.id, "search": search.id}
        placed = place(s.ts, received, None)
        try:
            event = Event(id=s.event_id, seq=1, ts=placed.ts, kind=EventKind(s.kind), data=data)
        except ValidationError:
            continue  # outside what our own gateways may send: dropped too
        if placed.moved:
            said[s.event_id] = s.ts
        places[gateway] = PeerGateway(
            gateway, peer.id, s.gateway.name, s.gateway.lat, s.gateway.lon
        )
        events.append((gateway, event))
    if hub.eid is not None:
        # Rotating ids come back as the peer's gateways heard them: resolved here, where
        # the keys are, with the same window and replay checks as our own gateways'.
        events = (await hub.eid.resolve(events)).events
    searched = set(hub.registry.tags_of(search.person_id))
    events = [(g, e) for g, e in events if e.tag in searched]
    await hub.store.add_peer_gateways(list(places.values()))
    hub.registry.peer_gateways.update(places)
    result = await hub.store.ingest(events, [], received, device_times=said)
    hub.after_commit(result.new_events)  # as after ingest: live pages, the people searching
    return {
        "stored": len(result.new_events),
        "duplicates": result.duplicates,
        "dropped": len(body.sightings) - len(events),
    }
