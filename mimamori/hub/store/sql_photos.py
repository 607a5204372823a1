"""People's photos (mixed into the store, on either engine), and the photos of
partners' reports (issue 16: owned by their case, ``case:<id>``, written with the
report: ``sql_cases``): one row per photo, the
re-encoded JPEG's bytes in the row (a few hundred KiB each: 10,000 people's photos are
a few GB, which either engine keeps well beside the rest, in its backups too)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mimamori.hub.model.photos import Photo
from mimamori.hub.store.sql import Db
from mimamori.hub.store.sql_base import SqlBase
from mimamori.locking import serialized
from mimamori.protocol.timefmt import from_epoch_ms, to_epoch_ms

_COLUMNS = "id, person_id, media_type, width, height, data, stored_at"


def _photo(row: Sequence[Any]) -> Photo:
    photo_id, person_id, media_type, width, height, data, stored_at = row
    return Photo(
        photo_id, person_id, media_type, int(width), int(height), bytes(data),
        from_epoch_ms(stored_at),
    )  # fmt: skip


async def insert_photo(db: Db, photo: Photo) -> None:
    """Store ``photo`` in the transaction ``db`` (a person's, or a report's with its case)."""
    await db.execute(
        f"INSERT INTO photos ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            photo.id, photo.person_id, photo.media_type, photo.width, photo.height,
            photo.data, to_epoch_ms(photo.stored_at),
        ],
    )  # fmt: skip


class SqlPhotos(SqlBase):
    @serialized
    async def put_photo(self, photo: Photo) -> None:
        async with self._transaction("storing a photo") as db:
            await insert_photo(db, photo)

    @serialized
    async def photo(self, photo_id: str) -> Photo | None:
        rows = await self._query(f"SELECT {_COLUMNS} FROM photos WHERE id = ?", [photo_id])
        return _photo(rows[0]) if rows else None

    @serialized
    async def person_photos(self, person_id: str) -> list[Photo]:
        rows = await self._query(
            f"SELECT {_COLUMNS} FROM photos WHERE person_id = ? ORDER BY stored_at, id",
            [person_id],
        )
        return [_photo(row) for row in rows]

    @serialized
    async def drop_photos(self, person_id: str, *, keep: str | None = None) -> int:
        async with self._transaction("dropping photos") as db:
            return await db.execute(
                "DELETE FROM photos WHERE person_id = ? AND id <> ?", [person_id, keep or ""]
            )

    @serialized
    async def drop_photo(self, photo_id: str) -> None:
        async with self._transaction("dropping a photo") as db:
            await db.execute("DELETE FROM photos WHERE id = ?", [photo_id])
