"""Keeping peer hubs told, both ways, through the database.

Outbound: every search of ours whose state a peer has not been told (started, or
ended) is sent to it, and recorded only when the peer answered 2xx. Inbound: for
each running search a peer relayed to us, our tag events of its tags in its window
are sent back in rowid order, and the cursor moves only when the peer took them (or
said the search is no longer running: 409). A hub or a peer that was down simply
catches up: nothing lives in memory alone. Every request is signed (``signing``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import urlsplit

import httpx
from pydantic import ValidationError

from mimamori.errors import StoreError
from mimamori.hub.config import Federation, Peer, plain_http
from mimamori.hub.federation.signing import signed_headers
from mimamori.hub.federation.wire import (
    MAX_SIGHTINGS,
    RelayedSearch,
    RelayedSighting,
    SightingsBack,
    WatchPoint,
)
from mimamori.hub.model.clock import Clock
from mimamori.hub.model.events import StoredEvent
from mimamori.hub.model.federation import ForeignSearch
from mimamori.hub.model.searches import Search
from mimamori.hub.people.whereabouts import PRIVATE_HOME_ID, PRIVATE_HOME_NAME
from mimamori.hub.register.registry import Registry
from mimamori.hub.store.port import Store
from mimamori.protocol.events import TagData

log = logging.getLogger(__name__)

EVERY_S = 1.0  # sightings go back within about a second
TIMEOUT_S = 10.0
BATCH = MAX_SIGHTINGS
NOT_RUNNING = 409  # the peer's answer for sightings of a search that ended there


class FederationRelay:
    def __init__(
        self,
        federation: Federation,
        registry: Registry,
        store: Store,
        order_tags: Callable[[Search], list[str]],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock,
    ) -> None:
        self.federation = federation
        self.registry = registry
        self.store = store
        self.order_tags = order_tags  # what our gateways watch for, for the peers' too
        self.peers = {p.id: p for p in federation.peers}
        self.wake = asyncio.Event()
        self.clock = clock
        self._transport = transport
        self._failing: set[str] = set()
        for peer in federation.peers:
            if plain_http(peer.url):
                log.warning("peer %s: %s is plain http: readable on the way", peer.id, peer.url)

    async def _post(
        self, client: httpx.AsyncClient, peer: Peer, what: str, body: bytes
    ) -> int | None:
        """POST a signed body; the status of the answer, or None when there was none."""
        url = f"{peer.url.rstrip('/')}/api/v1/federation/{what}"
        status: int | None = None
        try:
            headers = signed_headers(
                peer.read_secret(),
                method="POST",
                path=urlsplit(url).path,
                sender=self.federation.town,
                receiver=peer.id,
                body=body,
                now=self.clock(),
            )
            response = await client.post(
                url, content=body, headers={**headers, "Content-Type": "application/json"}
            )
            status, why = response.status_code, f"answered {response.status_code}"
        except (httpx.HTTPError, OSError) as exc:
            why = type(exc).__name__
        ok = status is not None and 200 <= status < 300
        if not ok and status != NOT_RUNNING and peer.id not in self._failing:
            self._failing.add(peer.id)
            log.warning("peer %s: %s %s; will retry", peer.id, what, why)
        elif ok and peer.id in self._failing:
            self._failing.discard(peer.id)
            log.info("peer %s reachable again", peer.id)
        return status

    async def tell_peers(self, client: httpx.AsyncClient) -> None:
        for search, peer_id in await self.store.relays_due(list(self.peers)):
            tags = self.order_tags(search)
            if not tags:
                continue
            state = "active" if search.active else "ended"
            try:
                body = RelayedSearch(
                    id=search.id,
                    tags=tags,
                    started_at=search.started_at,
                    until=search.expires_at,
                    state=state,
                )
            except ValidationError as exc:
                # Only a search long past fails (its times are a month old): not worth
                # telling, and never to be retried every second.
                log.warning("search %s not relayed to %s: %s", search.id, peer_id, exc)
                await self.store.mark_relayed(search.id, peer_id, state)
                continue
            status = await self._post(
                client, self.peers[peer_id], "searches", body.model_dump_json().encode()
            )
            if status is not None and 200 <= status < 300:
                await self.store.mark_relayed(search.id, peer_id, state)
                log.info("peer %s told: search %s is %s", peer_id, search.id, state)

    def _point(self, gateway_id: str) -> WatchPoint:
        ours = self.registry.gateways.get(gateway_id)
        if ours is None or ours.site == "home":  # where someone lives stays here
            return WatchPoint(id=PRIVATE_HOME_ID, name=PRIVATE_HOME_NAME)
        return WatchPoint(id=ours.id, name=ours.name, lat=ours.lat, lon=ours.lon)

    async def send_back(self, client: httpx.AsyncClient) -> None:
        """Sightings of each running search a peer relayed to us; an ended one gets no
        more (its town refuses them: the search is over there too)."""
        for search in await self.store.foreign_searches(active_only=True):
            peer = self.peers.get(search.origin)
            if peer is not None:
                await self._send_back(client, peer, search)

    def _sighting(self, event: StoredEvent) -> RelayedSighting | None:
        try:
            return RelayedSighting(
                event_id=event.id,
                tag=event.data_as(TagData).tag,
                kind=event.kind,
                ts=event.ts,
                gateway=self._point(event.gateway_id),
            )
        except (ValueError, TypeError) as exc:  # pydantic's ValidationError is a ValueError
            log.warning("event %s not sent back: %s", event.id, exc)  # counted as skipped
            return None

    async def _send_back(
        self, client: httpx.AsyncClient, peer: Peer, search: ForeignSearch
    ) -> None:
        while True:
            events, last = await self.store.sightings_to_relay(search, BATCH)
            if not events:
                return
            sightings = [s for s in map(self._sighting, events) if s is not None]
            status = None
            if sightings:
                body = SightingsBack(search_id=search.remote_id, sightings=sightings)
                status = await self._post(
                    client, peer, "sightings", body.model_dump_json().encode()
                )
                if status == NOT_RUNNING:
                    log.info("peer %s: %s ended there: sightings dropped", peer.id, search.id)
                elif status is None or not 200 <= status < 300:
                    return
            await self.store.mark_foreign_relayed(search.id, last)
            log.info("peer %s: %d sighting(s) of %s sent back", peer.id, len(sightings), search.id)
            search = replace(search, relayed_rowid=last)

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=TIMEOUT_S, transport=self._transport) as client:
            while True:
                try:
                    await self.tell_peers(client)
                    await self.send_back(client)
                except StoreError as exc:
                    log.warning("federation: %s; retrying", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), EVERY_S)
                self.wake.clear()
