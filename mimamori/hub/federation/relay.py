"""Keeping peer hubs told, both ways, through the database.

Outbound: every search of ours whose state a peer has not been told (started, or
ended) is sent to it, and recorded only when the peer answered 2xx. Inbound: for
each search a peer relayed to us, our tag events of its tags in its window are
sent back in rowid order, and the cursor moves only when the peer took them. A hub
or a peer that was down simply catches up: nothing lives in memory alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx

from ...errors import StoreError
from ..config import Federation, Peer
from ..registry import Registry
from ..store.base import Store
from ..store.federation import ForeignSearch
from ..store.searches import Search
from ..views import PRIVATE_HOME_ID, PRIVATE_HOME_NAME
from .auth import TOWN_HEADER
from .wire import RelayedSearch, RelayedSighting, SightingsBack, WatchPoint

log = logging.getLogger(__name__)

EVERY_S = 1.0  # sightings go back within about a second
TIMEOUT_S = 10.0
BATCH = 500
LATE = timedelta(hours=1)  # sightings of an ended search still trickle in for a while


class FederationRelay:
    def __init__(
        self,
        federation: Federation,
        registry: Registry,
        store: Store,
        order_tags: Callable[[Search], list[str]],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.federation = federation
        self.registry = registry
        self.store = store
        self.order_tags = order_tags  # what our gateways watch for, for the peers' too
        self.peers = {p.id: p for p in federation.peers}
        self.wake = asyncio.Event()
        self._transport = transport
        self._failing: set[str] = set()

    async def _post(self, client: httpx.AsyncClient, peer: Peer, path: str, body: str) -> bool:
        try:
            response = await client.post(
                f"{peer.url.rstrip('/')}/api/v1/federation/{path}",
                content=body,
                headers={
                    "Authorization": f"Bearer {peer.read_secret()}",
                    TOWN_HEADER: self.federation.town,
                    "Content-Type": "application/json",
                },
            )
            ok = response.is_success
            why = f"answered {response.status_code}"
        except (httpx.HTTPError, OSError) as exc:
            ok, why = False, type(exc).__name__
        if not ok and peer.id not in self._failing:
            self._failing.add(peer.id)
            log.warning("peer %s: %s %s; will retry", peer.id, path, why)
        elif ok and peer.id in self._failing:
            self._failing.discard(peer.id)
            log.info("peer %s reachable again", peer.id)
        return ok

    async def tell_peers(self, client: httpx.AsyncClient) -> None:
        for search, peer_id in await self.store.relays_due(list(self.peers)):
            tags = self.order_tags(search)
            if not tags:
                continue
            state = "active" if search.active else "ended"
            body = RelayedSearch(
                id=search.id,
                tags=tags,
                started_at=search.started_at,
                until=search.expires_at,
                state=state,
            )
            if await self._post(client, self.peers[peer_id], "searches", body.model_dump_json()):
                await self.store.mark_relayed(search.id, peer_id, state)
                log.info("peer %s told: search %s is %s", peer_id, search.id, state)

    def _point(self, gateway_id: str) -> WatchPoint:
        ours = self.registry.gateways.get(gateway_id)
        if ours is None or ours.site == "home":  # where someone lives stays here
            return WatchPoint(id=PRIVATE_HOME_ID, name=PRIVATE_HOME_NAME)
        return WatchPoint(id=ours.id, name=ours.name, lat=ours.lat, lon=ours.lon)

    async def send_back(self, client: httpx.AsyncClient, now: datetime) -> None:
        for search in await self.store.foreign_searches(active_only=False):
            peer = self.peers.get(search.origin)
            if peer is None or search.until < now - LATE:
                continue
            await self._send_back(client, peer, search)

    async def _send_back(
        self, client: httpx.AsyncClient, peer: Peer, search: ForeignSearch
    ) -> None:
        while True:
            events, last = await self.store.sightings_to_relay(search, BATCH)
            if not events:
                return
            body = SightingsBack(
                search_id=search.remote_id,
                sightings=[
                    RelayedSighting(
                        event_id=e.id,
                        tag=str(e.data["tag"]),
                        kind=e.kind,
                        ts=e.ts,
                        gateway=self._point(e.gateway_id),
                    )
                    for e in events
                ],
            )
            if not await self._post(client, peer, "sightings", body.model_dump_json()):
                return
            await self.store.mark_foreign_relayed(search.id, last)
            log.info("peer %s: %d sighting(s) of %s sent back", peer.id, len(events), search.id)
            search = replace(search, relayed_rowid=last)

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=TIMEOUT_S, transport=self._transport) as client:
            while True:
                try:
                    await self.tell_peers(client)
                    await self.send_back(client, datetime.now(UTC))
                except StoreError as exc:
                    log.warning("federation: %s; retrying", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), EVERY_S)
                self.wake.clear()
