"""The retained gateway status message (and its last will)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from mimamori.protocol.events import WIRE, Card, Count, Counters, LocalId, Name, Text, UtcDatetime

# The longest a gateway may say it waits between two statuses: a day. The hub calls
# a gateway offline after three intervals, so a larger one would hide a dead gateway.
MAX_INTERVAL_S = 86_400.0


class _Frozen(BaseModel):
    model_config = WIRE


class DriverStatus(_Frozen):
    driver: Name
    state: Literal["starting", "up", "down"]
    detail: Text = ""
    last_frame: UtcDatetime | None = None  # last advert or heartbeat from the hardware
    counters: Counters = Field(default_factory=dict)


class OutboxStatus(_Frozen):
    depth: Count
    dropped: Counters = Field(default_factory=dict)  # by event kind, since install


class DeviceHealthStatus(_Frozen):
    silent: bool = False
    battery_low: bool = False
    mains_lost: bool = False
    battery_pct: int | None = Field(default=None, ge=0, le=100)


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
    counters: Counters = Field(default_factory=dict)
    household: HouseholdStatus | None = None
    # How often an online gateway refreshes this message: the hub calls a gateway
    # whose status is much older than this offline even without a last will.
    interval_s: float | None = Field(default=None, gt=0, le=MAX_INTERVAL_S)
