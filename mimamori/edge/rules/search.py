"""Searches: while the hub searches for someone, report their tag at every sighting.

Pure logic over orders, adverts and a clock reading; no I/O. The daemon hands in
each order as it arrives (``apply``), and each advert of a known format
(``observe``). A searched tag is reported at once, whatever its signal strength
(a weak advert is still a clue), ignoring the gateway's allow-list (the hub asked
for exactly this tag) and the once-a-minute throttle of presence. Adverts of one
tag closer together than ``min_interval_s`` are folded into the next report: a
beacon advertising ten times a second would otherwise send ten events a second
that say nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from mimamori.protocol.events import EventDraft, EventKind, TagData
from mimamori.protocol.search import SearchOrder

DEFAULT_MIN_INTERVAL_S = 1.0


@dataclass(slots=True)
class _Last:
    at: float  # monotonic time of the last report
    adverts: int = 0  # folded into the next report


@dataclass
class SearchWatch:
    min_interval_s: float = DEFAULT_MIN_INTERVAL_S
    _orders: dict[str, SearchOrder] = field(default_factory=dict)
    _search_of_tag: dict[str, str] = field(default_factory=dict)
    _last: dict[str, _Last] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self._orders)

    @property
    def searches(self) -> list[str]:
        return sorted(self._orders)

    def apply(self, search_id: str, order: SearchOrder | None) -> None:
        """A new or changed order, or None: the search ended."""
        if order is None:
            self._orders.pop(search_id, None)
        else:
            self._orders[search_id] = order
        self._reindex()

    def _reindex(self) -> None:
        self._search_of_tag = {
            tag: search_id for search_id, order in self._orders.items() for tag in order.tags
        }
        self._last = {tag: last for tag, last in self._last.items() if tag in self._search_of_tag}

    def watching(self, tag: str, ts: datetime | None = None) -> bool:
        """Is ``tag`` searched for (at ``ts``: an order past its end no longer counts)?"""
        search_id = self._search_of_tag.get(tag)
        if search_id is None:
            return False
        return ts is None or ts < self._orders[search_id].until

    def observe(
        self, tag: str, rssi: int, receiver: str, at: float, ts: datetime
    ) -> list[EventDraft]:
        search_id = self._search_of_tag.get(tag)
        if search_id is None:
            return []
        if self._orders[search_id].until <= ts:
            return []  # ended, and the hub's empty message has not come (yet)
        last = self._last.get(tag)
        if last is not None and at - last.at < self.min_interval_s:
            last.adverts += 1
            return []
        adverts = 1 + (last.adverts if last else 0)
        self._last[tag] = _Last(at)
        rssi = max(-127, min(20, rssi))  # the wire's range; receivers report odd extremes
        data = TagData(tag=tag, receiver=receiver, rssi=rssi, adverts=adverts, search=search_id)
        return [EventDraft(EventKind.TAG_SEEN, ts, data.model_dump(mode="json", exclude_none=True))]

    def expire(self, ts: datetime) -> list[str]:
        """Forget orders whose ``until`` has passed; returns their ids."""
        ended = [sid for sid, order in self._orders.items() if order.until <= ts]
        for search_id in ended:
            del self._orders[search_id]
        if ended:
            self._reindex()
        return ended
