"""Credentials: one-time sign-in links, browser sessions, API bearer tokens.

Tokens are 256 random bits; only their SHA-256 is stored, so a copy of the
database opens no door. Sign-in links are single-use and expire; using one
creates a session whose token lives only in the family's cookie.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from .store.base import Credential, CredentialKind, Role, Store

SESSION_COOKIE = "mimamori_session"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue(
    store: Store,
    kind: CredentialKind,
    *,
    role: Role,
    family_id: str | None,
    name: str,
    ttl: timedelta | None,
    now: datetime | None = None,
) -> str:
    """Create a credential and return its token (shown once, never stored)."""
    now = now or datetime.now(UTC)
    token = new_token()
    credential = Credential(kind, role, family_id, name, now, now + ttl if ttl else None)
    await store.add_credential(token_hash(token), credential)
    return token
