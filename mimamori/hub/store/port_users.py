"""The port of accounts: who they are, their role, their password's hash, whether
they are disabled (``sql_users`` implements it on both engines)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from mimamori.hub.model.accounts import User


class UserStore(Protocol):
    async def add_user(self, user: User, password_hash: str, now: datetime) -> None:
        """Create an account; StoreError if the id is taken."""
        ...

    async def user(self, user_id: str) -> tuple[User, str] | None:
        """The account and its password hash."""
        ...

    async def users(self) -> list[User]: ...

    async def set_areas(self, user_id: str, areas: Sequence[str]) -> bool:
        """The care-centre areas an account works in (staff); False: no such account."""
        ...

    async def set_password_hash(self, user_id: str, password_hash: str) -> None: ...

    async def set_disabled(self, user_id: str, disabled: bool) -> bool:
        """Disable (or enable) an account; disabling also revokes its sessions and
        tokens, so enabling it again brings none of them back. False: no such account."""
        ...
