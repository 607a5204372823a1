"""The retained gateway status message (and its last will)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, Field, create_model, model_validator

from mimamori.protocol.events import (
    DEVICE_FLAGS,
    MAX_COUNT,
    WIRE,
    Card,
    Count,
    Counters,
    DeviceFlag,
    LocalId,
    Name,
    Text,
    UtcDatetime,
)

# The longest a gateway may say it waits between two statuses: a day. The hub calls
# a gateway offline after three intervals, so a larger one would hide a dead gateway.
MAX_INTERVAL_S = 86_400.0


class _Frozen(BaseModel):
    model_config = WIRE


# Whole minutes of history a receiver's status carries. Statuses come every minute by
# default, so the hub bridges up to 14 missed ones; and a status stays small: at most
# 15 numbers per receiver (64 receivers: under 10 KiB).
HEARD_MINUTES = 15


class HeardStatus(_Frozen):
    """How well a receiver hears: the adverts it heard (tags or not) per whole minute.

    Minutes are counted on the gateway's monotonic clock from the driver's start;
    ``until`` is when the newest whole minute ended, on the gateway's wall clock, so
    the hub can line up the histories of two statuses. A minute not yet whole is in
    none of them: a receiver that just started has an empty history.
    """

    last_min: Count = 0  # the newest whole minute (the last of per_min)
    per_min: Annotated[list[Count], Field(max_length=HEARD_MINUTES)] = Field(
        default_factory=list
    )  # oldest first
    until: UtcDatetime | None = None  # when the newest whole minute ended
    last_advert: UtcDatetime | None = None  # any advert, tag or not; None: none yet
    # The length of its "minute" when it is not 60 s: only end-to-end tests shorten it
    # (the receiver's ``hearing_minute_s``), and the hub then counts the short minutes
    # as minutes. Absent (None) on the wire otherwise, so older hubs read it as before.
    minute_s: float | None = Field(default=None, ge=1.0, le=60.0)

    @property
    def minute(self) -> timedelta:
        return timedelta(seconds=self.minute_s or 60.0)

    @model_validator(mode="after")
    def _consistent(self) -> HeardStatus:
        if self.per_min and self.per_min[-1] != self.last_min:
            raise ValueError("last_min must be the last of per_min")
        if not self.per_min and self.last_min:
            raise ValueError("last_min without per_min")
        if bool(self.per_min) != (self.until is not None):
            raise ValueError("until goes with per_min (the end of its newest minute)")
        return self


class DriverStatus(_Frozen):
    driver: Name
    state: Literal["starting", "up", "down"]
    detail: Text = ""
    last_frame: UtcDatetime | None = None  # last advert or heartbeat from the hardware
    counters: Counters = Field(default_factory=dict)
    # Receivers only (absent from buttons and from older gateways): the hub
    # learns a watch point's normal rate from it and notices a receiver gone deaf.
    heard: HeardStatus | None = None


class OutboxStatus(_Frozen):
    depth: Count
    dropped: Counters = Field(default_factory=dict)  # by event kind, since install


class DiskStatus(_Frozen):
    """The room left on the file system of the gateway's data dir (its outbox, its
    logs): a full disk loses the events the outbox could not write. Absent from
    gateways older than this field; the hub accepts statuses with and without it."""

    free_bytes: Count
    total_bytes: Annotated[int, Field(gt=0, le=MAX_COUNT)]

    @model_validator(mode="after")
    def _within(self) -> DiskStatus:
        if self.free_bytes > self.total_bytes:
            raise ValueError("free_bytes cannot exceed total_bytes")
        return self

    @property
    def free_fraction(self) -> float:
        return self.free_bytes / self.total_bytes


class DeviceHealthBase(_Frozen):
    """A check-in device's health: one bool per ``DeviceFlag``, named by its value
    (``{"silent": false, "mains_lost": true, ...}``), and the battery's last reading.

    The flags' fields are made from ``DEVICE_FLAGS`` (``flag_fields``), so a flag
    declared there is on the wire without a line here; code reads them as ``raised``.
    """

    battery_pct: int | None = Field(default=None, ge=0, le=100)

    @property
    def raised(self) -> tuple[DeviceFlag, ...]:
        """The flags that are up, in ``DEVICE_FLAGS``' order (the worst first)."""
        return tuple(flag for flag in DEVICE_FLAGS if getattr(self, flag.value))


def flag_fields() -> dict[str, Any]:
    """One ``bool`` field per device flag, False unless said: for ``create_model``."""
    return {flag.value: (bool, False) for flag in DEVICE_FLAGS}


# The type checker knows the model by its base (the flags' fields are made at import).
if TYPE_CHECKING:
    DeviceHealthStatus = DeviceHealthBase
else:
    DeviceHealthStatus = create_model(
        "DeviceHealthStatus", __base__=DeviceHealthBase, __module__=__name__, **flag_fields()
    )


class HouseholdStatus(_Frozen):
    """A home gateway's view of its check-ins (ids and times only)."""

    id: LocalId
    state: Literal["ok", "due", "missed"]
    level: int | None = Field(default=None, ge=0, le=9)
    next_due: UtcDatetime
    last_checkin: UtcDatetime | None = None
    last_card: Card | None = None
    devices: Annotated[dict[Name, DeviceHealthStatus], Field(max_length=64)] = Field(
        default_factory=dict
    )


class GatewayStatus(_Frozen):
    v: Literal[1] = 1
    gw: LocalId
    state: Literal["online", "offline"]
    ts: UtcDatetime | None = None  # absent in the last will (written before the fact)
    version: Name | None = None
    config_hash: Name | None = None
    drivers: Annotated[dict[Name, DriverStatus], Field(max_length=64)] = Field(default_factory=dict)
    outbox: OutboxStatus | None = None
    disk: DiskStatus | None = None  # the data dir's file system (absent: an older gateway)
    counters: Counters = Field(default_factory=dict)
    household: HouseholdStatus | None = None
    # How often an online gateway refreshes this message: the hub calls a gateway
    # whose status is much older than this offline even without a last will.
    interval_s: float | None = Field(default=None, gt=0, le=MAX_INTERVAL_S)
