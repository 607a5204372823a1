"""Rotating ids at the hub's door: keys opened at start, every EID event resolved before
it is stored, the rest dropped.

* A resolved event is stored under the tag's registry id (``eid:NAME``), so location,
  trail, map and alerts work on it as on any tag. The EID itself is not kept.
* An unknown EID (a stranger's tag, or one of ours with no key) is dropped at once:
  not stored, not logged, only counted.
* A replay (one of our EIDs, not valid at the time it was heard) is dropped, counted
  and logged with the gateway that heard it.
* Rotation at a gateway: the gateway cannot tell that a new EID is the tag it already
  hears, so each rotation looks like a new tag arriving while the old one later leaves.
  Here the tag is known, so an arrival where the tag is present already becomes a
  ``tag.seen``, and the old id's leave — once the tag was heard there after it — is
  dropped (docs/eid.md, "Rotation at a gateway").
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mimamori.hub.config import HubConfig
from mimamori.hub.eid.keys import require_kek, unseal
from mimamori.hub.eid.resolver import EidResolver, Outcome, Resolution, TagClock
from mimamori.hub.model.clock import Clock
from mimamori.hub.model.events import StoredTagData
from mimamori.hub.register.registry import Registry
from mimamori.hub.store.port import Store
from mimamori.protocol.events import Event, EventKind, TagData
from mimamori.protocol.tags import TagFormat, eddystone_eid_id

log = logging.getLogger(__name__)

EID_PREFIX = f"{TagFormat.EDDYSTONE_EID}:"
# An arrival counts as the same visit when the tag was heard at that gateway this
# recently: a gateway reports a present tag every report_interval_s (60 s by default).
MERGE_GAP = timedelta(minutes=5)


@dataclass(frozen=True)
class _Last:
    """The last stored event of a tag: where, what, and when it was last heard."""

    gateway_id: str
    kind: str
    seen_at: datetime


@dataclass
class Resolved:
    """What became of one batch of events."""

    events: list[tuple[str, Event]] = field(default_factory=list)
    resolved: int = 0
    unknown: int = 0
    merged: int = 0  # rotations at a gateway folded into the visit they continue
    replays: list[tuple[str, str, str]] = field(default_factory=list)  # (gateway, tag, why)


def _heard_at(event: Event) -> datetime:
    """When the tag showed the event's EID (a leave is decided after its last advert)."""
    data = event.data_as(TagData)
    return data.last_seen if event.kind == EventKind.TAG_LEFT and data.last_seen else event.ts


class EidService:
    def __init__(self, resolver: EidResolver, store: Store, *, clock: Clock) -> None:
        self.resolver = resolver
        self.store = store
        self.clock = clock
        self._last: dict[str, _Last | None] = {}

    @classmethod
    async def open(
        cls,
        config: HubConfig,
        registry: Registry,
        store: Store,
        *,
        clock: Clock,
        environ: Mapping[str, str] | None = None,
    ) -> EidService | None:
        """The service for the registry's EID tags; None when it names none.

        Raises EidKeyError without a key-encryption key, or when a key does not open.
        """
        if not registry.eid_tags:
            return None
        settings = config.hub.eid
        kek = require_kek(settings, environ)
        records = {r.tag_id: r for r in await store.eid_tags()}
        clocks = []
        for tag in sorted(registry.eid_tags):
            record = records.get(tag)
            if record is None:
                log.warning(
                    "%s has no key: its sightings are dropped until "
                    "'mimamori hub tag add --config FILE %s' gives it one",
                    tag,
                    tag,
                )
                continue
            key = unseal(kek, tag, record.sealed_key)
            clocks.append(TagClock(tag, key, record.exponent, record.offset_lo, record.offset_hi))
        resolver = EidResolver(
            clocks,
            now=clock().timestamp(),
            window=settings.window_periods,
            history=settings.history_periods,
        )
        log.info("rotating ids: %d tag(s), %d ids in the table", resolver.tags, len(resolver))
        return cls(resolver, store, clock=clock)

    # -- ingest ------------------------------------------------------------------------------

    async def resolve(self, events: list[tuple[str, Event]]) -> Resolved:
        """Resolve the EID events of a batch; every other event passes unchanged.

        The store is read (each tag's last sighting, once) before anything is decided,
        so a StoreError leaves nothing half done and the batch can simply be retried.
        """
        out = Resolved()
        if not any(_is_eid(event) for _, event in events):
            out.events = events
            return out
        self.resolver.advance(self.clock().timestamp())
        looked_up: list[tuple[str, Event, datetime, Resolution | None]] = []
        for gateway, event in events:
            if not _is_eid(event):
                looked_up.append((gateway, event, event.ts, None))
                continue
            eid = bytes.fromhex(event.data_as(TagData).tag[len(EID_PREFIX) :])
            heard = _heard_at(event)
            looked_up.append((gateway, event, heard, self.resolver.resolve(eid, heard.timestamp())))
        await self._recall({r.tag_id for *_, r in looked_up if r and r.outcome == Outcome.RESOLVED})
        for gateway, event, heard, found in looked_up:
            if found is None:
                out.events.append((gateway, event))
            elif found.outcome == Outcome.UNKNOWN:
                out.unknown += 1
            elif found.outcome == Outcome.REPLAYED:
                out.replays.append((gateway, found.tag_id, found.detail))
            else:
                out.resolved += 1
                kind = self._merge(found.tag_id, gateway, event, heard)
                out.merged += kind != event.kind
                if kind is not None:
                    data = {**event.data, "tag": found.tag_id}
                    typed = StoredTagData.model_validate(data)
                    out.events.append((gateway, event.resolved(kind, data, typed)))
        return out

    async def _recall(self, tags: set[str]) -> None:
        """Each tag's last stored event, the first time the tag comes by."""
        for tag in sorted(tags - self._last.keys()):
            found = await self.store.last_sighting([tag])
            self._last[tag] = _Last(found.gateway_id, found.kind, found.seen_at) if found else None

    def _merge(self, tag_id: str, gateway: str, event: Event, heard: datetime) -> EventKind | None:
        """The event's kind once rotations are folded in; None: drop it."""
        last = self._last.get(tag_id)
        kind = event.kind
        if last is not None and last.gateway_id == gateway and last.kind != EventKind.TAG_LEFT:
            if kind == EventKind.TAG_ARRIVED and event.ts - last.seen_at <= MERGE_GAP:
                kind = EventKind.TAG_SEEN  # a new id of a tag already here
            elif kind == EventKind.TAG_LEFT and last.seen_at > heard:
                return None  # an old id going quiet; the tag was heard here since
        if last is None or heard >= last.seen_at:  # late events never rewind it
            self._last[tag_id] = _Last(gateway, kind, heard)
        return kind

    async def save_learned(self) -> None:
        """Keep what was learned of tags' clocks (a restart need not learn it again)."""
        learned = self.resolver.take_learned()
        if learned:
            await self.store.save_eid_clocks(learned, self.clock())

    # -- searches ----------------------------------------------------------------------------

    def has_key(self, tag_id: str) -> bool:
        return self.resolver.has(tag_id)

    def eids_between(self, tag_id: str, start: datetime, end: datetime) -> list[str]:
        """The wire tag ids (``eddystone-eid:...``) the registry tag ``tag_id`` may show
        from ``start`` to ``end``, allowing for its clock's drift: what gateways must
        watch for during a search, and nothing else about the tag."""
        return [eddystone_eid_id(e) for e in self.resolver.eids_between(tag_id, start, end)]


def drop_eids(events: list[tuple[str, Event]]) -> tuple[list[tuple[str, Event]], int]:
    """Without any EID tag to resolve, every EID is a stranger's: (kept, dropped)."""
    kept = [(gateway, event) for gateway, event in events if not _is_eid(event)]
    return kept, len(events) - len(kept)


def _is_eid(event: Event) -> bool:
    return (event.tag or "").startswith(EID_PREFIX)
