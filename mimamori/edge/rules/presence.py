"""Presence: turn a stream of adverts into ``arrived -> seen -> left`` per tag.

Pure logic over observations and a clock reading; no I/O.

* RSSI is smoothed with an exponential moving average, so one lucky advert from
  across the street does not make a tag "arrive".
* A tag arrives when its smoothed RSSI reaches ``enter_rssi``; afterwards adverts
  keep it present as long as the smoothed RSSI stays at or above the lower
  ``exit_rssi`` (hysteresis: no flapping at the edge of range).
* It leaves when no such advert came for ``leave_after_s``. That is decided by
  ``expire(now)``, which the daemon calls on a timer: a tag that simply goes
  quiet must leave even if no other advert ever arrives.
* While present, at most one ``tag.seen`` per ``report_interval_s``.

Tags are kept in insertion-ordered dicts that are re-ordered on every qualifying
advert, so the oldest deadline is always first and ``expire`` costs only what it
removes (1,000 tags at a busy site cost nothing extra per tick).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mimamori.protocol.events import EventDraft, EventKind, TagData


@dataclass(frozen=True, slots=True)
class PresenceParams:
    enter_rssi: int = -85
    exit_rssi: int = -92
    smoothing: float = 0.3
    leave_after_s: float = 120.0
    report_interval_s: float = 60.0


@dataclass(slots=True)
class _Track:
    receiver: str
    smoothed: float
    last_at: float  # monotonic time of the last advert that counts (present) / any (candidate)
    present: bool = False
    arrived_ts: datetime | None = None
    last_ts: datetime | None = None
    last_report_at: float = 0.0
    adverts: int = 0  # since the last report


def _tag_data(tag: str, track: _Track, **extra: object) -> dict[str, object]:
    data = TagData.model_validate({"tag": tag, "receiver": track.receiver, **extra})
    return data.model_dump(mode="json", exclude_none=True, exclude_defaults=False)


class PresenceTracker:
    def __init__(self, params: PresenceParams) -> None:
        self.params = params
        self._present: dict[str, _Track] = {}  # oldest last_at first
        self._candidates: dict[str, _Track] = {}  # heard, not (yet) arrived

    def __len__(self) -> int:
        return len(self._present) + len(self._candidates)

    def is_present(self, tag: str) -> bool:
        return tag in self._present

    def observe(
        self, tag: str, rssi: int, receiver: str, at: float, ts: datetime
    ) -> list[EventDraft]:
        """One advert of ``tag`` at ``rssi`` dBm; returns the events it causes."""
        p = self.params
        track = self._present.get(tag)
        if track is not None:
            track.smoothed += p.smoothing * (rssi - track.smoothed)
            track.adverts += 1
            if track.smoothed < p.exit_rssi:
                return []  # too weak to count: the leave timer keeps running
            track.receiver = receiver
            track.last_at = at
            track.last_ts = ts
            del self._present[tag]  # move to the end: newest deadline last
            self._present[tag] = track
            if at - track.last_report_at < p.report_interval_s:
                return []
            draft = EventDraft(
                EventKind.TAG_SEEN,
                ts,
                _tag_data(tag, track, rssi=round(track.smoothed), adverts=track.adverts),
            )
            track.last_report_at = at
            track.adverts = 0
            return [draft]

        track = self._candidates.pop(tag, None)
        if track is None:
            track = _Track(receiver=receiver, smoothed=float(rssi), last_at=at)
        else:
            track.smoothed += p.smoothing * (rssi - track.smoothed)
        track.adverts += 1
        track.receiver = receiver
        track.last_at = at
        if track.smoothed < p.enter_rssi:
            self._candidates[tag] = track  # re-inserted at the end
            return []
        track.present = True
        track.arrived_ts = ts
        track.last_ts = ts
        track.last_report_at = at
        draft = EventDraft(
            EventKind.TAG_ARRIVED,
            ts,
            _tag_data(tag, track, rssi=round(track.smoothed), adverts=track.adverts),
        )
        track.adverts = 0
        self._present[tag] = track
        return [draft]

    def expire(self, at: float, ts: datetime) -> list[EventDraft]:
        """Tags whose time is up leave; stale candidates are forgotten."""
        horizon = at - self.params.leave_after_s
        drafts: list[EventDraft] = []
        while self._present:
            tag, track = next(iter(self._present.items()))
            if track.last_at > horizon:
                break
            del self._present[tag]
            drafts.append(
                EventDraft(
                    EventKind.TAG_LEFT,
                    ts,
                    _tag_data(
                        tag,
                        track,
                        adverts=track.adverts,
                        arrived_at=track.arrived_ts,
                        last_seen=track.last_ts,
                    ),
                )
            )
        while self._candidates:
            tag, track = next(iter(self._candidates.items()))
            if track.last_at > horizon:
                break
            del self._candidates[tag]
        return drafts
