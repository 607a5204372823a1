"""The port of credentials: tokens, sessions and sign-in links (made, found,
redeemed, listed, revoked), and the sign-in failures counted against accounts,
addresses and browsers (``sql_users`` implements it on both engines)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from mimamori.hub.model.accounts import Attempts, Credential, CredentialKind, Redeemed


class CredentialStore(Protocol):
    async def add_credential(self, token_hash: str, credential: Credential) -> None: ...

    async def find_credential(
        self, kind: CredentialKind, token_hash: str, now: datetime
    ) -> Credential | None:
        """A valid (unexpired, unused, not revoked) credential, or None."""
        ...

    async def redeem_signin(
        self, token_hash: str, now: datetime
    ) -> tuple[Redeemed, Credential | None]:
        """Use a one-time sign-in link: atomically, so two clicks cannot both win."""
        ...

    async def redeem_once(
        self, kind: CredentialKind, token_hash: str, now: datetime
    ) -> tuple[Redeemed, Credential | None]:
        """Use a one-time credential of ``kind`` (a gateway's enrollment code), as
        ``redeem_signin`` does a link."""
        ...

    async def delete_credential(self, kind: CredentialKind, token_hash: str) -> bool:
        """Revoke one credential; False if there was none."""
        ...

    async def credentials(self, kinds: Sequence[CredentialKind]) -> list[tuple[str, Credential]]:
        """Every credential of these kinds (expired ones too, unused links only), with
        its token hash, oldest first."""
        ...

    async def delete_credentials(
        self,
        kinds: Sequence[CredentialKind],
        *,
        family_id: str | None = None,
        user_id: str | None = None,
    ) -> int:
        """Revoke every credential of these kinds of a family, or of an account (one of
        the two is required); how many ended."""
        ...

    async def signin_attempts(self, key: str) -> Attempts | None: ...

    async def swap_signin_attempts(
        self, key: str, seen: Attempts | None, new: Attempts | None
    ) -> bool:
        """Compare and set: replace what ``key`` holds with ``new`` (None: nothing)
        if it still holds ``seen``; False when another attempt changed it first."""
        ...

    async def clear_signin_attempts(self, key: str) -> None: ...

    async def purge_signin_attempts(self, before: datetime) -> int:
        """Forget the counts whose last failure is older than ``before``."""
        ...
