"""Triage: which adverts the gateway acts on, and which rule hears each one.

Pure logic over one advert and what the rules already hold; no I/O, and no clock
but the advert's own readings (``at`` monotonic, ``ts`` wall time). Per advert, the
first line that applies decides (``route``):

====  ==============================================  ============================
 #    the advert                                      goes to
====  ==============================================  ============================
 1    carries no tag frame we know (not iBeacon,      nowhere:
      Eddystone-UID or Eddystone-EID)                 ``adverts_unknown_format``
 2    its tag is on a search order whose ``until``    the search (reported at once,
      is still ahead of the advert's ``ts``           however weak) and presence
 3    its format is not in ``tags.formats``           nowhere:
                                                      ``adverts_unknown_format``
 4    its tag matches no entry of ``tags.allow``      nowhere: ``adverts_not_allowed``
                                                      (it never leaves the gateway)
 5    anything else                                   presence
====  ==============================================  ============================

A search comes before the gateway's own lists because the hub asked for exactly
that tag, by what it broadcasts; past its ``until`` the order no longer counts, so
a gateway that missed the hub's end of the search goes back to its lists by itself.
A searched tag feeds presence too, so its arrival and leaving are told as usual.

The allow-list is split once into exact ids (a set) and prefixes (one tuple for
``str.startswith``): one set lookup and one C-level prefix scan per advert, however
long the list, and no cache to bound or to clear on a reload.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from mimamori.edge.adverts import TagFrame, decode_tag
from mimamori.edge.observations import Advert
from mimamori.edge.rules.presence import PresenceTracker
from mimamori.edge.rules.search import SearchWatch
from mimamori.protocol.events import EventDraft
from mimamori.protocol.tags import TagFormat


class Route(StrEnum):
    UNKNOWN_FORMAT = "unknown_format"  # rules 1 and 3: dropped
    SEARCH = "search"  # rule 2: the search and presence
    NOT_ALLOWED = "not_allowed"  # rule 4: dropped
    PRESENCE = "presence"  # rule 5


@dataclass(frozen=True, slots=True)
class TagPolicy:
    """The gateway's own lists (``tags`` in its config), ready for every advert."""

    formats: frozenset[TagFormat] = frozenset()
    exact: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()

    @classmethod
    def of(cls, formats: Iterable[TagFormat], allow: Iterable[str]) -> TagPolicy:
        """From ``tags.formats`` and ``tags.allow``: ids, or prefixes ending in ``*``
        (the same entries ``protocol.tags.matches`` reads)."""
        allow = list(allow)
        return cls(
            formats=frozenset(formats),
            exact=frozenset(p for p in allow if not p.endswith("*")),
            prefixes=tuple(sorted({p[:-1] for p in allow if p.endswith("*")})),
        )

    def allows(self, tag_id: str) -> bool:
        return tag_id in self.exact or tag_id.startswith(self.prefixes)


def route(frame: TagFrame | None, policy: TagPolicy, searched: bool) -> Route:
    """The table above; ``searched``: an order that still stands names the tag."""
    if frame is None:
        return Route.UNKNOWN_FORMAT
    if searched:
        return Route.SEARCH
    if frame.format not in policy.formats:
        return Route.UNKNOWN_FORMAT
    if not policy.allows(frame.tag_id):
        return Route.NOT_ALLOWED
    return Route.PRESENCE


class AdvertTriage:
    """Adverts in, events out: each advert is routed, handed to presence, the search,
    both or neither, and counted for the gateway status (``counters``).

    ``policy`` may be replaced at any time (a reload); the next advert follows it.
    """

    def __init__(self, policy: TagPolicy, presence: PresenceTracker, search: SearchWatch) -> None:
        self.policy = policy
        self.presence = presence
        self.search = search
        self.counters = {
            "adverts": 0,
            "adverts_unknown_format": 0,
            "adverts_not_allowed": 0,
            "search_reports": 0,
        }

    def observe(self, advert: Advert) -> list[EventDraft]:
        self.counters["adverts"] += 1
        frame = decode_tag(advert.manufacturer, advert.service_data)
        searched = frame is not None and self.search.watching(frame.tag_id, advert.ts)
        way = route(frame, self.policy, searched)
        if frame is None or way is Route.UNKNOWN_FORMAT:
            self.counters["adverts_unknown_format"] += 1
            return []
        if way is Route.NOT_ALLOWED:
            self.counters["adverts_not_allowed"] += 1
            return []
        heard = (frame.tag_id, advert.rssi, advert.receiver, advert.at, advert.ts)
        if way is Route.PRESENCE:
            return self.presence.observe(*heard)
        found = self.search.observe(*heard)
        self.counters["search_reports"] += len(found)
        return found + self.presence.observe(*heard)
