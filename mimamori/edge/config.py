"""The gateway's YAML config (see configs/gateway-vending.yaml for a commented example)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .. import configfile
from ..protocol.tags import TagFormat, is_valid_tag_id
from ..settings import BrokerSettings, FilePath, Id, Strict, context_for


class GatewaySection(Strict):
    id: Id
    name: str = Field(min_length=1, max_length=100)
    site: Literal["vending", "shop", "home", "other"] = "vending"
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class SerialReceiver(Strict):
    """A receiver board on a serial port speaking the line protocol in firmware_sim/."""

    id: Id
    driver: Literal["serial_line"]
    port: str = Field(min_length=1)  # prefer /dev/serial/by-id/...: stable across replugs
    baudrate: Literal[9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600] = 115200
    # The firmware sends a heartbeat every 10 s; three missed ones mean it is gone.
    silent_after_s: float = Field(default=30.0, ge=2.0, le=3600.0)
    reopen_max_s: float = Field(default=30.0, ge=0.1, le=600.0)


class BleReceiver(Strict):
    """The gateway's own Bluetooth adapter, through bleak (BlueZ on a Pi)."""

    id: Id
    driver: Literal["ble"]
    adapter: str = "hci0"
    # passive scanning saves the tags' batteries but needs BlueZ >= 5.56 with
    # experimental features; auto tries passive and falls back to active.
    mode: Literal["auto", "passive", "active"] = "auto"
    # BlueZ is known to stop delivering adverts without an error; restart it then.
    watchdog_s: float = Field(default=60.0, ge=1.0, le=3600.0)


Receiver = Annotated[SerialReceiver | BleReceiver, Field(discriminator="driver")]


class TagsSection(Strict):
    formats: list[TagFormat] = Field(
        default_factory=lambda: [TagFormat.IBEACON, TagFormat.EDDYSTONE_UID], min_length=1
    )
    # Only tags on this list ever leave the gateway: an exact tag id, or a prefix
    # ending in '*' such as one town's iBeacon UUID.
    allow: list[str] = Field(min_length=1)

    @field_validator("allow")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            fmt = pattern.split(":", 1)[0]
            if fmt not in {f.value for f in TagFormat}:
                raise ValueError(f"{pattern!r}: unknown tag format {fmt!r}")
            if not pattern.endswith("*") and not is_valid_tag_id(pattern):
                raise ValueError(f"{pattern!r} is neither a tag id nor a prefix ending in '*'")
        return value


class PresenceSection(Strict):
    # Smoothed RSSI (dBm) at which a tag counts as arrived, and the lower level it
    # must stay above to count as still here: the gap is the hysteresis that keeps
    # a tag at the edge of range from flapping between arrived and left.
    enter_rssi: int = Field(default=-85, ge=-120, le=0)
    exit_rssi: int = Field(default=-92, ge=-127, le=0)
    # Weight of a new advert in the moving average (1.0: no smoothing).
    smoothing: float = Field(default=0.3, gt=0.0, le=1.0)
    # ESPresense forgets a device after 150 s; tags advertising every 1-2 s in a quiet
    # street are safe at 120 s.
    leave_after_s: float = Field(default=120.0, ge=2.0, le=3600.0)
    report_interval_s: float = Field(default=60.0, ge=1.0, le=3600.0)

    @model_validator(mode="after")
    def _hysteresis(self) -> PresenceSection:
        if self.exit_rssi > self.enter_rssi:
            raise ValueError("exit_rssi must not be above enter_rssi")
        return self


class OutboxSection(Strict):
    # About 300 bytes an event: 100,000 events are ~30 MB of SD card.
    max_events: int = Field(default=100_000, ge=100, le=10_000_000)
    batch_size: int = Field(default=100, ge=1, le=1000)


class GatewayConfig(Strict):
    gateway: GatewaySection
    broker: BrokerSettings
    receivers: list[Receiver] = Field(min_length=1)
    tags: TagsSection
    presence: PresenceSection = Field(default_factory=PresenceSection)
    outbox: OutboxSection = Field(default_factory=OutboxSection)
    data_dir: FilePath
    status_interval_s: float = Field(default=60.0, ge=1.0, le=3600.0)

    @field_validator("receivers")
    @classmethod
    def _unique_receivers(
        cls, value: list[SerialReceiver | BleReceiver]
    ) -> list[SerialReceiver | BleReceiver]:
        ids = [r.id for r in value]
        if dupes := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"receiver ids must be unique: {', '.join(dupes)}")
        return value

    def digest(self) -> str:
        """A short hash of the effective config, reported in the gateway status."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:12]


def load_gateway_config(path: Path) -> GatewayConfig:
    return configfile.load(path, GatewayConfig, context_for(path))
