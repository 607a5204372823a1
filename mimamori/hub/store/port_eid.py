"""The port of tags with rotating ids (``sql_eid`` implements it on both engines).
The identity key is kept sealed (hub/eid/keys.py): the store never sees it in the
clear."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from mimamori.hub.model.eid import EidTagRecord


class EidStore(Protocol):
    async def put_eid_tag(self, record: EidTagRecord, *, replace: bool) -> None:
        """Store a tag's key; StoreError if it has one already and ``replace`` is False."""
        ...

    async def eid_tags(self) -> list[EidTagRecord]: ...

    async def save_eid_clocks(self, clocks: Sequence[tuple[str, int, int]], now: datetime) -> None:
        """Remember what was learned of tags' clocks: ``(tag_id, offset_lo, offset_hi)``."""
        ...
