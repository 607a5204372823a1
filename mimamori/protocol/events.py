"""Events: what leaves a gateway. Readings (single adverts) never do.

An event is immutable and validates itself: the envelope (id, seq, ts, kind) and the
``data`` of its kind. ``data`` stays a plain JSON object on the wire so the hub can
store it as it came; the typed view is ``Event.typed`` (the kind's model, kept from
that validation) and ``Event.tag``.

A check-in device's problems (silent, battery low, mains lost) are declared once,
in ``DEVICE_FLAGS``: which event raises each and which clears it. The gateway's
status (``status.DeviceHealthStatus``), the edge's device rule, the hub's alerts and
the household summary all follow from that table (docs/protocol.md, "Device flags").
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)

from mimamori.protocol.tags import TAG_ID_PATTERN
from mimamori.protocol.timefmt import format_ts, on_the_wire
from mimamori.protocol.topics import ID_PATTERN


class EventKind(StrEnum):
    TAG_ARRIVED = "tag.arrived"
    TAG_SEEN = "tag.seen"
    TAG_LEFT = "tag.left"
    CHECKIN_DONE = "checkin.done"
    CHECKIN_CONSULT = "checkin.consult"
    CHECKIN_SOS = "checkin.sos"
    CHECKIN_MISSED = "checkin.missed"
    DEVICE_SILENT = "device.silent"
    DEVICE_BACK = "device.back"
    DEVICE_BATTERY_LOW = "device.battery_low"
    DEVICE_MAINS_LOST = "device.mains_lost"
    DEVICE_MAINS_BACK = "device.mains_back"
    RECEIVER_DOWN = "receiver.down"
    RECEIVER_UP = "receiver.up"
    CONFIG_RESULT = "config.result"


TAG_KINDS = frozenset({EventKind.TAG_ARRIVED, EventKind.TAG_SEEN, EventKind.TAG_LEFT})
# A press of any card: the person is there, so each closes the open check-in period.
CHECKIN_KINDS = frozenset(
    {EventKind.CHECKIN_DONE, EventKind.CHECKIN_CONSULT, EventKind.CHECKIN_SOS}
)


class DeviceFlag(StrEnum):
    """A problem of a check-in device. Its value names it everywhere: the field of
    the gateway's status, the key of the edge's saved state."""

    SILENT = "silent"
    MAINS_LOST = "mains_lost"
    BATTERY_LOW = "battery_low"


@dataclass(frozen=True)
class FlagEvents:
    raised: EventKind  # sent once when the flag goes up
    cleared: EventKind | None  # sent when it goes down; None: it goes down quietly


# The one declaration of the device flags, in the order people read them (the worst
# first). A new flag is a line here and its event kinds above; tests/protocol/
# test_device_flags.py then fails until the edge raises it and the hub words it.
DEVICE_FLAGS: Mapping[DeviceFlag, FlagEvents] = MappingProxyType(
    {
        DeviceFlag.SILENT: FlagEvents(EventKind.DEVICE_SILENT, EventKind.DEVICE_BACK),
        DeviceFlag.MAINS_LOST: FlagEvents(EventKind.DEVICE_MAINS_LOST, EventKind.DEVICE_MAINS_BACK),
        # A low battery re-arms when a fuller one reads (edge/rules/devices.py): no event.
        DeviceFlag.BATTERY_LOW: FlagEvents(EventKind.DEVICE_BATTERY_LOW, None),
    }
)
RAISED_BY: Mapping[EventKind, DeviceFlag] = MappingProxyType(
    {events.raised: flag for flag, events in DEVICE_FLAGS.items()}
)
CLEARED_BY: Mapping[EventKind, DeviceFlag] = MappingProxyType(
    {events.cleared: flag for flag, events in DEVICE_FLAGS.items() if events.cleared}
)
DEVICE_KINDS = frozenset(RAISED_BY) | frozenset(CLEARED_BY)

UtcDatetime = Annotated[
    AwareDatetime, AfterValidator(on_the_wire), PlainSerializer(format_ts, when_used="json")
]
TagId = Annotated[str, Field(pattern=TAG_ID_PATTERN)]
LocalId = Annotated[str, Field(pattern=ID_PATTERN)]
Rssi = Annotated[int, Field(ge=-127, le=20)]

# Bounds for every number and string that comes from a gateway: what a database
# column, a formatted message or a timer can hold. A signed 64-bit integer is what
# SQLite's INTEGER and PostgreSQL's BIGINT store; 2**53 is what a JavaScript page
# reads exactly, so counters stop there.
MAX_SEQ = 2**63 - 1
MAX_COUNT = 2**53
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def printable(limit: int) -> Callable[[object], object]:
    """Free text made safe rather than refused: control characters become spaces (a NUL
    is refused by PostgreSQL's text columns; a newline forges log lines) and the text is
    cut to ``limit``. A driver's detail with an odd character must not cost the status."""

    def clean(value: object) -> object:
        return _CONTROL.sub(" ", value[:limit]) if isinstance(value, str) else value

    return clean


Text = Annotated[str, BeforeValidator(printable(500))]
Name = Annotated[str, BeforeValidator(printable(64)), Field(min_length=1)]
Counters = Annotated[dict[Name, Count], Field(max_length=64)]

WIRE = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class _Data(BaseModel):
    model_config = WIRE


class TagData(_Data):
    """``tag.arrived`` / ``tag.seen`` / ``tag.left``."""

    tag: TagId
    receiver: LocalId
    rssi: Rssi | None = None  # smoothed; absent on tag.left
    adverts: Count = 1  # adverts heard since the previous event
    arrived_at: UtcDatetime | None = None  # on tag.left: when this visit began
    last_seen: UtcDatetime | None = None  # on tag.left: the last advert of the visit
    search: LocalId | None = None  # tag.seen sent at once for this search (no throttle)


class ReceiverData(_Data):
    """``receiver.down`` / ``receiver.up``."""

    receiver: LocalId
    reason: Annotated[str, BeforeValidator(printable(200))] = ""


Card = Literal["genki", "soudan", "sos"]


class CheckinData(_Data):
    """``checkin.done`` / ``checkin.consult`` / ``checkin.sos``: a press of a card.

    ``closed`` is the due time of the period this press closed (None when the period
    was already closed, e.g. a second press the same day); ``late`` says it came after
    that due time; ``next_due`` is when the next check-in is due.
    """

    device: LocalId
    card: Card
    closed: UtcDatetime | None = None
    late: bool = False
    next_due: UtcDatetime


class MissedData(_Data):
    """``checkin.missed``: one step of the escalation ladder for one missed period.

    Level 0 is the reminder (for the person); 1 and up are for other people.
    """

    level: int = Field(ge=0, le=9)
    due: UtcDatetime
    last_checkin: UtcDatetime | None = None


class DeviceData(_Data):
    """``device.*``: a check-in device's health."""

    device: LocalId
    battery_pct: int | None = Field(default=None, ge=0, le=100)
    silent_s: Count | None = None  # device.silent: how long unheard


ConfigOutcome = Literal["applied", "rolled_back", "refused"]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class ConfigResultData(_Data):
    """``config.result``: what the gateway did with a ``config`` command from the hub
    (protocol/commands.py): ``applied`` (now running it), ``rolled_back`` (it did not
    start its drivers in time: the previous config runs again), ``refused`` (not
    tried: invalid here, or a change that needs a restart). ``config_hash`` is the
    config running afterwards (the status's ``config_hash``)."""

    version: int = Field(ge=1, le=MAX_SEQ)
    sha256: Sha256  # of the YAML the command carried
    result: ConfigOutcome
    reason: Annotated[str, BeforeValidator(printable(200))] = ""
    config_hash: Name


EventData = TagData | ReceiverData | CheckinData | MissedData | DeviceData | ConfigResultData
D = TypeVar("D", bound=BaseModel)

DATA_MODELS: dict[EventKind, type[EventData]] = {
    EventKind.CHECKIN_DONE: CheckinData,
    EventKind.CHECKIN_CONSULT: CheckinData,
    EventKind.CHECKIN_SOS: CheckinData,
    EventKind.CHECKIN_MISSED: MissedData,
    **{kind: DeviceData for kind in DEVICE_KINDS},
    EventKind.TAG_ARRIVED: TagData,
    EventKind.TAG_SEEN: TagData,
    EventKind.TAG_LEFT: TagData,
    EventKind.RECEIVER_DOWN: ReceiverData,
    EventKind.RECEIVER_UP: ReceiverData,
    EventKind.CONFIG_RESULT: ConfigResultData,
}


def new_event_id() -> str:
    """128 random bits: unique even if a gateway's sequence restarts on a new SD card."""
    return uuid.uuid4().hex


class Event(BaseModel):
    model_config = WIRE

    id: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
    seq: Annotated[int, Field(ge=1, le=MAX_SEQ)]
    ts: UtcDatetime
    kind: EventKind
    data: dict[str, Any]

    # The data as its kind's model, kept from validation in a plain slot. A pydantic
    # private attribute costs a dict per event and a slow ``__getattr__`` per read:
    # with one, `mimamori bench hub` made 2.4 times the Python calls (cProfile) and
    # roughly halved its events/s; with the slot, 14,200 against 14,050 events/s
    # before typed reads (medians of 4 interleaved runs, 2026-12-03). A copy
    # (``model_copy``) has no slot set, so it reads its own data again when asked.
    # The tag is kept beside it: ingest reads it four times per event (cProfile of
    # `mimamori bench hub`: 800,000 property reads for 200,000 events).
    __slots__ = ("_tag", "_typed")
    if TYPE_CHECKING:  # declared for the type checker only: pydantic must not see it
        _typed: EventData
        _tag: str | None

    @model_validator(mode="after")
    def _data_fits_kind(self) -> Event:
        typed = DATA_MODELS[self.kind].model_validate(self.data)
        object.__setattr__(self, "_typed", typed)
        object.__setattr__(self, "_tag", typed.tag if isinstance(typed, TagData) else None)
        return self

    def resolved(self, kind: EventKind, data: dict[str, Any], typed: EventData) -> Self:
        """This event as the hub resolved it: ``data`` and ``typed``, its model, which the
        caller validated. The hub names a tag with rotating ids by the registry's name,
        which no gateway may send (hub/eid)."""
        copy = self.model_copy(update={"kind": kind, "data": data})
        object.__setattr__(copy, "_typed", typed)
        object.__setattr__(copy, "_tag", typed.tag if isinstance(typed, TagData) else None)
        return copy

    @property
    def typed(self) -> EventData:
        """``data`` as its kind's model (``TagData`` for ``tag.*``, ...), validated once."""
        try:
            typed: EventData = self._typed
        except AttributeError:  # a copy, or built without validation (``model_construct``)
            typed = DATA_MODELS[self.kind].model_validate(self.data)
            object.__setattr__(self, "_typed", typed)
        return typed

    def data_as(self, model: type[D]) -> D:
        """``typed``, said to be a ``model``; TypeError when the kind has another."""
        return expect(self.typed, model, self.kind)

    @property
    def tag(self) -> str | None:
        """The tag of a ``tag.*`` event; None for every other kind. (Read for every
        event on ingest's hot path, so without ``data_as``'s extra calls.)"""
        try:
            return self._tag
        except AttributeError:  # a copy, or built without validation
            typed = self.typed
            tag = typed.tag if isinstance(typed, TagData) else None
            object.__setattr__(self, "_tag", tag)
            return tag


def expect(data: BaseModel, model: type[D], kind: str) -> D:
    """``data`` as ``model``, or TypeError naming the kind whose data it is."""
    if not isinstance(data, model):
        raise TypeError(f"{kind} carries {type(data).__name__}, not {model.__name__}")
    return data


@dataclass(frozen=True)
class EventDraft:
    """An event decided by a rule, before the outbox gives it an id and a sequence."""

    kind: EventKind
    ts: datetime
    data: dict[str, Any] = field(default_factory=dict)

    def numbered(self, event_id: str, seq: int) -> Event:
        return Event(id=event_id, seq=seq, ts=self.ts, kind=self.kind, data=self.data)


MAX_BATCH = 1000
# A gateway outbox's id: 128 random bits, made with the outbox file (a new SD card
# is a new epoch), so a sequence that starts again is never taken for the old one.
Epoch = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
SeqOrZero = Annotated[int, Field(ge=0, le=MAX_SEQ)]


def new_epoch() -> str:
    return uuid.uuid4().hex


class EventBatch(BaseModel):
    """The payload of ``mimamori/v1/gw/{id}/events``.

    ``sent`` (optional: gateways before it did not send it) is the gateway's clock
    when it published the batch: the hub compares it with its own receive time to
    learn how far that clock is off (docs/protocol.md, "Whose time").

    ``epoch`` and ``after`` (both or neither; older gateways send neither) let the hub
    acknowledge end to end (protocol/acks.py): every seq in (after, last event's seq]
    that is not in the batch will never come from this outbox.
    """

    model_config = WIRE

    v: Literal[1] = 1
    gw: LocalId
    sent: UtcDatetime | None = None
    events: Annotated[list[Event], Field(min_length=1, max_length=MAX_BATCH)]
    epoch: Epoch | None = None
    after: SeqOrZero | None = None
