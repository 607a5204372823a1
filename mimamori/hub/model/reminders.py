"""Reminders for the person (issue 15; seed 004 and Kurobe ask the person first): what
the hub did about each level-0 missed check-in, one row per way it tried.

``channel``: ``button`` (the home gateway's button was told to beep), ``line``, ``sms``
or another of the person's own channels (by the URL's scheme), or ``none`` when the
person has nothing the hub can reach. ``outcome``: ``sending`` (claimed, not yet
published), ``sent``, ``queued`` (in the notification queue), ``failed``,
``not_possible`` (e.g. the gateway is offline, or only BLE buttons that cannot
receive), ``stale`` (learnt too late for a reminder to be of use).

A ``queued`` reminder is only as good as its notification: ``notice`` is the dedupe key
of the one it queued (written with it), ``delivery`` what the notification queue says
of it when read back (``alerts/delivery.py``): ``delivered`` (a channel took it),
``trying`` (still pending, retried with backoff), ``failed`` (given up for good).
``delivery`` is None for a reminder that queued nothing, or one recorded before the
link was kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Outcome = Literal["sending", "sent", "queued", "failed", "not_possible", "stale"]
REACHED: frozenset[str] = frozenset({"sending", "sent", "queued"})  # the person was told
Delivery = Literal["delivered", "trying", "failed"]


@dataclass(frozen=True)
class Reminder:
    event_id: str  # the checkin.missed event at level 0
    channel: str
    household_id: str
    gateway_id: str
    at: datetime  # the hub's time it decided
    outcome: Outcome
    detail: str = ""  # why, in English, for staff and logs
    notice: str | None = None  # the queued notification's dedupe key (when written)
    delivery: Delivery | None = None  # its state in the queue (when read)

    @property
    def reached(self) -> bool:
        """Told, or on the way: not a notification the queue gave up on."""
        return self.outcome in REACHED and self.delivery != "failed"
