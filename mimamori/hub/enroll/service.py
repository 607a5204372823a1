"""One-time enrollment codes: made for a registered gateway, kept hashed, traded once.

A code is 12 characters of an alphabet without look-alikes (no 0/O, 1/I/L, U), shown as
``XXXX-XXXX-XXXX``: 60 bits, typed on a Pi's console in under a minute. It is stored as
a credential of kind ``enroll`` (its SHA-256 only, ``access/auth.token_hash``), named
by the gateway's id, valid ``code_ttl_min`` on the hub's clock, and used by one atomic
UPDATE (``redeem_once``): of two gateways racing with one code, one wins.

Guessing is bounded per address as sign-ins are (``access/signin_guard.py``, the same
counts in the database, keys ``enroll:addr:...``): 10 free failures, then a wait that
doubles from a minute up to an hour, forgotten an hour after the last failure. 60 bits
at 30 guesses an hour is beyond any attacker. Every attempt, good or bad, is audited.

Trading a code makes (or renews) the gateway's broker account and tells Mosquitto to
read its files again; the password goes to the gateway only, never to a person.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from mimamori.hub.access.auth import token_hash
from mimamori.hub.access.signin_guard import Rule, address_key
from mimamori.hub.broker.gateway_accounts import AccountRefused, provision
from mimamori.hub.config import EnrollmentSettings, HubConfig, MosquittoFiles
from mimamori.hub.enroll.bundle import gateway_yaml, reload_broker, town_ca
from mimamori.hub.model.accounts import Attempts, Credential, CredentialKind, Redeemed
from mimamori.hub.model.clock import Clock
from mimamori.hub.register.registry import Registry
from mimamori.hub.store.port import Store
from mimamori.protocol.timefmt import utc_ms

log = logging.getLogger(__name__)

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's, without 0 1 I L O U
CODE_CHARS = 12
GUESSES = Rule(10, timedelta(minutes=1), timedelta(hours=1), timedelta(hours=1))
_SEPARATORS = re.compile(r"[\s-]+")

Refusal = Literal["unknown", "used", "expired", "malformed", "wait", "gone", "broker"]

# What the gateway's technician reads, Japanese first.
MESSAGES: dict[Refusal, tuple[str, str]] = {
    "unknown": (
        "登録コードが違います。ハブで表示されたコードをもう一度確かめてください",
        "no such enrollment code: check the code the hub gave",
    ),
    "malformed": (
        "登録コードの形が違います（XXXX-XXXX-XXXX の 12 文字）",
        "an enrollment code is 12 characters, XXXX-XXXX-XXXX",
    ),
    "used": (
        "この登録コードはもう使われています。ハブで新しいコードを出してください",
        "this enrollment code was used already: ask the hub for a new one",
    ),
    "expired": (
        "この登録コードは期限が切れています。ハブで新しいコードを出してください",
        "this enrollment code has expired: ask the hub for a new one",
    ),
    "wait": (
        "登録の失敗が続いたため、しばらく待ってからやり直してください",
        "too many failed enrollments from here: wait, then try again",
    ),
    "gone": (
        "このゲートウェイは登録簿から消されています",
        "this gateway is no longer in the register",
    ),
    "broker": (
        "ハブがブローカーのアカウントを作れませんでした。管理者に連絡し、新しいコードをもらってください",
        "the hub could not write the broker account: tell its admin, then ask for a new code",
    ),
}


class EnrollmentError(Exception):
    """A code that cannot be made (no such gateway, no broker files)."""

    def __init__(self, ja: str, en: str) -> None:
        super().__init__(en)
        self.ja, self.en = ja, en


@dataclass(frozen=True)
class Issued:
    code: str  # shown once, to the technician
    gateway_id: str
    expires_at: datetime


@dataclass(frozen=True)
class Bundle:
    """What the gateway writes: never shown to a person."""

    gateway_id: str
    username: str
    password: str
    config: str  # its YAML
    ca: str | None  # the town's CA (PEM), when the broker speaks TLS
    broker_reloaded: bool


@dataclass(frozen=True)
class Refused:
    reason: Refusal
    retry_after: timedelta | None = None

    @property
    def ja(self) -> str:
        return MESSAGES[self.reason][0]

    @property
    def en(self) -> str:
        return MESSAGES[self.reason][1]


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARS))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_CHARS, 4))


def normalized(text: str) -> str | None:
    """The code as issued, from what was typed (any case, spaces or dashes); None if
    it cannot be one."""
    raw = _SEPARATORS.sub("", text[:64]).upper()
    if len(raw) != CODE_CHARS or any(c not in ALPHABET for c in raw):
        return None
    return "-".join(raw[i : i + 4] for i in range(0, CODE_CHARS, 4))


class Enrollment:
    def __init__(
        self,
        config: HubConfig,
        settings: EnrollmentSettings,
        files: MosquittoFiles,
        registry: Registry,
        store: Store,
        *,
        clock: Clock,
    ) -> None:
        self.config = config
        self.settings = settings
        self.files = files
        self.registry = registry
        self.store = store
        self.clock = clock

    async def issue(self, gateway_id: str, *, who: str, role: str) -> Issued:
        """A new code for a registered gateway, valid ``code_ttl_min`` from now."""
        if gateway_id not in self.registry.gateways:
            raise EnrollmentError(
                f"ゲートウェイ {gateway_id} は登録簿にありません（先に登録してください）",
                f"no gateway {gateway_id!r} in the register: add it first",
            )
        now = utc_ms(self.clock())
        code = new_code()
        expires = now + timedelta(minutes=self.settings.code_ttl_min)
        credential = Credential(CredentialKind.ENROLL, "admin", None, gateway_id, now, expires)
        await self.store.add_credential(token_hash(code), credential)
        await self.store.audit(
            now, who=who, role=role, action="gateway.enroll_code", subject=f"gateway:{gateway_id}"
        )
        return Issued(code, gateway_id, expires)

    async def redeem(self, text: str, *, address: str | None) -> Bundle | Refused:
        """Trade a code for the gateway's bundle, once; or why not."""
        now = utc_ms(self.clock())
        key = "enroll:" + address_key(address)
        seen = await self.store.signin_attempts(key)
        failures = 0
        if seen is not None and now - seen.last_at < GUESSES.forget_after:
            failures = seen.failures
            ready = seen.last_at + GUESSES.wait(failures)
            if now < ready:
                return Refused("wait", ready - now)
        code = normalized(text)
        outcome, credential = (
            await self.store.redeem_once(CredentialKind.ENROLL, token_hash(code), now)
            if code is not None
            else (Redeemed.UNKNOWN, None)
        )
        if outcome != Redeemed.OK or credential is None:
            reason: Refusal = "malformed" if code is None else outcome.value  # type: ignore[assignment]
            # Compare-and-set: a lost race only means one failure fewer counted.
            await self.store.swap_signin_attempts(key, seen, Attempts(failures + 1, now))
            if failures + 1 == GUESSES.free:
                log.warning("%d failed enrollments from %s: each next try waits", failures + 1, key)
            await self._audit(
                now, "gateway.enroll_refused", "gateway:?", f"{reason} from {address}"
            )
            return Refused(reason)
        gateway_id = credential.name
        entry = self.registry.gateways.get(gateway_id)
        if entry is None:
            await self._audit(now, "gateway.enroll_refused", f"gateway:{gateway_id}", "gone")
            return Refused("gone")
        try:
            password = await asyncio.to_thread(self._account, gateway_id)
        except (OSError, AccountRefused) as exc:  # a file the hub may not write; a hub's name
            log.error("gateway %s: cannot write its broker account: %s", gateway_id, exc)
            await self._audit(now, "gateway.enroll_failed", f"gateway:{gateway_id}", str(exc))
            return Refused("broker")
        reloaded = await reload_broker(self.settings.reload_command)
        config = await asyncio.to_thread(gateway_yaml, self.settings, entry)
        ca = await asyncio.to_thread(town_ca, self.settings)
        await self._audit(now, "gateway.enroll", f"gateway:{gateway_id}", f"from {address}")
        log.info("gateway %s enrolled from %s", gateway_id, address)
        return Bundle(gateway_id, gateway_id, password, config, ca, reloaded)

    def _account(self, gateway_id: str) -> str:
        """The gateway's new broker password, written where Mosquitto reads it: the one
        way accounts are made (``provision``, as ``hub gateway add`` and the desk)."""
        return provision(self.config, gateway_id, renew=True).password

    async def _audit(self, at: datetime, action: str, subject: str, detail: str) -> None:
        await self.store.audit(
            at, who="enrollment", role="gateway", action=action, subject=subject, detail=detail
        )
