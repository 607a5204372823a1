"""Credentials: one-time sign-in links, browser sessions, API bearer tokens, passwords.

Tokens are 256 random bits; only their SHA-256 is stored, so a copy of the
database opens no door. Sign-in links are single-use and expire; using one
creates a session whose token lives only in the family's cookie. Account passwords
are stored as argon2id hashes (argon2-cffi's defaults, RFC 9106's second
recommended set), re-hashed on sign-in when those defaults grow.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .store.base import Credential, CredentialKind, Role, Store, User

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
    user_id: str | None = None,
) -> str:
    """Create a credential and return its token (shown once, never stored)."""
    now = now or datetime.now(UTC)
    token = new_token()
    credential = Credential(kind, role, family_id, name, now, now + ttl if ttl else None, user_id)
    await store.add_credential(token_hash(token), credential)
    return token


_hasher = PasswordHasher()
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


async def check_password(store: Store, user_id: str, password: str) -> User | None:
    """The account, if the password is right and the account enabled; else None."""
    found = await store.user(user_id)
    if found is None:
        _hasher.hash(password)  # the same work either way: no timing hint that it exists
        return None
    user, stored = found
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user.disabled:
        return None
    if _hasher.check_needs_rehash(stored):
        await store.set_password_hash(user.id, _hasher.hash(password))
    return user
