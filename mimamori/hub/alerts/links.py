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


def _sign(secret: bytes, purpose: str, payload: bytes) -> bytes:
    return hmac.new(secret, purpose.encode() + b":" + payload, hashlib.sha256).digest()[:_SIG_BYTES]


def make_signed(
    secret: bytes, purpose: str, subject: int, recipient: str, expires: datetime
) -> str:
    """A token for ``subject`` (an alert, a found thread...) and ``recipient`` until
    ``expires``, signed for ``purpose`` alone: a token of one purpose is refused by another."""
    payload = f"{subject}.{recipient}.{int(expires.timestamp())}".encode()
    return f"{_b64(payload)}.{_b64(_sign(secret, purpose, payload))}"


def read_signed(
    secret: bytes, purpose: str, token: str, now: datetime
) -> tuple[int, str, datetime]:
    """The subject, recipient and expiry a token of ``purpose`` stands for;
    BadLink("invalid" | "expired") otherwise."""
    try:
        encoded, signature = token.split(".")
        payload, given = _unb64(encoded), _unb64(signature)
        subject, rest = payload.decode("ascii").split(".", 1)
        recipient, expires = rest.rsplit(".", 1)
        found = int(subject), recipient, datetime.fromtimestamp(int(expires), UTC)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadLink("invalid") from exc
    if not hmac.compare_digest(given, _sign(secret, purpose, payload)):
        raise BadLink("invalid")
    if now >= found[2]:
        raise BadLink("expired")
    return found


def make_token(secret: bytes, link: AckLink) -> str:
    return make_signed(secret, "ack", link.alert_id, link.recipient_id, link.expires)


def read_token(secret: bytes, token: str, now: datetime) -> AckLink:
    """The link a token stands for; BadLink("invalid" | "expired") otherwise."""
    return AckLink(*read_signed(secret, "ack", token, now))
