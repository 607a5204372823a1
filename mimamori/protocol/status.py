"""The retained gateway status message (and its last will)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, Field, create_model

from mimamori.protocol.events import (
    DEVICE_FLAGS,
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


class DriverStatus(_Frozen):
    driver: Name
    state: Literal["starting", "up", "down"]
    detail: Text = ""
    last_frame: UtcDatetime | None = None  # last advert or heartbeat from the hardware
    counters: Counters = Field(default_factory=dict)


class OutboxStatus(_Frozen):
    depth: Count
    dropped: Counters = Field(default_factory=dict)  # by event kind, since install


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
    counters: Counters = Field(default_factory=dict)
    household: HouseholdStatus | None = None
    # How often an online gateway refreshes this message: the hub calls a gateway
    # whose status is much older than this offline even without a last will.
    interval_s: float | None = Field(default=None, gt=0, le=MAX_INTERVAL_S)
