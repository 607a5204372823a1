"""Searches, their participants and share links (mixed into the store, on either engine)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mimamori.errors import StoreConflict
from mimamori.hub.model.searches import Participant, Search, SearchState, Share
from mimamori.hub.store.sql import Db, marks
from mimamori.hub.store.sql_base import SqlBase
from mimamori.locking import serialized
from mimamori.protocol.timefmt import from_epoch_ms, from_epoch_ms_or_none, to_epoch_ms

SEARCH_COLUMNS = (
    "id, person_id, state, started_by, started_at, expires_at, ended_at, ended_by, note"
)
_SHARE = "id, search_id, label, created_by, created_at, expires_at, revoked_at, revoked_by, views"


def search_of(row: Sequence[Any]) -> Search:
    sid, person, state, by, started, expires, ended, ended_by, note = row
    return Search(
        sid,
        person,
        state,
        by,
        from_epoch_ms(started),
        from_epoch_ms(expires),
        from_epoch_ms_or_none(ended),
        ended_by,
        note,
    )


def _share(row: Sequence[Any]) -> Share:
    sid, search_id, label, by, created, expires, revoked, revoked_by, views = row
    return Share(
        sid,
        search_id,
        label,
        by,
        from_epoch_ms(created),
        from_epoch_ms(expires),
        from_epoch_ms_or_none(revoked),
        revoked_by,
        views,
    )


class SqlSearches(SqlBase):
    async def _one_search(self, search_id: str) -> Search | None:
        rows = await self._query(f"SELECT {SEARCH_COLUMNS} FROM searches WHERE id = ?", [search_id])
        return search_of(rows[0]) if rows else None

    @serialized
    async def add_search(self, search: Search, starter: Participant) -> None:
        try:
            async with self._transaction("starting a search") as db:
                await db.execute(
                    "INSERT INTO searches (id, person_id, state, started_by, started_at, "
                    "expires_at) VALUES (?, ?, 'active', ?, ?, ?)",
                    (
                        search.id,
                        search.person_id,
                        search.started_by,
                        to_epoch_ms(search.started_at),
                        to_epoch_ms(search.expires_at),
                    ),
                )
                await self._insert_participant(db, search.id, starter)
        except StoreConflict as exc:
            raise StoreConflict(f"{search.person_id} is already being searched for") from exc

    @staticmethod
    async def _insert_participant(db: Db, search_id: str, p: Participant) -> None:
        await db.execute(
            "INSERT INTO search_participants (search_id, who, role, family_id, user_id, "
            "joined_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (search_id, p.who, p.role, p.family_id, p.user_id, to_epoch_ms(p.joined_at)),
        )

    @serialized
    async def search(self, search_id: str) -> Search | None:
        return await self._one_search(search_id)

    @serialized
    async def searches(
        self, person_ids: Sequence[str] | None, active_only: bool, limit: int = 200
    ) -> list[Search]:
        where: list[str] = ["1 = 1"]
        params: list[Any] = []
        if person_ids is not None:
            if not person_ids:
                return []
            where.append(f"person_id IN ({marks(person_ids)})")
            params.extend(person_ids)
        if active_only:
            where.append("state = 'active'")
        rows = await self._query(
            f"SELECT {SEARCH_COLUMNS} FROM searches WHERE {' AND '.join(where)} "
            "ORDER BY started_at DESC LIMIT ?",
            [*params, limit],
        )
        return [search_of(r) for r in rows]

    @serialized
    async def end_search(
        self, search_id: str, state: SearchState, by: str, note: str, now: datetime
    ) -> Search | None:
        async with self._transaction("ending a search") as db:
            if not await db.execute(
                "UPDATE searches SET state = ?, ended_at = ?, ended_by = ?, note = ? "
                "WHERE id = ? AND state = 'active'",
                (state, to_epoch_ms(now), by, note or None, search_id),
            ):
                return None
        return await self._one_search(search_id)

    @serialized
    async def expire_searches(self, now: datetime) -> list[Search]:
        # One statement: of two hub workers, each search is expired by one.
        rows = await self._query(
            "UPDATE searches SET state = 'expired', ended_at = expires_at, ended_by = 'hub' "
            "WHERE state = 'active' AND expires_at <= ? RETURNING id",
            [to_epoch_ms(now)],
        )
        ids = [row[0] for row in rows]
        return [s for sid in ids if (s := await self._one_search(sid)) is not None]

    @serialized
    async def unpublished_searches(self) -> list[Search]:
        rows = await self._query(
            f"SELECT {SEARCH_COLUMNS} FROM searches WHERE published IS DISTINCT FROM state "
            "ORDER BY started_at",
            [],
        )
        return [search_of(r) for r in rows]

    @serialized
    async def mark_published(self, search_id: str, state: SearchState) -> None:
        async with self._transaction("marking a search published") as db:
            await db.execute("UPDATE searches SET published = ? WHERE id = ?", (state, search_id))

    @serialized
    async def join_search(self, search_id: str, participant: Participant) -> None:
        async with self._transaction("joining a search") as db:
            await self._insert_participant(db, search_id, participant)

    @serialized
    async def participants(self, search_id: str) -> list[Participant]:
        rows = await self._query(
            "SELECT who, role, family_id, user_id, joined_at FROM search_participants "
            "WHERE search_id = ? ORDER BY joined_at, who",
            [search_id],
        )
        return [Participant(w, r, f, u, from_epoch_ms(at)) for w, r, f, u, at in rows]

    @serialized
    async def add_share(
        self,
        search_id: str,
        token_hash: str,
        *,
        label: str,
        created_by: str,
        now: datetime,
        expires_at: datetime,
    ) -> Share:
        async with self._transaction("sharing a search") as db:
            rows = await db.fetch(
                "INSERT INTO search_shares (search_id, token_hash, label, created_by, "
                "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    search_id,
                    token_hash,
                    label,
                    created_by,
                    to_epoch_ms(now),
                    to_epoch_ms(expires_at),
                ),
            )
            share_id = rows[0][0]
        rows = await self._query(f"SELECT {_SHARE} FROM search_shares WHERE id = ?", [share_id])
        return _share(rows[0])

    @serialized
    async def shares(self, search_id: str) -> list[Share]:
        rows = await self._query(
            f"SELECT {_SHARE} FROM search_shares WHERE search_id = ? ORDER BY id", [search_id]
        )
        return [_share(r) for r in rows]

    @serialized
    async def share_view(
        self, token_hash: str, now: datetime, *, count: bool = True
    ) -> tuple[Share, Search] | None:
        if count:
            async with self._transaction("counting a share view") as db:
                await db.execute(
                    "UPDATE search_shares SET views = views + 1 WHERE token_hash = ? "
                    "AND revoked_at IS NULL AND expires_at > ?",
                    (token_hash, to_epoch_ms(now)),
                )
        rows = await self._query(
            f"SELECT {_SHARE} FROM search_shares WHERE token_hash = ?", [token_hash]
        )
        if not rows:
            return None
        share = _share(rows[0])
        search = await self._one_search(share.search_id)
        return (share, search) if search else None

    @serialized
    async def revoke_share(
        self, search_id: str, share_id: int, by: str, now: datetime
    ) -> Share | None:
        async with self._transaction("revoking a share") as db:
            await db.execute(
                "UPDATE search_shares SET revoked_at = ?, revoked_by = ? "
                "WHERE id = ? AND search_id = ? AND revoked_at IS NULL",
                (to_epoch_ms(now), by, share_id, search_id),
            )
        rows = await self._query(
            f"SELECT {_SHARE} FROM search_shares WHERE id = ? AND search_id = ?",
            [share_id, search_id],
        )
        return _share(rows[0]) if rows else None
