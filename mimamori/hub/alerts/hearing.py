"""How well a watch point's receiver hears, learned from its statuses; when it is deaf.

A receiver's status carries the adverts it heard in each of its last 15 whole minutes
(``protocol/status.py`` ``HeardStatus``). The hub takes in each minute once (lined up by
``until``, the end of the newest minute on the gateway's clock) and keeps, per receiver:

* its **quiet run**: how many minutes in a row it has heard nothing, now;
* its **normal quiet**: the longest quiet run that ended on each of the last
  ``LEARN_DAYS`` days (a vending machine on a busy street is never quiet for more than a
  few minutes; a shop's receiver on a back street may hear nobody all night);
* its rate: adverts per minute over everything taken in (for people: the fleet page).

A receiver is **deaf** once its quiet run reaches its threshold: ``factor`` times its
normal quiet, at least ``floor_min`` and at most ``cap_min`` (``ReceiverSettings``:
2x, 30 min, 24 h; a run twice the longest of a whole week is not a quiet street). Until
it has been heard for ``learn_min`` (a day: one night and one day) nothing is judged.
A run that reached the threshold is never learned as normal: a deaf week must not
teach the hub that deafness is normal.

It is **back** once it has heard adverts in ``recover_min`` minutes since it was last
found deaf: a receiver that flaps (one advert, then silence again) keeps its one alert
open, and a new alert needs a whole threshold of silence again (hysteresis).

Pure: minutes in, a new ``Hearing`` out; the day is the hub's (``now``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from mimamori.protocol.status import HeardStatus
from mimamori.protocol.timefmt import format_ts

LEARN_DAYS = 7

Verdict = Literal["raise", "clear"] | None


@dataclass(frozen=True)
class Thresholds:
    factor: float = 2.0
    floor_min: int = 30
    cap_min: int = 24 * 60
    learn_min: int = 24 * 60
    recover_min: int = 3


@dataclass(frozen=True)
class Hearing:
    until: datetime | None = None  # the end of the newest minute taken in (gateway's clock)
    quiet_min: int = 0  # minutes without an advert, up to now
    heard_since_deaf: int = 0  # minutes with adverts since it was last found deaf
    minutes: int = 0  # minutes taken in
    adverts: int = 0  # adverts heard in them
    longest: dict[str, int] = field(default_factory=dict)  # day -> longest quiet run ended
    last_advert: datetime | None = None

    @property
    def rate_per_min(self) -> float:
        return self.adverts / self.minutes if self.minutes else 0.0

    def normal_quiet(self) -> int:
        return max(self.longest.values(), default=0)

    def threshold(self, t: Thresholds) -> int | None:
        """Minutes of silence that make it deaf; None while it is still learning."""
        if self.minutes < t.learn_min:
            return None
        return max(t.floor_min, min(t.cap_min, round(t.factor * self.normal_quiet())))

    def to_json(self) -> str:
        return json.dumps(
            {
                "until": format_ts(self.until) if self.until else None,
                "quiet_min": self.quiet_min,
                "heard_since_deaf": self.heard_since_deaf,
                "minutes": self.minutes,
                "adverts": self.adverts,
                "longest": self.longest,
                "last_advert": format_ts(self.last_advert) if self.last_advert else None,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Hearing:
        doc = json.loads(text)
        return cls(
            until=datetime.fromisoformat(doc["until"]) if doc.get("until") else None,
            quiet_min=int(doc["quiet_min"]),
            heard_since_deaf=int(doc["heard_since_deaf"]),
            minutes=int(doc["minutes"]),
            adverts=int(doc["adverts"]),
            longest={str(k): int(v) for k, v in doc["longest"].items()},
            last_advert=datetime.fromisoformat(doc["last_advert"])
            if doc.get("last_advert")
            else None,
        )


def new_minutes(hearing: Hearing, heard: HeardStatus) -> list[int]:
    """The minutes of ``heard`` not taken in yet, oldest first. Minutes a gateway could
    not report (offline longer than its history) are unknown, not quiet: the watch
    point's own offline alert covers them."""
    if heard.until is None or not heard.per_min:
        return []
    if hearing.until is None or heard.until < hearing.until - heard.minute:
        return list(heard.per_min)  # first seen, or its clock went back: start again here
    fresh = round((heard.until - hearing.until) / heard.minute)
    return list(heard.per_min[-fresh:]) if fresh > 0 else []


def take_in(hearing: Hearing, heard: HeardStatus, now: datetime, t: Thresholds) -> Hearing:
    """``hearing`` with the new minutes of a status taken in."""
    minutes = new_minutes(hearing, heard)
    if not minutes and hearing.until is not None:
        return hearing
    threshold = hearing.threshold(t)
    quiet, recovering, longest = hearing.quiet_min, hearing.heard_since_deaf, dict(hearing.longest)
    day = now.date().isoformat()
    for count in minutes:
        if count > 0:
            if quiet and (threshold is None or quiet < threshold):  # a normal quiet ended
                longest[day] = max(longest.get(day, 0), quiet)
            quiet, recovering = 0, recovering + 1
        else:
            quiet += 1
            if threshold is not None and quiet >= threshold:
                recovering = 0
    oldest = (now - timedelta(days=LEARN_DAYS)).date().isoformat()
    return replace(
        hearing,
        until=heard.until,
        quiet_min=quiet,
        heard_since_deaf=recovering,
        minutes=hearing.minutes + len(minutes),
        adverts=hearing.adverts + sum(minutes),
        longest={d: run for d, run in longest.items() if d > oldest},
        last_advert=heard.last_advert or hearing.last_advert,
    )


def judge(hearing: Hearing, is_open: bool, t: Thresholds) -> Verdict:
    threshold = hearing.threshold(t)
    if not is_open and threshold is not None and hearing.quiet_min >= threshold:
        return "raise"
    if is_open and hearing.heard_since_deaf >= t.recover_min:
        return "clear"
    return None
