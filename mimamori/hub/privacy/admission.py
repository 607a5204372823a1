"""Whose sightings the hub may keep, and where one person's records are.

With ``privacy.require_consent`` (the default) the hub keeps a sighting only when
its tag belongs to a person whose recorded consent covers "location" and was not
withdrawn. Sightings of anyone else's tags, and of tags nobody in the registry
holds, are dropped before they are stored, and counted by reason. Searches are the
exception: while a person is searched for, their sightings in the search's window are
kept whatever their consent record says (a search is there to protect a life, where
the law allows using location without consent); and another town's search relayed to
us (federation) asks our gateways for its tags, so those sightings are kept to be
sent back (the consent behind it is the other town's record). Forgotten people's
tags are refused by the store itself (``forgotten_tags``), whatever this setting
says. See docs/privacy.md.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from mimamori.errors import StoreError
from mimamori.hub.model.privacy import PersonScope, ProtectedWindow
from mimamori.hub.register.registry import Registry
from mimamori.hub.store.port import Store
from mimamori.protocol.events import TAG_KINDS, Event

log = logging.getLogger(__name__)

NO_CONSENT = "no_consent"  # the tag's person has no consent to "location" on record
UNREGISTERED = "unregistered"  # no person in the registry holds the tag
FORGOTTEN = "forgotten"  # a forgotten person's tag (the store refuses it too)


Visits = Callable[[], Awaitable[list[ProtectedWindow]]]


class Admission:
    """Decides, per event, whether ingest may store it (from the registry, derived
    again whenever the register changed).

    ``visits`` reads the searches, ours and those relayed to us: each a window of tags
    and times whose sightings are kept. It is read again whenever a batch holds a
    sighting that would be dropped, so a search that has just begun is never missed.
    """

    def __init__(
        self, registry: Registry, *, require_consent: bool, visits: Visits | None = None
    ) -> None:
        self.require_consent = require_consent
        self.registry = registry
        self._visits_source = visits
        self._visits: list[ProtectedWindow] = []
        self._version = -1
        self._tracked: frozenset[str] = frozenset()
        self.untracked: list[str] = []
        # Forgotten people's tags: they leave the register with the forget, so their
        # sightings are said to be a forgotten person's, not a stranger's.
        self.forgotten: frozenset[str] = frozenset()
        self._derive()

    def _derive(self) -> None:
        """Whose tags are tracked, for the register as it stands now."""
        registry = self.registry
        if self._version == registry.version:
            return
        people = registry.people.values()
        self._tracked = frozenset(
            tag for p in people if p.consents_to("location") for tag in p.tags
        )
        self.untracked = sorted(p.id for p in people if p.tags and not p.consents_to("location"))
        self._version = registry.version

    def refuse(self, event: Event) -> str | None:
        """Why this event must not be stored, or None to store it."""
        if not self.require_consent or event.kind not in TAG_KINDS:
            return None
        self._derive()
        tag = event.tag
        if tag in self._tracked:
            return None
        if tag in self.forgotten:
            return FORGOTTEN
        if any(tag in w.tags and w.since <= event.ts <= w.until for w in self._visits):
            return None  # a search asked for it
        return NO_CONSENT if tag in self.registry.person_of_tag else UNREGISTERED

    async def admit(
        self, events: Sequence[tuple[str, Event]]
    ) -> tuple[list[tuple[str, Event]], Counter[str]]:
        """The events ingest may store, and how many were dropped for each reason."""
        reasons = [self.refuse(event) for _, event in events]
        if any(reasons) and self._visits_source is not None:
            try:
                self._visits = await self._visits_source()
            except StoreError as exc:
                log.warning("cannot read the searches relayed to us: %s", exc)
            reasons = [self.refuse(event) for _, event in events]
        kept = [e for e, reason in zip(events, reasons, strict=True) if reason is None]
        return kept, Counter(r for r in reasons if r is not None)

    async def refresh_forgotten(self, store: Store) -> None:
        """Read the forgotten people's tags again (at start, after a register change)."""
        self.forgotten = frozenset(f.tag for f in await store.forgotten_tags())

    def announce(self) -> None:
        """Say once, at start, whose sightings will be dropped."""
        if self.require_consent and self.untracked:
            log.warning(
                "no consent to 'location' on record for %s: their sightings are dropped "
                "(privacy.require_consent)",
                ", ".join(self.untracked),
            )


def person_scope(registry: Registry, person_id: str, *, alone_only: bool) -> PersonScope:
    """Where ``person_id``'s records are. ``alone_only``: only homes they live in alone
    (what a forget may delete); otherwise every home of theirs (what an export shows)."""
    homes = [
        h
        for h in registry.households.values()
        if person_id in h.people and (not alone_only or list(h.people) == [person_id])
    ]
    return PersonScope(
        person_id,
        tuple(registry.tags_of(person_id)),
        tuple(h.id for h in homes),
        tuple(g for h in homes for g in h.gateways),
    )


async def reconcile_forgotten(store: Store, registry: Registry) -> None:
    """At start and as the register changes: a forgotten tag given to someone else
    since is no longer refused; a forgotten person back in the register is named."""
    for tag in await store.release_forgotten_tags(registry.person_of_tag):
        log.info("tag %s now belongs to %s: no longer refused", tag, registry.person_of_tag[tag])
    for forgotten in await store.forgotten_tags():
        if registry.person_of_tag.get(forgotten.tag) == forgotten.person_id:
            log.warning(
                "person %s was forgotten on %s but is in the register again "
                "(their tag %s stays refused)",
                forgotten.person_id,
                f"{forgotten.forgotten_at:%Y-%m-%d}",
                forgotten.tag,
            )


# How long after a relayed search's window its tags' sightings are still taken: events
# wait in gateways' outboxes through an outage (federation/relay.py sends back only
# while the search runs; what is kept meanwhile is purged like any other sighting).
VISIT_GRACE = timedelta(hours=1)


async def search_visits(store: Store, registry: Registry, now: datetime) -> list[ProtectedWindow]:
    """The windows of our searches and of those other towns relayed to us, each until
    it ended and ``VISIT_GRACE`` more (``Admission`` visits)."""
    ours = [
        ProtectedWindow(
            tuple(registry.tags_of(s.person_id)),
            s.started_at,
            s.window_end(now) + VISIT_GRACE,
            f"search:{s.id}",
        )
        for s in await store.searches(None, active_only=False, limit=10_000)
        if s.window_end(now) + VISIT_GRACE >= now
    ]
    theirs = [
        ProtectedWindow(s.tags, s.started_at, s.until + VISIT_GRACE, f"search:{s.id}")
        for s in await store.foreign_searches(active_only=False)
        if s.until + VISIT_GRACE >= now
    ]
    return ours + theirs
