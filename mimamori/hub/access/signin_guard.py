"""Password sign-in, guarded: how many tries an account, an address and a browser get.

Every attempt is counted before its password is checked, against two keys: the
address it comes from (``addr:``; an IPv6 address by its /64, what one subscriber
gets) and the account it names (``user:``; ids that do not exist are counted the
same, so a lock says nothing about who has an account). Past a few free failures
each key waits before its next try, the wait doubling up to a cap; an attempt
refused for waiting checks no password and counts nothing, so hammering a locked
account does not lengthen its lock. A right password clears the account's count
and takes its own attempt back from the address's.

Why these numbers (NIST SP 800-63B §5.2.2 asks for at most 100 failed tries on an
account before it is stopped; OWASP's authentication cheat sheet for lockouts that
end by themselves):

- an account: 5 free, then 1 min, 2, 4 ... at most 1 h between tries, forgotten after
  a day without a failure: an attacker gets ~30 guesses a day, a person who mistyped
  five times waits a minute;
- an address: 20 free (a care centre's staff share one address behind its router),
  then the same waits, forgotten after an hour without a failure;
- a browser that signed in to the account with its password before carries a signed
  cookie (``mimamori_device``): for that browser the account's count is replaced by
  the browser's own, with the account's rule. Someone who knows only the account's id
  can lock it for strangers, never for the person's own browser.

The counts live in the database (the store's ``signin_attempts``) and change by
compare-and-set, so they hold across restarts and hub workers, and two requests at
once cannot both take the last free try.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from mimamori.hub.access.auth import HashPool, HashPoolBusy, check_password
from mimamori.hub.model.accounts import Attempts, User
from mimamori.hub.store.port import Store
from mimamori.protocol.timefmt import utc_ms

log = logging.getLogger(__name__)

DEVICE_COOKIE = "mimamori_device"
DEVICE_SECRET = "signin-device"  # the hub secret that signs device cookies
DEVICE_TTL = timedelta(days=180)
BUSY_RETRY = timedelta(seconds=5)
CLAIM_TRIES = 4  # compare-and-set rounds before a contended key is treated as locked
PURGE_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Rule:
    free: int  # failures before any wait
    first_wait: timedelta
    max_wait: timedelta
    forget_after: timedelta  # a count with no failure for this long starts again

    def wait(self, failures: int) -> timedelta:
        """How long after the last failure the next try may come."""
        if failures < self.free:
            return timedelta(0)
        doublings = min(failures - self.free, 16)  # 2**16 min is past any cap
        return min(self.first_wait * (1 << doublings), self.max_wait)


ACCOUNT = Rule(5, timedelta(minutes=1), timedelta(hours=1), timedelta(days=1))
ADDRESS = Rule(20, timedelta(minutes=1), timedelta(hours=1), timedelta(hours=1))


@dataclass(frozen=True)
class SigninResult:
    user: User | None = None  # signed in
    retry_after: timedelta | None = None  # refused before trying: locked, or busy
    busy: bool = False


@dataclass(frozen=True)
class _Claim:
    key: str
    seen: Attempts | None
    new: Attempts


def address_key(host: str | None) -> str:
    """``addr:`` and the address; an IPv6 one by its /64 (one subscriber's share)."""
    try:
        ip = ipaddress.ip_address(host or "")
    except ValueError:
        return f"addr:{(host or 'unknown')[:64]}"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return f"addr:{ipaddress.IPv6Network((ip, 64), strict=False)}"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return f"addr:{ip}"


class SigninGuard:
    """Password checks for ``/login``: counted, limited, and hashed off the loop."""

    def __init__(self, store: Store, pool: HashPool | None = None) -> None:
        self.store = store
        self.pool = pool or HashPool()
        self._secret: bytes | None = None
        self._next_purge: datetime | None = None

    async def sign_in(
        self, user_id: str, password: str, *, address: str | None, device: str | None, now: datetime
    ) -> SigninResult:
        """Check a password, unless the address or the account must wait first."""
        now = utc_ms(now)
        await self._purge(now)
        own = await self._device_of(user_id, device)
        keys = [(address_key(address), ADDRESS), (own or f"user:{user_id}", ACCOUNT)]
        claims: list[_Claim] = []
        for key, rule in keys:
            claim = await self._claim(key, rule, now)
            if isinstance(claim, timedelta):
                await self._give_back(claims)
                return SigninResult(retry_after=claim)
            claims.append(claim)
        try:
            user = await check_password(self.store, user_id, password, self.pool)
        except HashPoolBusy:
            await self._give_back(claims)
            return SigninResult(retry_after=BUSY_RETRY, busy=True)
        if user is not None:
            await self._give_back(claims[:1])
            await self.store.clear_signin_attempts(claims[1].key)
            return SigninResult(user=user)
        for claim, (_, rule) in zip(claims, keys, strict=True):
            if claim.new.failures == rule.free:  # logged once, when the waits begin
                log.warning(
                    "%d failed sign-ins for %s: each next try waits, from %s up to %s",
                    rule.free, claim.key, rule.first_wait, rule.max_wait,
                )  # fmt: skip
        return SigninResult()

    async def device_cookie(self, user_id: str) -> str:
        """A new cookie value naming this browser as one ``user_id`` signed in from."""
        nonce = secrets.token_urlsafe(16)
        return f"{nonce}.{await self._mac(user_id, nonce)}"

    async def _device_of(self, user_id: str, cookie: str | None) -> str | None:
        """``device:NONCE`` if the cookie was made for this account, else None."""
        nonce, _, mac = (cookie or "").partition(".")
        if not nonce or len(cookie or "") > 200:
            return None
        if not hmac.compare_digest(mac, await self._mac(user_id, nonce)):
            return None
        return f"device:{nonce}"

    async def _mac(self, user_id: str, nonce: str) -> str:
        if self._secret is None:
            self._secret = await self.store.secret(DEVICE_SECRET)
        message = f"{user_id}\n{nonce}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]

    async def _claim(self, key: str, rule: Rule, now: datetime) -> _Claim | timedelta:
        """Count one attempt on ``key``; or how long it must wait."""
        for _ in range(CLAIM_TRIES):
            seen = await self.store.signin_attempts(key)
            failures = 0
            if seen is not None and now - seen.last_at < rule.forget_after:
                failures = seen.failures
                ready = seen.last_at + rule.wait(failures)
                if now < ready:
                    return ready - now
            new = Attempts(failures + 1, now)
            if await self.store.swap_signin_attempts(key, seen, new):
                return _Claim(key, seen, new)
        return timedelta(seconds=1)  # others are trying this key this very moment

    async def _give_back(self, claims: list[_Claim]) -> None:
        """Undo attempts that were not tried (or succeeded): each key as it was, unless
        another attempt counted on it since (then it stays one higher: the safe side)."""
        for claim in claims:
            await self.store.swap_signin_attempts(claim.key, claim.new, claim.seen)

    async def _purge(self, now: datetime) -> None:
        """Counts nobody added to for a day are forgotten anyway: drop them (hourly)."""
        if self._next_purge is not None and now < self._next_purge:
            return
        self._next_purge = now + PURGE_EVERY
        forget = max(ACCOUNT.forget_after, ADDRESS.forget_after)
        if purged := await self.store.purge_signin_attempts(now - forget):
            log.info("forgot %d old sign-in failure counts", purged)
