"""The port of people's photos (``sql_photos`` implements it on both engines)."""

from __future__ import annotations

from typing import Protocol

from mimamori.hub.model.photos import Photo


class PhotoStore(Protocol):
    async def put_photo(self, photo: Photo) -> None: ...

    async def photo(self, photo_id: str) -> Photo | None: ...

    async def person_photos(self, person_id: str) -> list[Photo]:
        """Every photo kept of a person, oldest first (for an export)."""
        ...

    async def drop_photos(self, person_id: str, *, keep: str | None = None) -> int:
        """Delete the person's photos but ``keep``; how many went."""
        ...

    async def drop_photo(self, photo_id: str) -> None: ...
