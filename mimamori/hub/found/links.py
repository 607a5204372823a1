"""The family's link to a found thread: signed, single-purpose, short-lived.

A link names one thread (report) and one recipient and is valid until a time; an
HMAC-SHA256 with a secret of the hub signs all three. It is the sign-in to the
thread: whoever the notice reached may answer, show a number, mark the person safe.
Short-lived (a day) because it travels by e-mail and chat; staff reach the thread
from the desk at any time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

THREAD_SECRET = "found-thread"  # the name of the hub's secret (store.secret)
LINK_TTL = timedelta(hours=24)
_SIG_BYTES = 16  # 128 bits of HMAC-SHA256


@dataclass(frozen=True)
class ThreadLink:
    report_id: int
    recipient_id: str
    expires: datetime


class BadThreadLink(ValueError):
    def __init__(self, reason: str) -> None:  # "invalid" or "expired"
        self.reason = reason
        super().__init__(reason)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, b"found:" + payload, hashlib.sha256).digest()[:_SIG_BYTES]


def make_link(secret: bytes, link: ThreadLink) -> str:
    payload = f"{link.report_id}.{link.recipient_id}.{int(link.expires.timestamp())}".encode()
    return f"{_b64(payload)}.{_b64(_sign(secret, payload))}"


def read_link(secret: bytes, token: str, now: datetime) -> ThreadLink:
    try:
        encoded, signature = token.split(".")
        payload, given = _unb64(encoded), _unb64(signature)
        report, rest = payload.decode("ascii").split(".", 1)
        recipient, expires = rest.rsplit(".", 1)
        link = ThreadLink(int(report), recipient, datetime.fromtimestamp(int(expires), UTC))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadThreadLink("invalid") from exc
    if not hmac.compare_digest(given, _sign(secret, payload)):
        raise BadThreadLink("invalid")
    if now >= link.expires:
        raise BadThreadLink("expired")
    return link
