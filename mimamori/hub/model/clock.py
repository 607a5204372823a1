"""The hub's clock, and where a gateway's times fall on it.

Deadlines, escalation, "last seen" and expiry run on the hub's clock, which every
part takes as a ``Clock`` (tests pass a virtual one). A gateway's clock is evidence:
a Raspberry Pi has no real-time clock and says 1970, or the time of its last
shutdown, until NTP answers; a wrong time zone or a failing battery-backed clock
can put it hours off either way.

So each event gets the hub's time for it (``place``): the gateway's time, corrected
by how far the gateway's clock was off when it sent the batch (the envelope's
``sent`` against the hub's receive time), and never later than the receive time
nor older than ``MAX_AGE``. A replay from an outbox keeps its real, earlier time and
sorts into the trail where it belongs without overwriting a newer "last seen"; an
event dated in the future cannot pin a person's "last seen" or delay an alarm.
The gateway's own time is kept beside it (``device_ts``) as evidence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


# NTP keeps a Pi within milliseconds; a minute off is a clock that is wrong, not
# network delay (a batch crosses the broker in milliseconds, a 3G link in seconds).
TOLERANCE = timedelta(seconds=60)
# ... and a wrong clock counts as right again only well inside it, so one that
# hovers near the limit does not flap.
RECOVERED = timedelta(seconds=30)
# The oldest an event may legitimately be when it arrives: the outbox keeps events
# through any outage (its cap drops only routine sightings), the broker's session
# for the hub lasts 7 days; a month covers a gateway that sat in a cupboard.
# Anything older is a clock that never synced (1970, a dead RTC battery).
MAX_AGE = timedelta(days=30)


def clock_offset(sent: datetime | None, received: datetime, *, live: bool) -> timedelta | None:
    """How far the gateway's clock is behind the hub's (negative: ahead), from the time
    it says it sent a message; None when that says nothing.

    A message may wait in the broker while the hub is away or behind, which makes a
    clock look behind by the wait: so a clock found *ahead* counts always (no wait
    makes a message arrive before it was sent), and so does one found right within
    ``TOLERANCE``; one found further behind counts only while the hub is ``live``
    (connected a while, no backlog). A gateway stamps ``sent`` when it publishes, so
    its own replays after an outage carry a fresh one."""
    if sent is None:
        return None
    offset = received - sent
    return offset if live or offset <= TOLERANCE else None


@dataclass(frozen=True)
class Placed:
    ts: datetime  # the hub's time for the event
    moved: bool  # it differs from what the gateway said


def place(device_ts: datetime, received: datetime, offset: timedelta | None) -> Placed:
    """The hub's time of an event the gateway dated ``device_ts``, received at
    ``received``, from a gateway whose clock was ``offset`` behind when it sent it."""
    ts = device_ts
    if offset is not None and abs(offset) > TOLERANCE:
        ts = device_ts + offset
    if ts > received or ts < received - MAX_AGE:
        ts = received
    return Placed(ts, ts != device_ts)


def clock_is_wrong(offset: timedelta, was_wrong: bool) -> bool:
    """Whether a gateway's clock counts as wrong now, with hysteresis."""
    return abs(offset) > (RECOVERED if was_wrong else TOLERANCE)
