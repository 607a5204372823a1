"""The SOS network (issue 18, part 2), mixed into the store on either engine: partner
links' opt-in, the family's consent per search, one bulletin per search and link
(its primary key: a second announce of the same search sends nothing twice), and
the 「見かけた」 taps. A bulletin and its notice are written in one transaction, as
are a withdrawal and its notice, so a crash between them neither loses nor repeats."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mimamori.hub.model.alerts import NotificationDraft
from mimamori.hub.model.sos import Bulletin, BulletinLink, ShareConsent
from mimamori.hub.store.sql import Db, marks
from mimamori.hub.store.sql_alerts import queue_drafts
from mimamori.hub.store.sql_base import SqlBase
from mimamori.locking import serialized
from mimamori.protocol.timefmt import from_epoch_ms, from_epoch_ms_or_none, to_epoch_ms

_CONSENT = "search_id, agreed_by, recorded_by, role, at, shown_as, clothing"
_BULLETIN = "search_id, link_id, partner_id, sent_at, views, seen, withdrawn_at"


def _consent(row: Sequence[Any]) -> ShareConsent:
    sid, agreed, recorded, role, at, shown, clothing = row
    return ShareConsent(sid, agreed, recorded, role, from_epoch_ms(at), shown, clothing)


def _bulletin(row: Sequence[Any]) -> Bulletin:
    sid, lid, pid, sent, views, seen, withdrawn = row
    return Bulletin(
        sid, int(lid), pid, from_epoch_ms(sent), int(views), int(seen),
        from_epoch_ms_or_none(withdrawn),
    )  # fmt: skip


async def forget_bulletin_places(db: Db, search_ids: Sequence[str], removed: Counter[str]) -> None:
    """The places partners' 「見かけた」 put on a forgotten person's searches' trails
    (``sql_privacy.forget_person``'s step, before the taps themselves go)."""
    if not search_ids:
        return
    rows = await db.fetch(
        f"SELECT id FROM bulletin_sightings WHERE search_id IN ({marks(search_ids)})",
        search_ids,
    )
    places = [f"bulletin-{int(r[0])}" for r in rows]
    if places:
        removed["bulletin_places"] += await db.execute(
            f"DELETE FROM peer_gateways WHERE id IN ({marks(places)})", places
        )


class SqlSos(SqlBase):
    @serialized
    async def set_link_bulletins(self, partner_id: str, link_id: int, on: bool) -> bool:
        changed = await self._db.execute(
            "UPDATE partner_links SET bulletins = ? "
            "WHERE id = ? AND partner_id = ? AND revoked_at IS NULL",
            [1 if on else 0, link_id, partner_id],
        )
        return changed == 1

    @serialized
    async def bulletin_links(self) -> list[BulletinLink]:
        rows = await self._query(
            "SELECT l.id, p.id, p.name, p.areas, l.lang FROM partner_links l "
            "JOIN partners p ON p.id = l.partner_id "
            "WHERE l.bulletins = 1 AND l.revoked_at IS NULL AND l.channel IS NOT NULL "
            "ORDER BY l.id",
            [],
        )
        return [
            BulletinLink(int(lid), pid, name, tuple(json.loads(areas)), lang)
            for lid, pid, name, areas, lang in rows
        ]

    @serialized
    async def record_consent(self, consent: ShareConsent) -> bool:
        c = consent
        async with self._transaction("recording a consent to share") as db:
            rows = await db.fetch(
                f"INSERT INTO search_consents ({_CONSENT}) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (search_id) DO NOTHING RETURNING search_id",
                [c.search_id, c.agreed_by, c.recorded_by, c.role, to_epoch_ms(c.at),
                 c.shown_as, c.clothing],
            )  # fmt: skip
        return bool(rows)

    @serialized
    async def consent_of(self, search_id: str) -> ShareConsent | None:
        rows = await self._query(
            f"SELECT {_CONSENT} FROM search_consents WHERE search_id = ?", [search_id]
        )
        return _consent(rows[0]) if rows else None

    @serialized
    async def searches_to_announce(self) -> list[str]:
        rows = await self._query(
            "SELECT s.id FROM searches s JOIN search_consents c ON c.search_id = s.id "
            "WHERE s.state = 'active' ORDER BY s.started_at",
            [],
        )
        return [str(r[0]) for r in rows]

    @serialized
    async def send_bulletins(
        self,
        search_id: str,
        links: Sequence[tuple[int, str]],
        drafts: Sequence[NotificationDraft],
        at: datetime,
    ) -> int:
        at_ms = to_epoch_ms(at)
        new = 0
        async with self._transaction("sending bulletins") as db:
            for link_id, partner_id in links:
                rows = await db.fetch(
                    "INSERT INTO search_bulletins (search_id, link_id, partner_id, sent_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (search_id, link_id) DO NOTHING "
                    "RETURNING link_id",
                    [search_id, link_id, partner_id, at_ms],
                )
                new += len(rows)
            await queue_drafts(db, drafts, at_ms)
        return new

    @serialized
    async def bulletin(self, search_id: str, link_id: int) -> Bulletin | None:
        rows = await self._query(
            f"SELECT {_BULLETIN} FROM search_bulletins WHERE search_id = ? AND link_id = ?",
            [search_id, link_id],
        )
        return _bulletin(rows[0]) if rows else None

    @serialized
    async def bulletins_of(self, search_id: str) -> list[Bulletin]:
        rows = await self._query(
            f"SELECT {_BULLETIN} FROM search_bulletins WHERE search_id = ? ORDER BY link_id",
            [search_id],
        )
        return [_bulletin(r) for r in rows]

    @serialized
    async def count_bulletin_view(self, search_id: str, link_id: int) -> None:
        await self._db.execute(
            "UPDATE search_bulletins SET views = views + 1 WHERE search_id = ? AND link_id = ?",
            [search_id, link_id],
        )

    @serialized
    async def bulletins_to_withdraw(self) -> list[Bulletin]:
        columns = ", ".join(f"b.{c.strip()}" for c in _BULLETIN.split(","))
        rows = await self._query(
            f"SELECT {columns} FROM search_bulletins b JOIN searches s ON s.id = b.search_id "
            "WHERE b.withdrawn_at IS NULL AND s.state <> 'active' ORDER BY b.search_id, b.link_id",
            [],
        )
        return [_bulletin(r) for r in rows]

    @serialized
    async def withdraw_bulletins(
        self, bulletins: Sequence[Bulletin], drafts: Sequence[NotificationDraft], at: datetime
    ) -> None:
        at_ms = to_epoch_ms(at)
        async with self._transaction("withdrawing bulletins") as db:
            await db.executemany(
                "UPDATE search_bulletins SET withdrawn_at = ? "
                "WHERE search_id = ? AND link_id = ? AND withdrawn_at IS NULL",
                [(at_ms, b.search_id, b.link_id) for b in bulletins],
            )
            await queue_drafts(db, drafts, at_ms)

    @serialized
    async def add_bulletin_sighting(
        self,
        search_id: str,
        link_id: int,
        at: datetime,
        *,
        lat: float | None,
        lon: float | None,
        note: str,
    ) -> int:
        async with self._transaction("recording a bulletin's sighting") as db:
            rows = await db.fetch(
                "INSERT INTO bulletin_sightings (search_id, link_id, at, lat, lon, note) "
                "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                [search_id, link_id, to_epoch_ms(at), lat, lon, note],
            )
            await db.execute(
                "UPDATE search_bulletins SET seen = seen + 1 WHERE search_id = ? AND link_id = ?",
                [search_id, link_id],
            )
        return int(rows[0][0])

    @serialized
    async def forget_bulletin_details(self, ended_before: datetime) -> int:
        """What partners said and where (「見かけた」's notes and positions) and today's
        clothing, for searches that ended before ``ended_before``; how many taps. Who
        agreed, when, and the counts stay (the record of the consent and the figures)."""
        before = to_epoch_ms(ended_before)
        ended = "SELECT id FROM searches WHERE state <> 'active' AND ended_at < ?"
        async with self._transaction("forgetting bulletins' details") as db:
            gone = await db.execute(
                f"DELETE FROM bulletin_sightings WHERE search_id IN ({ended})", [before]
            )
            await db.execute(
                f"UPDATE search_consents SET clothing = '' WHERE clothing <> '' "
                f"AND search_id IN ({ended})",
                [before],
            )
        return gone
