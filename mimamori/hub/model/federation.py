"""Peer hubs, the gateways they lend to a search, and searches started elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

ForeignState = Literal["active", "ended"]


@dataclass(frozen=True)
class ForeignSearch:
    """A search of another town, relayed to our gateways. ``id`` is ``origin.remote_id``,
    the id our gateways see."""

    id: str
    origin: str
    remote_id: str
    tags: tuple[str, ...]
    started_at: datetime
    until: datetime
    state: ForeignState
    relayed_rowid: int = 0  # our events up to this one were sent back


@dataclass(frozen=True)
class PeerGateway:
    """A neighbouring town's watch point that a relayed sighting came from."""

    id: str  # ``peer.gateway``
    peer: str
    name: str
    lat: float | None
    lon: float | None
