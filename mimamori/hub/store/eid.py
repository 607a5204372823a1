"""What the store keeps about tags with rotating ids (types and the port; SQLite
implements it in ``sqlite_eid``). The identity key is kept sealed (hub/eid/keys.py):
the store never sees it in the clear."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class EidTagRecord:
    tag_id: str  # the registry's stable id, eid:NAME
    sealed_key: bytes  # AES-GCM of the identity key under the hub's key-encryption key
    exponent: int  # a new id every 2**exponent seconds
    # What the hub knows of the tag's clock: its counter minus Unix time lies in
    # [offset_lo, offset_hi] (learned from sightings; equal when just registered).
    offset_lo: int
    offset_hi: int
    created_at: datetime
    updated_at: datetime


class EidStore(Protocol):
    async def put_eid_tag(self, record: EidTagRecord, *, replace: bool) -> None:
        """Store a tag's key; StoreError if it has one already and ``replace`` is False."""
        ...

    async def eid_tags(self) -> list[EidTagRecord]: ...

    async def save_eid_clocks(self, clocks: Sequence[tuple[str, int, int]], now: datetime) -> None:
        """Remember what was learned of tags' clocks: ``(tag_id, offset_lo, offset_hi)``."""
        ...
