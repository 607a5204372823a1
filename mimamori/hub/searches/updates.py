"""A search's updates for the people searching (issue 17): it started, it was found,
called off or ran out. The recipients are those who hear its sightings
(``alerts/notices.py contacts``); a recipient bound to LINE hears there (the queue
falls back on their other channels), anyone else on every channel they have.

Told from the same place as the gateways (``service.py``'s loop, for each search
whose state they were not told yet), before the gateways are: the notices go
through the durable queue, keyed by (search, update, recipient, channel), so a
restart between the two, or a second worker, queues each once. A search found
before the loop saw it start is told only as found.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from mimamori.hub.alerts.messages import render_search_update
from mimamori.hub.alerts.notices import contacts
from mimamori.hub.model.alerts import LINE_CHANNEL, NotificationDraft
from mimamori.hub.model.clock import Clock
from mimamori.hub.model.searches import Search
from mimamori.hub.register.registry import Registry
from mimamori.hub.store.port import Store
from mimamori.protocol.timefmt import to_epoch_ms

log = logging.getLogger(__name__)


def update_key(search: Search) -> str:
    # "notice-search:<id>:" is how forgetting the person finds a search's notices.
    return f"notice-search:{search.id}:update:{search.state}"


class SearchUpdates:
    def __init__(
        self,
        registry: Registry,
        store: Store,
        *,
        clock: Clock,
        public_url: str,
        line: bool,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        self.registry = registry
        self.store = store
        self.clock = clock
        self.base = public_url.rstrip("/")
        self.line = line  # the town has a LINE account: bound recipients hear there
        self.on_queued = on_queued  # the delivery worker's wake (set by compose)

    async def tell(self, search: Search) -> int:
        """Queue the notice of ``search``'s present state to the people searching;
        how many notifications were drafted (those already queued are kept)."""
        recipients = contacts(
            await self.store.participants(search.id), list(self.registry.recipients.values())
        )
        if not recipients:
            return 0
        person = self.registry.people.get(search.person_id)
        name = person.name if person else search.person_id
        at = search.started_at if search.active else (search.ended_at or self.clock())
        link = f"{self.base}/searches/{search.id}"
        on_line = await self.store.line_bound([r.id for r in recipients]) if self.line else set()
        key = update_key(search)
        drafts: list[NotificationDraft] = []
        for r in recipients:
            title, body = render_search_update(name, search.state, at, r.lang, link)
            ways = [LINE_CHANNEL] if r.id in on_line else list(range(len(r.channels)))
            keys = {n: f"{key}-{to_epoch_ms(at)}-{r.id}-{'line' if n < 0 else n}" for n in ways}
            drafts += [NotificationDraft(None, r.id, n, keys[n], title, body) for n in ways]
        if drafts:
            await self.store.queue_notifications(drafts, self.clock())
            log.info("search %s: %s told to %d people", search.id, search.state, len(recipients))
            if self.on_queued is not None:
                self.on_queued()
        return len(drafts)
