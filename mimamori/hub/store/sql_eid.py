"""Tags with rotating ids (mixed into the store, on either engine): sealed keys and clocks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from mimamori.errors import StoreConflict, StoreError
from mimamori.hub.model.eid import EidTagRecord
from mimamori.hub.store.sql_base import SqlBase
from mimamori.locking import serialized
from mimamori.protocol.timefmt import from_epoch_ms, to_epoch_ms

_COLUMNS = "tag_id, sealed_key, exponent, offset_lo, offset_hi, created_at, updated_at"


class SqlEid(SqlBase):
    @serialized
    async def put_eid_tag(self, record: EidTagRecord, *, replace: bool) -> None:
        conflict = (
            "ON CONFLICT (tag_id) DO UPDATE SET sealed_key = excluded.sealed_key, "
            "exponent = excluded.exponent, offset_lo = excluded.offset_lo, "
            "offset_hi = excluded.offset_hi, updated_at = excluded.updated_at"
            if replace
            else ""
        )
        try:
            await self._db.execute(
                f"INSERT INTO eid_tags ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) {conflict}",
                (
                    record.tag_id,
                    record.sealed_key,
                    record.exponent,
                    record.offset_lo,
                    record.offset_hi,
                    to_epoch_ms(record.created_at),
                    to_epoch_ms(record.updated_at),
                ),
            )
        except StoreConflict as exc:
            raise StoreConflict(f"{record.tag_id} has a key already") from exc
        except StoreError as exc:
            raise StoreError(f"cannot store the key of {record.tag_id}: {exc}") from exc

    @serialized
    async def eid_tags(self) -> list[EidTagRecord]:
        rows = await self._query(f"SELECT {_COLUMNS} FROM eid_tags ORDER BY tag_id", [])
        return [
            EidTagRecord(
                tag, bytes(sealed), k, lo, hi, from_epoch_ms(created), from_epoch_ms(updated)
            )
            for tag, sealed, k, lo, hi, created, updated in rows
        ]

    @serialized
    async def save_eid_clocks(self, clocks: Sequence[tuple[str, int, int]], now: datetime) -> None:
        if not clocks:
            return
        at = to_epoch_ms(now)
        async with self._transaction("saving tag clocks") as db:
            await db.executemany(
                "UPDATE eid_tags SET offset_lo = ?, offset_hi = ?, updated_at = ? WHERE tag_id = ?",
                [(lo, hi, at, tag) for tag, lo, hi in clocks],
            )
