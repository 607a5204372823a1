"""Credentials: one-time sign-in links, browser sessions, API bearer tokens, passwords.

Tokens are 256 random bits; only their SHA-256 is stored, so a copy of the
database opens no door. Every credential ends: sign-in links are single-use and
expire, sessions and bearer tokens expire (``hub token create --ttl-days``), and any
of them can be revoked (``hub token revoke``, ``hub session revoke``). Using a link
creates a session whose token lives only in the family's cookie. Account passwords
are stored as argon2id hashes (argon2-cffi's defaults, RFC 9106's second
recommended set), re-hashed on sign-in when those defaults grow; checking one runs
in a worker thread, a bounded number at a time (``HashPool``), never on the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from mimamori.hub.model.accounts import Credential, CredentialKind, Role, User
from mimamori.hub.store.port import Store

SESSION_COOKIE = "mimamori_session"
T = TypeVar("T")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def short_id(token_hash: str) -> str:
    """What lists show and revoke takes: the start of the hash, never the secret."""
    return token_hash[:8]


async def issue(
    store: Store,
    kind: CredentialKind,
    *,
    role: Role,
    family_id: str | None,
    name: str,
    ttl: timedelta,
    now: datetime,
    user_id: str | None = None,
) -> str:
    """Create a credential valid for ``ttl`` from ``now`` (the hub's clock; a command's
    is the system clock) and return its token (shown once, never stored)."""
    token = new_token()
    credential = Credential(kind, role, family_id, name, now, now + ttl, user_id)
    await store.add_credential(token_hash(token), credential)
    return token


MIN_PASSWORD = 10
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


class HashPoolBusy(Exception):
    """Too many password checks are waiting already: answer "busy", do not queue."""


class HashPool:
    """argon2 in worker threads, ``at_once`` at a time, at most ``waiting`` in line.

    A hash takes ~0.3 s of CPU and 64 MiB here (argon2-cffi's defaults on a 2-core
    machine; it already spreads over 4 lanes, and two at once were no faster per hash,
    measured), and argon2-cffi releases the GIL while it runs, so the event loop keeps
    answering. One at a time by default, so a flood of sign-ins takes one core's worth
    at most from ingest and the pages; eight waiting is ~3 s of work, beyond which a
    sign-in is told to come back (503) instead of piling up.
    """

    def __init__(
        self, hasher: PasswordHasher | None = None, *, at_once: int = 1, waiting: int = 8
    ) -> None:
        self.hasher = hasher or _hasher
        self._at_once = at_once
        self._slots: asyncio.Semaphore | None = None  # made on the loop that uses it
        self._max_waiting = waiting
        self.queued = 0  # checks waiting for a slot right now
        self.running = 0  # hashes in worker threads right now

    async def run(self, work: Callable[..., T], *args: object) -> T:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._at_once)
        slots = self._slots
        if slots.locked() and self.queued >= self._max_waiting:
            raise HashPoolBusy
        self.queued += 1
        try:
            await slots.acquire()
        finally:
            self.queued -= 1
        self.running += 1

        def finished(_: object) -> None:
            self.running -= 1
            slots.release()

        # The slot is freed when the thread ends, not when a cancelled caller leaves:
        # a thread cannot be stopped, so the bound counts it until it is done.
        future = asyncio.get_running_loop().run_in_executor(None, functools.partial(work, *args))
        future.add_done_callback(finished)
        return await asyncio.shield(future)


def _verify(hasher: PasswordHasher, stored: str, password: str) -> str | None:
    """In a worker thread: None if wrong; else the hash to keep (a new one when
    the library's parameters grew, the stored one otherwise)."""
    try:
        hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    return hasher.hash(password) if hasher.check_needs_rehash(stored) else stored


async def check_password(store: Store, user_id: str, password: str, pool: HashPool) -> User | None:
    """The account, if the password is right and the account enabled; else None.
    HashPoolBusy when too many checks wait already."""
    found = await store.user(user_id)
    if found is None:
        # The same work either way: no timing hint that the account exists.
        await pool.run(pool.hasher.hash, password)
        return None
    user, stored = found
    kept = await pool.run(_verify, pool.hasher, stored, password)
    if kept is None or user.disabled:
        return None
    if kept != stored:
        await store.set_password_hash(user.id, kept)
    return user
