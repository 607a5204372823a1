"""Signed requests between peer hubs: HMAC-SHA256 with the pair's shared secret.

A request names the town that sends it, when (Unix seconds), and a random nonce, and
signs them with the method, the path, the town it is meant for and the SHA-256 of its
body, one per line::

    mimamori-federation-v1
    POST
    /api/v1/federation/sightings
    ginowan                       (the sender)
    urasoe                        (the receiver)
    1764720000                    (X-Mimamori-Time)
    3f0c...                       (X-Mimamori-Nonce: 32 hex digits)
    9b71...                       (SHA-256 of the body, hex)

The secret itself never travels. The receiver refuses a time further than ``WINDOW``
from its own clock and a nonce the same peer used within it (``auth``, which keeps
them in the database), so a request that was recorded cannot be played again, nor
later, nor to the other hub, nor with another body.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

VERSION = "mimamori-federation-v1"
TOWN_HEADER = "X-Mimamori-Town"
TIME_HEADER = "X-Mimamori-Time"
NONCE_HEADER = "X-Mimamori-Nonce"
SIGNATURE_HEADER = "X-Mimamori-Signature"

# Five minutes either way, the bound common to signed web requests (Slack's request
# signing, AWS Signature V4): hubs keep NTP time, so this is all slack for a slow
# network; a recorded request is useless once it has passed.
WINDOW = timedelta(minutes=5)
# The largest body a peer sends: 500 sightings (~130 KB) or an order of 5,000 rotating
# ids (~200 KB), with room to spare.
MAX_BODY = 1024 * 1024

_NONCE = re.compile(r"^[0-9a-f]{32}$")
_TIME = re.compile(r"^[0-9]{1,12}$")
_SIGNATURE = re.compile(r"^[0-9a-f]{64}$")


class BadSignature(Exception):
    """Why a request is refused (said to the caller: it names no secret)."""


@dataclass(frozen=True)
class Signed:
    """What a request claims, as read from its headers."""

    sender: str
    sent_at: int  # Unix seconds
    nonce: str
    signature: str


def signature(
    secret: str,
    *,
    method: str,
    path: str,
    sender: str,
    receiver: str,
    sent_at: int,
    nonce: str,
    body: bytes,
) -> str:
    digest = hashlib.sha256(body).hexdigest()
    lines = [VERSION, method.upper(), path, sender, receiver, str(sent_at), nonce, digest]
    return hmac.new(secret.encode(), "\n".join(lines).encode(), hashlib.sha256).hexdigest()


def signed_headers(
    secret: str,
    *,
    method: str,
    path: str,
    sender: str,
    receiver: str,
    body: bytes,
    now: datetime,
    nonce: str | None = None,
) -> dict[str, str]:
    """The headers that sign one request from ``sender`` to ``receiver``."""
    sent_at = int(now.timestamp())
    nonce = nonce or secrets.token_hex(16)
    return {
        TOWN_HEADER: sender,
        TIME_HEADER: str(sent_at),
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: signature(
            secret,
            method=method,
            path=path,
            sender=sender,
            receiver=receiver,
            sent_at=sent_at,
            nonce=nonce,
            body=body,
        ),
    }


def read_headers(sender: str, sent_at: str, nonce: str, sig: str) -> Signed:
    """The claims of a request; BadSignature when one is missing or malformed."""
    if not (_TIME.match(sent_at) and _NONCE.match(nonce) and _SIGNATURE.match(sig)):
        raise BadSignature(
            f"a peer's request needs {TIME_HEADER} (Unix seconds), {NONCE_HEADER} "
            f"(32 hex digits) and {SIGNATURE_HEADER} (HMAC-SHA256, hex)"
        )
    return Signed(sender, int(sent_at), nonce, sig)


def verify(
    secret: str,
    claims: Signed,
    *,
    method: str,
    path: str,
    receiver: str,
    body: bytes,
    now: datetime,
) -> None:
    """Raise BadSignature unless the request is signed with ``secret`` and its time is
    within ``WINDOW`` of ``now``. (Whether its nonce is new is the caller's to ask.)"""
    if abs(now.timestamp() - claims.sent_at) > WINDOW.total_seconds():
        raise BadSignature(
            f"{TIME_HEADER} is more than {WINDOW.total_seconds():.0f} s from this hub's "
            "clock: refused (check both hubs' NTP)"
        )
    expected = signature(
        secret,
        method=method,
        path=path,
        sender=claims.sender,
        receiver=receiver,
        sent_at=claims.sent_at,
        nonce=claims.nonce,
        body=body,
    )
    if not hmac.compare_digest(expected, claims.signature):
        raise BadSignature("the signature does not match: wrong secret, or the request changed")
