"""The routes a peer hub calls: a search to put to our gateways, and sightings of one
of our searches that its gateways made."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException

from ...protocol.events import Event, EventKind
from ...protocol.topics import is_valid_id
from ..clock import place
from ..deps import Hub
from ..store.federation import ForeignSearch, PeerGateway
from .auth import CallingPeer
from .wire import RelayedSearch, SightingsBack

router = APIRouter(prefix="/api/v1/federation", tags=["federation"])


def _joined(peer: str, local: str) -> str:
    joined = f"{peer}.{local}"
    if not is_valid_id(joined):
        raise HTTPException(status_code=422, detail=f"{joined!r} is too long for an id")
    return joined


@router.post("/searches", summary="A peer's search, for our gateways to watch")
async def relayed_search(hub: Hub, peer: CallingPeer, body: RelayedSearch) -> dict[str, str]:
    search_id = _joined(peer.id, body.id)
    await hub.store.put_foreign_search(
        ForeignSearch(
            search_id,
            peer.id,
            body.id,
            tuple(body.tags),
            body.started_at,
            body.until,
            body.state,
        )
    )
    if hub.searches is not None:
        hub.searches.wake.set()
    return {"search": search_id, "state": body.state}


@router.post("/sightings", summary="Sightings of one of our searches by a peer's gateways")
async def sightings_back(hub: Hub, peer: CallingPeer, body: SightingsBack) -> dict[str, int]:
    """What is not of this search (another tag, an id outside its window, before its
    start) is dropped and counted in the answer, never stored."""
    search = await hub.store.search(body.search_id)
    if search is None:
        raise HTTPException(status_code=404, detail="no such search")
    events: list[tuple[str, Event]] = []
    places: dict[str, PeerGateway] = {}
    received = hub.clock()
    said: dict[str, datetime] = {}  # the peer's time, where the hub's differs (clock.py)
    for s in body.sightings:
        if s.ts < search.started_at:
            continue  # not this search's: dropped (an error would only make the peer retry)
        gateway = _joined(peer.id, s.gateway.id)
        places[gateway] = PeerGateway(
            gateway, peer.id, s.gateway.name, s.gateway.lat, s.gateway.lon
        )
        data = {"tag": s.tag, "receiver": peer.id, "search": search.id}
        placed = place(s.ts, received, None)
        if placed.moved:
            said[s.event_id] = s.ts
        event = Event(id=s.event_id, seq=1, ts=placed.ts, kind=EventKind(s.kind), data=data)
        events.append((gateway, event))
    if hub.eid is not None:
        # Rotating ids come back as the peer's gateways heard them: resolved here, where
        # the keys are, with the same window and replay checks as our own gateways'.
        events = (await hub.eid.resolve(events)).events
    searched = set(hub.registry.tags_of(search.person_id))
    events = [(g, e) for g, e in events if str(e.data["tag"]) in searched]
    await hub.store.add_peer_gateways(list(places.values()))
    hub.registry.peer_gateways.update(places)
    result = await hub.store.ingest(events, [], received, device_times=said)
    if result.new_events:
        hub.live.publish(result.new_events)
        if hub.alerts is not None:
            hub.alerts.wake.set()  # the people searching hear of it
    return {
        "stored": len(result.new_events),
        "duplicates": result.duplicates,
        "dropped": len(body.sightings) - len(events),
    }
