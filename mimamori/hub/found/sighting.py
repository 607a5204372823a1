"""A finder's position on an open search's live trail (issue 18): the one way a
sighting enters from outside the gateways, the way a peer town's does
(``api/federation.py``): a place of its own (``peer_gateways``: name and position),
an event of the person's first tag stored by ``store.ingest`` (its id made from the
report's, so a repeat is a no-op), then ``after_commit`` (the live trail, the people
searching). Without a search, or without a position, nothing is added. A partner's
「見かけた」 on a bulletin joins the same way (``searches/bulletin_view.py``)."""

from __future__ import annotations

import hashlib
import logging

from mimamori.hub.model.federation import PeerGateway
from mimamori.hub.model.found import FoundReport
from mimamori.hub.model.searches import Search
from mimamori.hub.server.state import HubState
from mimamori.protocol.events import Event, EventKind

log = logging.getLogger(__name__)

FINDER = "finder"  # the "peer" of the finders' places, and their receiver
PLACE_NAME = "QRステッカーの発見者の位置 / where the finder is"


async def add_to_trail(hub: HubState, search: Search, place: PeerGateway, key: str) -> bool:
    """One sighting of the searched person at ``place`` (a peer gateway of its own,
    stored and registered), its event's id made from ``key`` so a repeat is a no-op;
    False when the person has no tag to hang a trail on."""
    tags = hub.registry.tags_of(search.person_id)
    if not tags:
        return False
    await hub.store.add_peer_gateways([place])
    hub.registry.peer_gateways[place.id] = place
    now = hub.clock()
    data = {"tag": tags[0], "receiver": place.peer, "search": search.id}
    event_id = hashlib.sha256(key.encode()).hexdigest()[:32]
    event = Event(id=event_id, seq=1, ts=now, kind=EventKind.TAG_SEEN, data=data)
    result = await hub.store.ingest([(place.id, event)], [], now)
    hub.after_commit(result.new_events)
    return True


async def join_search(hub: HubState, report: FoundReport) -> str | None:
    """The id of the search the finder's position joined; None: no search running,
    no position, or the person has no tag to hang a trail on."""
    if report.lat is None or report.lon is None:
        return None
    running = await hub.store.searches([report.person_id], active_only=True, limit=1)
    if not running:
        return None
    search = running[0]
    place = PeerGateway(f"found-{report.id}", FINDER, PLACE_NAME, report.lat, report.lon)
    if not await add_to_trail(hub, search, place, f"found-report:{report.id}"):
        return None
    log.info("found report %d joined search %s as a sighting", report.id, search.id)
    return search.id
