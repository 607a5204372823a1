"""Accounts and credentials (mixed into the store, on either engine): who they are,
their role, their hash; the tokens, sessions and sign-in links that stand for them;
the sign-in failures counted against accounts, addresses and browsers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mimamori.errors import StoreConflict, StoreError
from mimamori.hub.model.accounts import Attempts, Credential, CredentialKind, Redeemed, User
from mimamori.hub.store.sql import marks
from mimamori.hub.store.sql_base import SqlBase
from mimamori.locking import serialized
from mimamori.protocol.timefmt import (
    from_epoch_ms,
    from_epoch_ms_or_none,
    to_epoch_ms,
    to_epoch_ms_or_none,
)

_COLUMNS = "id, name, role, family_id, households, disabled"


def _user(row: Sequence[Any], areas: Sequence[str] = ()) -> User:
    uid, name, role, family_id, households, disabled = row[:6]
    households = tuple(json.loads(households))
    return User(uid, name, role, family_id, households, bool(disabled), tuple(areas))


def _credential(row: Sequence[Any]) -> Credential:
    kind, role, family_id, name, created_at, expires_at, user_id = row[:7]
    return Credential(
        CredentialKind(kind),
        role,
        family_id,
        name,
        from_epoch_ms(created_at),
        from_epoch_ms_or_none(expires_at),
        user_id,
    )


class SqlUsers(SqlBase):
    @serialized
    async def add_user(self, user: User, password_hash: str, now: datetime) -> None:
        try:
            async with self._transaction(f"adding the account {user.id!r}") as db:
                await db.execute(
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
                await db.executemany(
                    "INSERT INTO user_areas (user_id, area_id) VALUES (?, ?)",
                    [(user.id, area) for area in dict.fromkeys(user.areas)],
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
        if not rows:
            return None
        return _user(rows[0], await self._areas_of(user_id)), str(rows[0][6])

    async def _areas_of(self, user_id: str) -> list[str]:
        rows = await self._query(
            "SELECT area_id FROM user_areas WHERE user_id = ? ORDER BY area_id", [user_id]
        )
        return [str(area) for (area,) in rows]

    @serialized
    async def users(self) -> list[User]:
        areas: dict[str, list[str]] = {}
        for uid, area in await self._query(
            "SELECT user_id, area_id FROM user_areas ORDER BY user_id, area_id", []
        ):
            areas.setdefault(uid, []).append(area)
        rows = await self._query(f"SELECT {_COLUMNS} FROM users ORDER BY id", [])
        return [_user(r, areas.get(r[0], ())) for r in rows]

    @serialized
    async def set_areas(self, user_id: str, areas: Sequence[str]) -> bool:
        """The care-centre areas an account works in (staff); False: no such account."""
        async with self._transaction(f"setting the areas of {user_id!r}") as db:
            if not await db.fetch("SELECT id FROM users WHERE id = ?", [user_id]):
                return False
            await db.execute("DELETE FROM user_areas WHERE user_id = ?", [user_id])
            await db.executemany(
                "INSERT INTO user_areas (user_id, area_id) VALUES (?, ?)",
                [(user_id, area) for area in dict.fromkeys(areas)],
            )
        return True

    @serialized
    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        await self._db.execute(
            "UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id)
        )

    @serialized
    async def set_disabled(self, user_id: str, disabled: bool) -> bool:
        """Disable (or enable) an account. Disabling revokes its sessions and tokens in
        the same transaction: enabling it again brings none of them back."""
        async with self._transaction(f"disabling the account {user_id!r}") as db:
            changed = await db.execute(
                "UPDATE users SET disabled = ? WHERE id = ?", (1 if disabled else 0, user_id)
            )
            if disabled:
                await db.execute("DELETE FROM credentials WHERE user_id = ?", (user_id,))
        return changed == 1

    # -- credentials --------------------------------------------------------------------

    @serialized
    async def add_credential(self, token_hash: str, credential: Credential) -> None:
        await self._db.execute(
            "INSERT INTO credentials (token_hash, kind, role, family_id, name, created_at,"
            " expires_at, user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                token_hash,
                credential.kind.value,
                credential.role,
                credential.family_id,
                credential.name,
                to_epoch_ms(credential.created_at),
                to_epoch_ms_or_none(credential.expires_at),
                credential.user_id,
            ),
        )

    @serialized
    async def find_credential(
        self, kind: CredentialKind, token_hash: str, now: datetime
    ) -> Credential | None:
        rows = await self._query(
            "SELECT kind, role, family_id, name, created_at, expires_at, user_id FROM credentials "
            "WHERE token_hash = ? AND kind = ? AND used_at IS NULL AND expires_at > ?",
            [token_hash, kind.value, to_epoch_ms(now)],
        )
        return _credential(rows[0]) if rows else None

    @serialized
    async def redeem_signin(
        self, token_hash: str, now: datetime
    ) -> tuple[Redeemed, Credential | None]:
        return await self._redeem(CredentialKind.SIGNIN, token_hash, now)

    @serialized
    async def redeem_once(
        self, kind: CredentialKind, token_hash: str, now: datetime
    ) -> tuple[Redeemed, Credential | None]:
        return await self._redeem(kind, token_hash, now)

    async def _redeem(
        self, kind: CredentialKind, token_hash: str, now: datetime
    ) -> tuple[Redeemed, Credential | None]:
        at = to_epoch_ms(now)
        # One UPDATE decides: of two simultaneous clicks, exactly one sees a row.
        rows = await self._query(
            "UPDATE credentials SET used_at = ? WHERE token_hash = ? AND kind = ? "
            "AND used_at IS NULL AND expires_at > ? "
            "RETURNING kind, role, family_id, name, created_at, expires_at, user_id",
            [at, token_hash, kind.value, at],
        )
        if rows:
            return Redeemed.OK, _credential(rows[0])
        rows = await self._query(
            "SELECT used_at FROM credentials WHERE token_hash = ? AND kind = ?",
            [token_hash, kind.value],
        )
        if not rows:
            return Redeemed.UNKNOWN, None
        return (Redeemed.USED if rows[0][0] is not None else Redeemed.EXPIRED), None

    @serialized
    async def delete_credential(self, kind: CredentialKind, token_hash: str) -> bool:
        deleted = await self._db.execute(
            "DELETE FROM credentials WHERE token_hash = ? AND kind = ?",
            (token_hash, kind.value),
        )
        return deleted > 0

    @serialized
    async def credentials(self, kinds: Sequence[CredentialKind]) -> list[tuple[str, Credential]]:
        values = [k.value for k in kinds]
        rows = await self._query(
            "SELECT kind, role, family_id, name, created_at, expires_at, user_id, token_hash "
            f"FROM credentials WHERE kind IN ({marks(values)}) AND used_at IS NULL "
            "ORDER BY created_at, token_hash",
            values,
        )
        return [(str(row[7]), _credential(row)) for row in rows]

    @serialized
    async def delete_credentials(
        self,
        kinds: Sequence[CredentialKind],
        *,
        family_id: str | None = None,
        user_id: str | None = None,
    ) -> int:
        if (family_id is None) == (user_id is None):
            raise ValueError("revoke the credentials of a family or of an account")
        column, value = ("family_id", family_id) if family_id is not None else ("user_id", user_id)
        values = [k.value for k in kinds]
        return await self._db.execute(
            f"DELETE FROM credentials WHERE {column} = ? AND kind IN ({marks(values)}) "
            "AND used_at IS NULL",
            [value, *values],
        )

    # -- sign-in failures (signin_guard.py) ---------------------------------------------

    @serialized
    async def signin_attempts(self, key: str) -> Attempts | None:
        rows = await self._query(
            "SELECT failures, last_at FROM signin_attempts WHERE key = ?", [key]
        )
        return Attempts(int(rows[0][0]), from_epoch_ms(rows[0][1])) if rows else None

    @serialized
    async def swap_signin_attempts(
        self, key: str, seen: Attempts | None, new: Attempts | None
    ) -> bool:
        # One statement each way, so two hub workers (or two requests) racing on a key
        # cannot both win: the loser sees no row changed and reads again.
        if seen is None and new is None:
            return True
        if seen is None:
            assert new is not None
            sql = (
                "INSERT INTO signin_attempts (key, failures, last_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO NOTHING"
            )
            params: list[Any] = [key, new.failures, to_epoch_ms(new.last_at)]
        elif new is None:
            sql = "DELETE FROM signin_attempts WHERE key = ? AND failures = ? AND last_at = ?"
            params = [key, seen.failures, to_epoch_ms(seen.last_at)]
        else:
            sql = (
                "UPDATE signin_attempts SET failures = ?, last_at = ? "
                "WHERE key = ? AND failures = ? AND last_at = ?"
            )
            params = [
                new.failures,
                to_epoch_ms(new.last_at),
                key,
                seen.failures,
                to_epoch_ms(seen.last_at),
            ]
        return await self._db.execute(sql, params) == 1

    @serialized
    async def clear_signin_attempts(self, key: str) -> None:
        await self._db.execute("DELETE FROM signin_attempts WHERE key = ?", [key])

    @serialized
    async def purge_signin_attempts(self, before: datetime) -> int:
        return await self._db.execute(
            "DELETE FROM signin_attempts WHERE last_at < ?", [to_epoch_ms(before)]
        )
