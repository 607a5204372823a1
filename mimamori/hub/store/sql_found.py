"""Found-person stickers and threads (issue 18), mixed into the store on either
engine. A sheet's token is kept as its hash; one sheet per person is valid (issuing
revokes the others in the same transaction); one thread per sheet is open at a time
(a partial unique index: two finders' taps at once open one thread)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from mimamori.errors import StoreError
from mimamori.hub.model.found import FoundMessage, FoundReport, Side, Sticker
from mimamori.hub.store.sql import Db, marks
from mimamori.hub.store.sql_base import SqlBase
from mimamori.locking import serialized
from mimamori.protocol.timefmt import from_epoch_ms, to_epoch_ms

_STICKER = "id, person_id, issued_at, issued_by, revoked_at, scans"
_REPORT = "id, sticker_id, person_id, opened_at, lat, lon, state, safe_at, phone"


def _ms(value: Any) -> datetime | None:
    return None if value is None else from_epoch_ms(value)


def _sticker(row: tuple[Any, ...]) -> Sticker:
    sid, person, issued, by, revoked, scans = row
    return Sticker(int(sid), person, from_epoch_ms(issued), by, _ms(revoked), int(scans))


def _report(row: tuple[Any, ...]) -> FoundReport:
    rid, sticker, person, opened, lat, lon, state, safe, phone = row
    return FoundReport(
        int(rid), int(sticker), person, from_epoch_ms(opened), lat, lon, state, _ms(safe), phone
    )


def _message(row: tuple[Any, ...]) -> FoundMessage:
    mid, report, at, side, body = row
    return FoundMessage(int(mid), int(report), from_epoch_ms(at), side, body)


class SqlFound(SqlBase):
    @serialized
    async def issue_sticker(
        self, person_id: str, token_hash: str, by: str, at: datetime
    ) -> Sticker:
        at_ms = to_epoch_ms(at)
        async with self._transaction("issuing found stickers") as db:
            await db.execute(
                "UPDATE found_stickers SET revoked_at = ? "
                "WHERE person_id = ? AND revoked_at IS NULL",
                [at_ms, person_id],
            )
            rows = await db.fetch(
                "INSERT INTO found_stickers (person_id, token_hash, issued_at, issued_by) "
                f"VALUES (?, ?, ?, ?) RETURNING {_STICKER}",
                [person_id, token_hash, at_ms, by],
            )
        return _sticker(rows[0])

    @serialized
    async def revoke_stickers(self, person_id: str, at: datetime) -> int:
        async with self._transaction("revoking found stickers") as db:
            return await db.execute(
                "UPDATE found_stickers SET revoked_at = ? "
                "WHERE person_id = ? AND revoked_at IS NULL",
                [to_epoch_ms(at), person_id],
            )

    @serialized
    async def stickers_of(self, person_id: str) -> list[Sticker]:
        rows = await self._query(
            f"SELECT {_STICKER} FROM found_stickers WHERE person_id = ? ORDER BY id DESC",
            [person_id],
        )
        return [_sticker(r) for r in rows]

    @serialized
    async def scan_sticker(self, token_hash: str, at: datetime) -> Sticker | None:
        async with self._transaction("counting a sticker's scan") as db:
            rows = await db.fetch(
                "UPDATE found_stickers SET scans = scans + 1 WHERE token_hash = ? "
                f"RETURNING {_STICKER}",
                [token_hash],
            )
            if not rows:
                return None
            sticker = _sticker(rows[0])
            await db.execute(
                "INSERT INTO found_scans (sticker_id, at) VALUES (?, ?)",
                [sticker.id, to_epoch_ms(at)],
            )
        return sticker

    @serialized
    async def sticker_of(self, token_hash: str) -> Sticker | None:
        rows = await self._query(
            f"SELECT {_STICKER} FROM found_stickers WHERE token_hash = ?", [token_hash]
        )
        return _sticker(rows[0]) if rows else None

    @serialized
    async def open_found(
        self, sticker: Sticker, lat: float | None, lon: float | None, message: str, at: datetime
    ) -> tuple[FoundReport, bool]:
        try:
            return await self._open_found(sticker, lat, lon, message, at)
        except StoreError:  # another tap opened the sheet's thread first: join it
            return await self._open_found(sticker, lat, lon, message, at)

    async def _open_found(
        self, sticker: Sticker, lat: float | None, lon: float | None, message: str, at: datetime
    ) -> tuple[FoundReport, bool]:
        at_ms = to_epoch_ms(at)
        async with self._transaction("opening a found thread") as db:
            found = await db.fetch(
                f"SELECT {_REPORT} FROM found_reports WHERE sticker_id = ? AND state = 'open'",
                [sticker.id],
            )
            opened = not found
            if opened:
                found = await db.fetch(
                    "INSERT INTO found_reports (sticker_id, person_id, opened_at, lat, lon, "
                    f"state) VALUES (?, ?, ?, ?, ?, 'open') RETURNING {_REPORT}",
                    [sticker.id, sticker.person_id, at_ms, lat, lon],
                )
            elif lat is not None and lon is not None:  # a later position replaces it
                found = await db.fetch(
                    f"UPDATE found_reports SET lat = ?, lon = ? WHERE id = ? RETURNING {_REPORT}",
                    [lat, lon, found[0][0]],
                )
            report = _report(found[0])
            if message:
                await _add(db, report.id, "finder", message, at_ms)
        return report, opened

    @serialized
    async def found_report(self, report_id: int) -> FoundReport | None:
        rows = await self._query(f"SELECT {_REPORT} FROM found_reports WHERE id = ?", [report_id])
        return _report(rows[0]) if rows else None

    @serialized
    async def open_found_of(self, sticker_id: int) -> FoundReport | None:
        rows = await self._query(
            f"SELECT {_REPORT} FROM found_reports WHERE sticker_id = ? AND state = 'open'",
            [sticker_id],
        )
        return _report(rows[0]) if rows else None

    @serialized
    async def found_reports_of(self, person_id: str, limit: int) -> list[FoundReport]:
        rows = await self._query(
            f"SELECT {_REPORT} FROM found_reports WHERE person_id = ? "
            "ORDER BY opened_at DESC, id DESC LIMIT ?",
            [person_id, limit],
        )
        return [_report(r) for r in rows]

    @serialized
    async def add_found_message(
        self, report_id: int, side: Side, body: str, at: datetime
    ) -> FoundMessage | None:
        async with self._transaction("adding to a found thread") as db:
            # The report's row first (PostgreSQL: FOR UPDATE), so a message never lands
            # in a thread that is being closed.
            state = await db.fetch(
                f"SELECT state FROM found_reports WHERE id = ?{self._dialect.for_update}",
                [report_id],
            )
            if not state or state[0][0] != "open":
                return None
            return await _add(db, report_id, side, body, to_epoch_ms(at))

    @serialized
    async def found_messages(self, report_id: int, after: int, limit: int) -> list[FoundMessage]:
        rows = await self._query(
            "SELECT id, report_id, at, side, body FROM found_messages "
            "WHERE report_id = ? AND id > ? ORDER BY id LIMIT ?",
            [report_id, after, limit],
        )
        return [_message(r) for r in rows]

    @serialized
    async def reveal_found_phone(self, report_id: int, phone: str | None) -> bool:
        async with self._transaction("showing a number in a found thread") as db:
            return (
                await db.execute(
                    "UPDATE found_reports SET phone = ? WHERE id = ? AND state = 'open'",
                    [phone, report_id],
                )
                == 1
            )

    @serialized
    async def mark_found_safe(self, report_id: int, at: datetime) -> FoundReport | None:
        async with self._transaction("marking a found person safe") as db:
            await db.execute(
                "UPDATE found_reports SET state = 'safe', safe_at = ?, phone = NULL "
                "WHERE id = ? AND state = 'open'",
                [to_epoch_ms(at), report_id],
            )
            rows = await db.fetch(f"SELECT {_REPORT} FROM found_reports WHERE id = ?", [report_id])
        return _report(rows[0]) if rows else None

    @serialized
    async def forget_found_messages(self, safe_before: datetime) -> int:
        before = to_epoch_ms(safe_before)
        async with self._transaction("forgetting found threads") as db:
            gone = await db.execute(
                "DELETE FROM found_messages WHERE report_id IN (SELECT id FROM found_reports "
                "WHERE state = 'safe' AND safe_at < ?)",
                [before],
            )
            await db.execute(
                "UPDATE found_reports SET lat = NULL, lon = NULL "
                "WHERE state = 'safe' AND safe_at < ? AND lat IS NOT NULL",
                [before],
            )
        return gone


async def _add(db: Db, report_id: int, side: Side, body: str, at_ms: int) -> FoundMessage:
    rows = await db.fetch(
        "INSERT INTO found_messages (report_id, at, side, body) VALUES (?, ?, ?, ?) "
        "RETURNING id, report_id, at, side, body",
        [report_id, at_ms, side, body],
    )
    return _message(rows[0])


async def forget_found(db: Db, person_id: str, removed: Counter[str]) -> None:
    """A forgotten person's sheets, scans, threads, the finders' places on a search's
    trail and the notices that named them (``sql_privacy.forget_person``'s step)."""
    rows = await db.fetch("SELECT id FROM found_reports WHERE person_id = ?", [person_id])
    reports = [int(r[0]) for r in rows]
    if reports:
        keys = [f"found-{r}-" for r in reports]
        notes = " OR ".join(["substr(dedupe_key, 1, ?) = ?"] * len(keys))
        params = [x for k in keys for x in (len(k), k)]
        removed["deliveries"] += await db.execute(
            "DELETE FROM deliveries WHERE notification_id IN "
            f"(SELECT id FROM notifications WHERE {notes})",
            params,
        )
        removed["notifications"] += await db.execute(
            f"DELETE FROM notifications WHERE {notes}", params
        )
        places = [f"found-{r}" for r in reports]
        removed["found_places"] += await db.execute(
            f"DELETE FROM peer_gateways WHERE id IN ({marks(places)})", places
        )
        removed["found_messages"] += await db.execute(
            f"DELETE FROM found_messages WHERE report_id IN ({marks(reports)})", reports
        )
    removed["found_reports"] += await db.execute(
        "DELETE FROM found_reports WHERE person_id = ?", [person_id]
    )
    removed["found_scans"] += await db.execute(
        "DELETE FROM found_scans WHERE sticker_id IN "
        "(SELECT id FROM found_stickers WHERE person_id = ?)",
        [person_id],
    )
    removed["found_stickers"] += await db.execute(
        "DELETE FROM found_stickers WHERE person_id = ?", [person_id]
    )
