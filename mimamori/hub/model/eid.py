"""Eddystone-EID tags as the hub keeps them (sealed keys, what is known of clocks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# A tag with rotating ids is named in the registry, and stored, by a stable id of the
# hub's own choosing (hub/config.py checks the register against the same pattern).
EID_TAG_PATTERN = r"^eid:[a-z0-9][a-z0-9._-]{0,62}$"


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
