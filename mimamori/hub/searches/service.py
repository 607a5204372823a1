"""A search's life: started by a family member or staff, ended on "found", on cancel
or when it runs out; the gateways told of each change by a retained message.

What the gateways were told is kept beside each search (``published``), and one
loop publishes whatever differs: a hub that dies between ending a search and
clearing its message clears it on restart, and a broker that lost its retained
messages gets them again. Ending runs out through the database too (``expires_at``),
not an in-memory timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from datetime import datetime, timedelta

from mimamori.errors import BrokerError, StoreError
from mimamori.hub.access.policy import Principal
from mimamori.hub.config import SearchSettings
from mimamori.hub.eid.service import EidService
from mimamori.hub.model.clock import Clock
from mimamori.hub.model.federation import ForeignSearch
from mimamori.hub.model.searches import Outcome, Participant, Search
from mimamori.hub.register.registry import Registry
from mimamori.hub.register.schema import is_eid_tag
from mimamori.hub.searches.updates import SearchUpdates
from mimamori.hub.store.port import Store
from mimamori.mqtt import MqttLink
from mimamori.protocol.search import MAX_SEARCH_TAGS, SearchOrder, encode_search
from mimamori.protocol.topics import search_topic

log = logging.getLogger(__name__)

EVERY_S = 2.0  # how often expiry and publishing are looked at (and at once when woken)


def participant(principal: Principal, now: datetime) -> Participant:
    return Participant(principal.name, principal.role, principal.family_id, principal.user_id, now)


def new_search_id() -> str:
    return f"s-{secrets.token_hex(6)}"


class SearchService:
    def __init__(
        self,
        settings: SearchSettings,
        registry: Registry,
        store: Store,
        *,
        clock: Clock,
        eid: EidService | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.store = store
        self.clock = clock
        self.wake = asyncio.Event()
        self.changed: list[asyncio.Event] = []  # set on every start and end (federation)
        self._connects = 0
        # Wire tag ids of searches relayed from peers: ingest keeps their sightings
        # even when they are rotating ids we hold no key for.
        self.relayed: set[str] = set()  # the link's connection count when orders were last re-sent
        self.eid = eid  # tags with rotating ids (once their keys are open)
        self.updates: SearchUpdates | None = None  # the people searching told (set by compose)
        self.update_failures = 0  # updates that could not be told (logged, not retried)

    # -- what the callers do --------------------------------------------------------

    async def start(self, person_id: str, by: Principal, hours: float | None) -> Search:
        now = self.clock()
        length = timedelta(hours=hours or self.settings.default_hours)
        search = Search(new_search_id(), person_id, "active", by.name, now, now + length)
        await self.store.add_search(search, participant(by, now))
        log.warning("search %s for %s started by %s", search.id, person_id, by.role)
        self._changed()
        return search

    async def end(
        self, search_id: str, outcome: Outcome, by: Principal, note: str
    ) -> Search | None:
        ended = await self.store.end_search(search_id, outcome, by.name, note, self.clock())
        if ended is not None:
            log.warning("search %s ended: %s", search_id, outcome)
            self._changed()
        return ended

    def _changed(self) -> None:
        self.wake.set()
        for event in self.changed:
            event.set()

    def tags(self, search: Search) -> list[str]:
        """What gateways watch for: the person's tags, and nothing about them. A tag with
        rotating ids is listed as the ids it will show until the search ends (its key
        never leaves the hub; docs/eid.md)."""
        tags: list[str] = []
        for tag in self.registry.tags_of(search.person_id):
            if not is_eid_tag(tag):
                tags.append(tag)
            elif self.eid is not None and self.eid.has_key(tag):
                start = max(self.clock(), search.started_at)
                tags += self.eid.eids_between(tag, start, max(start, search.expires_at))
        if len(tags) > MAX_SEARCH_TAGS:
            log.warning(
                "search %s: %d ids, the first %d sent", search.id, len(tags), MAX_SEARCH_TAGS
            )
            tags = tags[:MAX_SEARCH_TAGS]
        return tags

    def order(self, search: Search) -> SearchOrder:
        return SearchOrder(id=search.id, tags=self.tags(search), until=search.expires_at)

    # -- the loop that keeps the gateways told ---------------------------------------

    async def refresh_relayed(self) -> None:
        active = await self.store.foreign_searches(active_only=True)
        wanted = {tag for search in active for tag in search.tags}
        self.relayed.intersection_update(wanted)  # the same set object: ingest holds it
        self.relayed.update(wanted)

    async def step(self, link: MqttLink) -> None:
        """Expire what ran out, then publish every state the gateways do not know."""
        await self.refresh_relayed()
        now = self.clock()
        expired = await self.store.expire_searches(now)
        for search in expired:
            log.warning("search %s for %s ran out", search.id, search.person_id)
        if expired:
            self._changed()
        for foreign in await self.store.expire_foreign_searches(now):
            log.info("search %s of %s ran out", foreign.id, foreign.origin)
        connects = link.counters["connects"]
        if connects != self._connects:
            # A new connection may be to a broker that lost its retained messages.
            for search in await self.store.searches(None, active_only=True):
                await self._publish(link, search)
            for foreign in await self.store.foreign_searches(active_only=True):
                await self._publish_foreign(link, foreign)
            self._connects = connects
        for search in await self.store.unpublished_searches():
            await self._tell(search)  # first: a notice queued twice is queued once
            await self._publish(link, search)
            await self.store.mark_published(search.id, search.state)
            log.info("gateways told: search %s is %s", search.id, search.state)
        for foreign in await self.store.unpublished_foreign_searches():
            await self._publish_foreign(link, foreign)
            await self.store.mark_foreign_published(foreign.id, foreign.state)
            log.info(
                "gateways told: %s's search %s is %s", foreign.origin, foreign.id, foreign.state
            )

    async def _tell(self, search: Search) -> None:
        if self.updates is None:
            return
        try:
            await self.updates.tell(search)
        except StoreError:
            raise  # the database: the search stays untold and unpublished, tried again
        except Exception as exc:  # one search's notice must not hold up the gateways
            self.update_failures += 1
            log.error("search %s: its update could not be told: %s", search.id, exc, exc_info=exc)

    async def _publish_foreign(self, link: MqttLink, search: ForeignSearch) -> None:
        payload = b""
        if search.state == "active":
            order = SearchOrder(id=search.id, tags=list(search.tags), until=search.until)
            payload = encode_search(order)
        await link.publish(search_topic(search.id), payload, qos=1, retain=True)

    async def _publish(self, link: MqttLink, search: Search) -> None:
        payload = b""  # the empty retained message ends the search
        if search.active:
            if self.tags(search):
                payload = encode_search(self.order(search))
            else:
                log.error("search %s: %s has no tags to watch for", search.id, search.person_id)
        await link.publish(search_topic(search.id), payload, qos=1, retain=True)

    async def run(self, link: MqttLink) -> None:
        while True:
            try:
                await self.step(link)
            except (BrokerError, StoreError) as exc:
                log.info("searches: %s; trying again", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), EVERY_S)
            self.wake.clear()
