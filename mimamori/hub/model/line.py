"""LINE's part of the hub's domain: who is bound to which LINE user, the one-time
codes that bind them, the webhook's events waiting to be handled, and the messages
counted against the plan's monthly allowance (docs/line.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

# A bound recipient hears on LINE; "unfollowed": the LINE user blocked or removed the
# account, which ends the binding (shown at the desk until a new code binds again).
BindingState = Literal["bound", "unfollowed"]


@dataclass(frozen=True)
class LineBinding:
    recipient_id: str
    line_user_id: str
    state: BindingState
    bound_at: datetime
    changed_at: datetime  # when it was bound, or unbound


@dataclass(frozen=True)
class LinkCode:
    """A code handed to a contact: sent to the account, it binds their LINE user."""

    code: str  # digits only, as the store compares it
    recipient_id: str
    expires_at: datetime


# What redeeming a code came to, for the reply in LINE.
Redeemed = Literal["bound", "wrong", "expired", "used", "too_many"]


@dataclass(frozen=True)
class Redemption:
    outcome: Redeemed
    recipient_id: str | None = None  # who was bound ("bound")


@dataclass(frozen=True)
class PendingLineEvent:
    """A webhook event kept until it is handled (its id: LINE's ``webhookEventId``)."""

    id: int
    event_id: str
    body: str  # the event's JSON as LINE sent it
    attempts: int


@dataclass(frozen=True)
class LineUsage:
    """Messages pushed in one month (Japan's calendar: LINE counts per month in JST)."""

    month: str  # "2031-05"
    pushed: int
    allowance: int

    @property
    def warning(self) -> bool:
        return self.pushed * 100 >= self.allowance * WARN_PERCENT


WARN_PERCENT = 80  # the threshold: admins are told before the plan runs out
