"""The quarantine (``quarantine.py``) on the ``sql.Db`` port: one SQL for both engines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mimamori.hub.model.quarantine import (
    KEPT_PER_KIND,
    MAX_PAYLOAD_KEPT,
    Quarantined,
    QuarantineEntry,
)
from mimamori.hub.store.sql_base import SqlBase
from mimamori.locking import serialized
from mimamori.protocol.timefmt import from_epoch_ms, to_epoch_ms

_COLUMNS = "id, at, source, gateway_id, topic, reason, failure, detail, size, payload"


def _entry(row: tuple[Any, ...]) -> QuarantineEntry:
    entry_id, at, source, gateway_id, topic, reason, failure, detail, size, payload = row
    item = Quarantined(
        source,
        reason,
        detail,
        bool(failure),
        gateway_id,
        topic,
        None if payload is None else bytes(payload),
    )
    return QuarantineEntry(entry_id, from_epoch_ms(at), item, size)


class SqlQuarantine(SqlBase):
    @serialized
    async def quarantine(self, items: Sequence[Quarantined], at: datetime) -> None:
        if not items:
            return
        when = to_epoch_ms(at)
        async with self._transaction("keeping messages aside") as db:
            await db.executemany(
                "INSERT INTO quarantine (at, source, gateway_id, topic, reason, failure, detail,"
                " size, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        when,
                        i.source,
                        i.gateway_id,
                        None if i.topic is None else i.topic[:300],
                        i.reason[:64],
                        1 if i.failure else 0,
                        i.detail[:2000],
                        len(i.payload or b""),
                        None if i.payload is None else i.payload[:MAX_PAYLOAD_KEPT],
                    )
                    for i in items
                ],
            )
            kinds = sorted({(i.source, i.gateway_id or "", i.reason[:64]) for i in items})
            for source, gateway, reason in kinds:
                await db.execute(
                    "DELETE FROM quarantine WHERE source = ? AND coalesce(gateway_id, '') = ? "
                    "AND reason = ? AND id < (SELECT min(id) FROM (SELECT id FROM quarantine "
                    "WHERE source = ? AND coalesce(gateway_id, '') = ? AND reason = ? "
                    "ORDER BY id DESC LIMIT ?) AS newest)",
                    (source, gateway, reason, source, gateway, reason, KEPT_PER_KIND),
                )

    @serialized
    async def quarantined(
        self, limit: int, *, before_id: int | None = None, failures_only: bool = False
    ) -> list[QuarantineEntry]:
        rows = await self._query(
            f"SELECT {_COLUMNS} FROM quarantine WHERE id < ? AND failure >= ? "
            "ORDER BY id DESC LIMIT ?",
            [before_id if before_id is not None else 2**62, 1 if failures_only else 0, limit],
        )
        return [_entry(row) for row in rows]

    @serialized
    async def quarantine_entry(self, entry_id: int) -> QuarantineEntry | None:
        rows = await self._query(f"SELECT {_COLUMNS} FROM quarantine WHERE id = ?", [entry_id])
        return _entry(rows[0]) if rows else None

    @serialized
    async def quarantine_counts(self, since: datetime) -> dict[str, int]:
        rows = await self._query(
            "SELECT failure, count(*) FROM quarantine WHERE at >= ? GROUP BY failure",
            [to_epoch_ms(since)],
        )
        counts = {"rejected": 0, "failed": 0}
        for failure, count in rows:
            counts["failed" if failure else "rejected"] = int(count)
        return counts

    @serialized
    async def clear_quarantine(self, up_to_id: int) -> int:
        async with self._transaction("clearing the quarantine") as db:
            return await db.execute("DELETE FROM quarantine WHERE id <= ?", (up_to_id,))
