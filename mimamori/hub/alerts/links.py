"""One-tap acknowledge links: signed, single-purpose, expiring.

A link names one alert and one recipient and is valid until a time; an HMAC-SHA256
with a secret of the hub signs all three, so it cannot be altered to answer another
alert or live longer. Opening it shows the alert and a button; only pressing the
button (a POST) acknowledges, because mail and chat apps open links by themselves to
preview them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

LINK_TTL = timedelta(days=7)
_SIG_BYTES = 16  # 128 bits of HMAC-SHA256


@dataclass(frozen=True)
class AckLink:
    alert_id: int
    recipient_id: str
    expires: datetime


class BadLink(ValueError):
    def __init__(self, reason: str) -> None:  # "invalid" or "expired"
        self.reason = reason
        super().__init__(reason)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, b"ack:" + payload, hashlib.sha256).digest()[:_SIG_BYTES]


def make_token(secret: bytes, link: AckLink) -> str:
    payload = f"{link.alert_id}.{link.recipient_id}.{int(link.expires.timestamp())}".encode()
    return f"{_b64(payload)}.{_b64(_sign(secret, payload))}"


def read_token(secret: bytes, token: str, now: datetime) -> AckLink:
    """The link a token stands for; BadLink("invalid" | "expired") otherwise."""
    try:
        encoded, signature = token.split(".")
        payload, given = _unb64(encoded), _unb64(signature)
        alert, rest = payload.decode("ascii").split(".", 1)
        recipient, expires = rest.rsplit(".", 1)
        link = AckLink(int(alert), recipient, datetime.fromtimestamp(int(expires), UTC))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadLink("invalid") from exc
    if not hmac.compare_digest(given, _sign(secret, payload)):
        raise BadLink("invalid")
    if now >= link.expires:
        raise BadLink("expired")
    return link
