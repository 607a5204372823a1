"""Accounts (mixed into the store, on either engine): who they are, their role, their hash."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ...errors import StoreConflict, StoreError
from ...protocol.timefmt import to_epoch_ms
from ...serial import serialized
from .base import User
from .sqlite_base import SqliteBase

_COLUMNS = "id, name, role, family_id, households, disabled"


def _user(row: Sequence[Any]) -> User:
    uid, name, role, family_id, households, disabled = row[:6]
    return User(uid, name, role, family_id, tuple(json.loads(households)), bool(disabled))


class SqliteUsers(SqliteBase):
    @serialized
    async def add_user(self, user: User, password_hash: str, now: datetime) -> None:
        try:
            await self._db.execute(
                "INSERT INTO users (id, name, role, family_id, households, password_hash, "
                "created_at, disabled) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    user.id,
                    user.name,
                    user.role,
                    user.family_id,
                    json.dumps(list(user.households)),
                    password_hash,
                    to_epoch_ms(now),
                    1 if user.disabled else 0,
                ),
            )
        except StoreConflict as exc:
            raise StoreConflict(f"there is already an account {user.id!r}") from exc
        except StoreError as exc:
            raise StoreError(f"cannot add the account {user.id!r}: {exc}") from exc

    @serialized
    async def user(self, user_id: str) -> tuple[User, str] | None:
        rows = await self._query(
            f"SELECT {_COLUMNS}, password_hash FROM users WHERE id = ?", [user_id]
        )
        return (_user(rows[0]), str(rows[0][6])) if rows else None

    @serialized
    async def users(self) -> list[User]:
        return [
            _user(r) for r in await self._query(f"SELECT {_COLUMNS} FROM users ORDER BY id", [])
        ]

    @serialized
    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        await self._db.execute(
            "UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id)
        )

    @serialized
    async def set_disabled(self, user_id: str, disabled: bool) -> bool:
        """Disable (or enable) an account; its sessions and tokens stop (or work) at once."""
        changed = await self._db.execute(
            "UPDATE users SET disabled = ? WHERE id = ?", (1 if disabled else 0, user_id)
        )
        return changed == 1
