"""The family's link to a found thread: signed, single-purpose, short-lived.

A link names one thread (report) and one recipient and is valid until a time; an
HMAC-SHA256 with a secret of the hub signs all three. It is the sign-in to the
thread: whoever the notice reached may answer, show a number, mark the person safe.
Short-lived (a day) because it travels by e-mail and chat; staff reach the thread
from the desk at any time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from mimamori.hub.alerts.links import BadLink, make_signed, read_signed

THREAD_SECRET = "found-thread"  # the name of the hub's secret (store.secret)
LINK_TTL = timedelta(hours=24)
BadThreadLink = BadLink  # .reason: "invalid" or "expired"


@dataclass(frozen=True)
class ThreadLink:
    report_id: int
    recipient_id: str
    expires: datetime


def make_link(secret: bytes, link: ThreadLink) -> str:
    return make_signed(secret, "found", link.report_id, link.recipient_id, link.expires)


def read_link(secret: bytes, token: str, now: datetime) -> ThreadLink:
    return ThreadLink(*read_signed(secret, "found", token, now))
