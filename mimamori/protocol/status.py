"""The retained gateway status message (and its last will)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .events import Card, LocalId, UtcDatetime


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DriverStatus(_Frozen):
    driver: str
    state: Literal["starting", "up", "down"]
    detail: str = ""
    last_frame: UtcDatetime | None = None  # last advert or heartbeat from the hardware
    counters: dict[str, int] = Field(default_factory=dict)


class OutboxStatus(_Frozen):
    depth: int = Field(ge=0)
    dropped: dict[str, int] = Field(default_factory=dict)  # by event kind, since install


class DeviceHealthStatus(_Frozen):
    silent: bool = False
    battery_low: bool = False
    mains_lost: bool = False
    battery_pct: int | None = Field(default=None, ge=0, le=100)


class HouseholdStatus(_Frozen):
    """A home gateway's view of its check-ins (ids and times only)."""

    id: LocalId
    state: Literal["ok", "due", "missed"]
    level: int | None = None
    next_due: UtcDatetime
    last_checkin: UtcDatetime | None = None
    last_card: Card | None = None
    devices: dict[str, DeviceHealthStatus] = Field(default_factory=dict)


class GatewayStatus(_Frozen):
    v: Literal[1] = 1
    gw: LocalId
    state: Literal["online", "offline"]
    ts: UtcDatetime | None = None  # absent in the last will (written before the fact)
    version: str | None = None
    config_hash: str | None = None
    drivers: dict[str, DriverStatus] = Field(default_factory=dict)
    outbox: OutboxStatus | None = None
    counters: dict[str, int] = Field(default_factory=dict)
    household: HouseholdStatus | None = None
    # How often an online gateway refreshes this message: the hub calls a gateway
    # whose status is much older than this offline even without a last will.
    interval_s: float | None = Field(default=None, gt=0)
