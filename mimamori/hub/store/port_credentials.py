"""What the store keeps about credentials beyond finding one: listing and revoking
them, and the sign-in failures counted against accounts, addresses and browsers
(types and the port; ``sqlite_users`` implements it on either engine)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from mimamori.hub.model.accounts import Credential, CredentialKind
from mimamori.hub.model.accounts import Attempts


class CredentialStore(Protocol):
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
