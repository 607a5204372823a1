"""Events as the hub stores them, the hub's own event kinds, gateways and households'
state as read back from the store.

A stored event's ``data`` is the JSON object as it came (the store keeps it so); the
hub reads it through ``StoredEvent.typed`` / ``data_as``: the kind's model, from
``protocol.events`` for what gateways send and from here for the hub's own kinds,
validated once per event (at ingest the wire's validation is reused).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, Field

from mimamori.hub.model.eid import EID_TAG_PATTERN
from mimamori.protocol.events import (
    DATA_MODELS,
    TAG_KINDS,
    WIRE,
    Event,
    EventData,
    EventKind,
    TagData,
    expect,
)
from mimamori.protocol.tags import TAG_ID_PATTERN

# Events the hub records itself, beside what gateways send.
GATEWAY_OFFLINE = "gateway.offline"  # data: OfflineData


GATEWAY_ONLINE = "gateway.online"


# A gateway's clock is off by more than clock.TOLERANCE (data: ClockData), or right again.
GATEWAY_CLOCK_WRONG = "gateway.clock_wrong"


GATEWAY_CLOCK_OK = "gateway.clock_ok"


class _HubData(BaseModel):
    model_config = WIRE


class OfflineData(_HubData):
    """``gateway.offline``: its last will came, it said goodbye, or it fell silent."""

    reason: Literal["last_will", "stopped", "silent"]
    silent_s: int | None = None  # silent: how long since its last status (hub-written)


class OnlineData(_HubData):
    """``gateway.online``: nothing to say but the kind."""


class ClockData(_HubData):
    """``gateway.clock_wrong`` / ``gateway.clock_ok``: how far off it was found."""

    offset_s: int


class StoredTagData(TagData):
    """``tag.*`` as stored: a tag with rotating ids is kept under its registry name
    (``eid:NAME``, resolved at the door by hub/eid), which no gateway may send."""

    tag: Annotated[str, Field(pattern=f"{TAG_ID_PATTERN}|{EID_TAG_PATTERN}")]


StoredData = EventData | OfflineData | OnlineData | ClockData
# The model of each kind the hub stores that is not the wire's own.
STORED_MODELS: dict[str, type[StoredData]] = {
    **{kind.value: StoredTagData for kind in TAG_KINDS},
    GATEWAY_OFFLINE: OfflineData,
    GATEWAY_ONLINE: OnlineData,
    GATEWAY_CLOCK_WRONG: ClockData,
    GATEWAY_CLOCK_OK: ClockData,
}
M = TypeVar("M", bound=BaseModel)


def read_data(kind: str, data: dict[str, Any]) -> StoredData:
    """``data`` as the model of ``kind``. ValueError for a kind nobody sends
    (pydantic's ValidationError is one) or data that does not fit it."""
    model = STORED_MODELS.get(kind)
    if model is None:
        try:
            model = DATA_MODELS[EventKind(kind)]
        except ValueError:
            raise ValueError(f"no event kind {kind!r}") from None
    return model.model_validate(data)


DEFAULT_STATUS_INTERVAL_S = 60.0  # for gateways whose status does not say


@dataclass(frozen=True)
class StoredEvent:
    id: str
    gateway_id: str
    seq: int
    ts: datetime
    kind: str
    data: dict[str, Any]  # as it came; read it through ``typed``
    received_at: datetime
    # ``data`` as its kind's model, once read (not an argument: ``dataclasses.replace``
    # with other data must not carry the old one over).
    _typed: StoredData | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def of_wire(cls, gateway_id: str, event: Event, received_at: datetime) -> StoredEvent:
        """``event`` as stored, keeping the data model its validation made."""
        stored = cls(
            event.id, gateway_id, event.seq, event.ts, event.kind.value, event.data, received_at
        )
        object.__setattr__(stored, "_typed", event.typed)
        return stored

    @property
    def typed(self) -> StoredData:
        """The data as its kind's model (``TagData``, ``CheckinData``, ``OfflineData``…),
        validated on the first read. ValueError when it does not fit (a row an older
        hub wrote, say): the caller's per-event isolation sets that event aside."""
        typed = self._typed
        if typed is None:
            typed = read_data(self.kind, self.data)
            object.__setattr__(self, "_typed", typed)
        return typed

    def data_as(self, model: type[M]) -> M:
        """``typed``, when the caller knows the kind's model; TypeError if it is another."""
        return expect(self.typed, model, self.kind)

    @property
    def tag(self) -> str | None:
        """The tag of a ``tag.*`` event; None for every other kind."""
        return self.data_as(TagData).tag if self.kind in TAG_KINDS else None


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
