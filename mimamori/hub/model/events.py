"""Events as the hub stores them, the hub's own event kinds, gateways and households'
state as read back from the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Events the hub records itself, beside what gateways send.
GATEWAY_OFFLINE = "gateway.offline"  # data: reason = last_will | stopped | silent


GATEWAY_ONLINE = "gateway.online"


# A gateway's clock is off by more than clock.TOLERANCE (data: offset_s), or right again.
GATEWAY_CLOCK_WRONG = "gateway.clock_wrong"


GATEWAY_CLOCK_OK = "gateway.clock_ok"


DEFAULT_STATUS_INTERVAL_S = 60.0  # for gateways whose status does not say


@dataclass(frozen=True)
class StoredEvent:
    id: str
    gateway_id: str
    seq: int
    ts: datetime
    kind: str
    data: dict[str, Any]
    received_at: datetime


@dataclass(frozen=True)
class IngestResult:
    new_events: list[StoredEvent]
    duplicates: int
    forgotten: int = 0  # sightings of forgotten people's tags, refused


@dataclass(frozen=True)
class Sighting:
    """A tag event, reduced to where and when."""

    event_id: str
    gateway_id: str
    tag: str
    kind: str
    ts: datetime
    rssi: int | None
    last_seen: datetime | None = None  # tag.left: the last advert of the visit

    @property
    def seen_at(self) -> datetime:
        """When the tag was last actually heard (a leave is decided later). The visit's
        last advert is the gateway's word: never later than the event's hub time."""
        return min(self.last_seen, self.ts) if self.last_seen else self.ts


@dataclass(frozen=True)
class GatewayState:
    gateway_id: str
    online: bool | None  # None: never sent a status
    status_at: datetime | None
    last_event_at: datetime | None


@dataclass(frozen=True)
class GatewayClock:
    """How far a gateway's clock was last found off (positive: behind the hub's)."""

    offset_ms: int
    wrong: bool
