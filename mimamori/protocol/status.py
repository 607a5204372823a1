"""The retained gateway status message (and its last will)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .events import LocalId, UtcDatetime


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
