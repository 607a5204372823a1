"""Searches across town borders (mixed into the store, on either engine)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from mimamori.hub.model.events import StoredEvent
from mimamori.hub.model.federation import ForeignSearch, PeerGateway
from mimamori.hub.model.searches import Search
from mimamori.hub.store.sql import marks
from mimamori.hub.store.sql_base import SqlBase
from mimamori.hub.store.sql_searches import SEARCH_COLUMNS, search_of
from mimamori.locking import serialized
from mimamori.protocol.events import TAG_KINDS
from mimamori.protocol.timefmt import from_epoch_ms, to_epoch_ms

_FOREIGN = "id, origin, remote_id, tags, started_at, until, state, relayed_rowid"
_TAG_KINDS = sorted(k.value for k in TAG_KINDS)


def _foreign(row: Sequence[Any]) -> ForeignSearch:
    sid, origin, remote, tags, started, until, state, rowid = row
    return ForeignSearch(
        sid, origin, remote, tuple(json.loads(tags)), from_epoch_ms(started),
        from_epoch_ms(until), state, rowid,
    )  # fmt: skip


class SqlFederation(SqlBase):
    @serialized
    async def relays_due(self, peers: Sequence[str]) -> list[tuple[Search, str]]:
        due: list[tuple[Search, str]] = []
        for peer in peers:
            rows = await self._query(
                f"SELECT {SEARCH_COLUMNS} FROM searches s LEFT JOIN search_relays r "
                "ON r.search_id = s.id AND r.peer = ? "
                "WHERE (s.state = 'active' AND r.told IS DISTINCT FROM 'active') "
                "OR (s.state != 'active' AND r.told = 'active') ORDER BY s.started_at",
                [peer],
            )
            due += [(search_of(row), peer) for row in rows]
        return due

    @serialized
    async def mark_relayed(self, search_id: str, peer: str, told: str) -> None:
        async with self._transaction("recording a relay") as db:
            await db.execute(
                "INSERT INTO search_relays (search_id, peer, told) VALUES (?, ?, ?) "
                "ON CONFLICT (search_id, peer) DO UPDATE SET told = excluded.told",
                (search_id, peer, told),
            )

    @serialized
    async def put_foreign_search(self, search: ForeignSearch, longest: timedelta) -> None:
        longest_ms = int(longest.total_seconds() * 1000)
        async with self._transaction("storing a relayed search") as db:
            await db.execute(
                f"INSERT INTO foreign_searches ({_FOREIGN}) VALUES (?, ?, ?, ?, ?, ?, ?, 0) "
                "ON CONFLICT (id) DO UPDATE SET tags = excluded.tags, "
                "until = CASE WHEN excluded.until > foreign_searches.started_at + ? "
                "THEN foreign_searches.started_at + ? ELSE excluded.until END, "
                "state = CASE WHEN foreign_searches.state = 'ended' THEN 'ended' "
                "ELSE excluded.state END",
                (
                    search.id, search.origin, search.remote_id, json.dumps(list(search.tags)),
                    to_epoch_ms(search.started_at), to_epoch_ms(search.until), search.state,
                    longest_ms, longest_ms,
                ),
            )  # fmt: skip

    @serialized
    async def foreign_searches(self, active_only: bool) -> list[ForeignSearch]:
        where = "WHERE state = 'active'" if active_only else ""
        rows = await self._query(f"SELECT {_FOREIGN} FROM foreign_searches {where}", [])
        return [_foreign(r) for r in rows]

    @serialized
    async def expire_foreign_searches(self, now: datetime) -> list[ForeignSearch]:
        rows = await self._query(
            "UPDATE foreign_searches SET state = 'ended' WHERE state = 'active' AND until <= ? "
            f"RETURNING {_FOREIGN}",
            [to_epoch_ms(now)],
        )
        return [_foreign(r) for r in rows]

    @serialized
    async def unpublished_foreign_searches(self) -> list[ForeignSearch]:
        rows = await self._query(
            f"SELECT {_FOREIGN} FROM foreign_searches WHERE published IS DISTINCT FROM state", []
        )
        return [_foreign(r) for r in rows]

    @serialized
    async def mark_foreign_published(self, search_id: str, state: str) -> None:
        async with self._transaction("marking a relayed search published") as db:
            await db.execute(
                "UPDATE foreign_searches SET published = ? WHERE id = ?", (state, search_id)
            )

    @serialized
    async def sightings_to_relay(
        self, search: ForeignSearch, limit: int
    ) -> tuple[list[StoredEvent], int]:
        tags, kinds = list(search.tags), _TAG_KINDS
        rows = await self._query(
            "SELECT seqno, id, gateway_id, seq, ts, kind, data, received_at FROM events "
            f"WHERE seqno > ? AND tag IN ({marks(tags)}) "
            f"AND kind IN ({marks(kinds)}) AND ts BETWEEN ? AND ? "
            "ORDER BY seqno LIMIT ?",
            [
                search.relayed_rowid, *tags, *kinds,
                to_epoch_ms(search.started_at), to_epoch_ms(search.until), limit,
            ],
        )  # fmt: skip
        events = [
            StoredEvent(eid, gw, seq, from_epoch_ms(ts), kind, json.loads(data), from_epoch_ms(rec))
            for _rowid, eid, gw, seq, ts, kind, data, rec in rows
        ]
        return events, (rows[-1][0] if rows else search.relayed_rowid)

    @serialized
    async def mark_foreign_relayed(self, search_id: str, rowid: int) -> None:
        async with self._transaction("recording relayed sightings") as db:
            latest = self._dialect.greatest("relayed_rowid", "?")
            await db.execute(
                f"UPDATE foreign_searches SET relayed_rowid = {latest} WHERE id = ?",
                (rowid, search_id),
            )

    @serialized
    async def add_peer_gateways(self, gateways: Sequence[PeerGateway]) -> None:
        async with self._transaction("storing peer gateways") as db:
            await db.executemany(
                "INSERT INTO peer_gateways (id, peer, name, lat, lon) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET name = excluded.name, lat = excluded.lat, "
                "lon = excluded.lon",
                [(g.id, g.peer, g.name, g.lat, g.lon) for g in gateways],
            )

    @serialized
    async def peer_gateways(self) -> list[PeerGateway]:
        rows = await self._query("SELECT id, peer, name, lat, lon FROM peer_gateways", [])
        return [PeerGateway(*row) for row in rows]

    @serialized
    async def first_use_of_nonce(
        self, peer: str, nonce: str, sent_at: datetime, forget_before: datetime
    ) -> bool:
        async with self._transaction("recording a peer's nonce") as db:
            await db.execute(
                "DELETE FROM peer_nonces WHERE sent_at < ?", (to_epoch_ms(forget_before),)
            )
            added = await db.execute(
                "INSERT INTO peer_nonces (peer, nonce, sent_at) VALUES (?, ?, ?) "
                "ON CONFLICT (peer, nonce) DO NOTHING",
                (peer, nonce, to_epoch_ms(sent_at)),
            )
        return added == 1
