"""The gateway's YAML config (see configs/gateway-vending.yaml for a commented example)."""

from __future__ import annotations

import hashlib
import itertools
from datetime import date, time, timedelta
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator

from mimamori import configfile
from mimamori.edge.rules.checkin import Step
from mimamori.edge.rules.schedule import Schedule
from mimamori.protocol.events import Card
from mimamori.protocol.tags import TagFormat, is_valid_tag_id
from mimamori.settings import BrokerSettings, FilePath, Id, Strict, TimeZone, context_for


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
    # Adverts are counted per minute for the hub (drivers/hearing.py); an end-to-end
    # test shortens the minute to see a deaf receiver in seconds. Leave it at 60.
    hearing_minute_s: float = Field(default=60.0, ge=1.0, le=60.0)


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
    # As the serial receiver's: 60 but in end-to-end tests.
    hearing_minute_s: float = Field(default=60.0, ge=1.0, le=60.0)


class HciReceiver(Strict):
    """A plain Bluetooth controller on a UART, spoken to in standard HCI (H4)."""

    id: Id
    driver: Literal["hci_uart"]
    port: str = Field(min_length=1)  # prefer /dev/serial/by-id/...: stable across replugs
    # Many controllers start at 115200 (Linux's btattach default); others are set up
    # at 1 Mbaud or more by their firmware.
    baudrate: Literal[
        9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, 1000000, 2000000, 3000000
    ] = 115200
    # H4 expects RTS/CTS (Core Vol 4 Part A, 1): without it a busy controller drops
    # bytes mid-packet. Turn it off only for boards that do not wire the lines.
    flow_control: bool = True
    # auto: extended scanning when the controller has it, else legacy.
    scanning: Literal["auto", "extended", "legacy"] = "auto"
    # A receiver on mains power may listen all the time (window = interval).
    scan_interval_ms: float = Field(default=100.0, ge=2.5, le=10240.0)
    scan_window_ms: float = Field(default=100.0, ge=2.5, le=10240.0)
    # No advert for this long: scanning is set up again from HCI_Reset. A quiet street
    # looks the same as a stuck controller, and a restart costs a few milliseconds.
    watchdog_s: float = Field(default=60.0, ge=1.0, le=3600.0)
    reopen_max_s: float = Field(default=30.0, ge=0.1, le=600.0)
    # As the serial receiver's: 60 but in end-to-end tests.
    hearing_minute_s: float = Field(default=60.0, ge=1.0, le=60.0)

    @model_validator(mode="after")
    def _window_fits(self) -> HciReceiver:
        if self.scan_window_ms > self.scan_interval_ms:
            raise ValueError("scan_window_ms must not exceed scan_interval_ms")
        return self


Receiver = Annotated[SerialReceiver | BleReceiver | HciReceiver, Field(discriminator="driver")]

# --- a home: check-in buttons, their schedule and escalation ------------------------

CARDS: tuple[Card, ...] = ("genki", "soudan", "sos")
ButtonEvent = Literal[
    "press", "double_press", "triple_press", "long_press", "long_double_press", "long_triple_press"
]


class SerialButton(Strict):
    """A check-in button unit on a serial port (line protocol: firmware_sim/README.md)."""

    id: Id
    driver: Literal["serial_button"]
    port: str = Field(min_length=1)
    baudrate: Literal[9600, 19200, 38400, 57600, 115200] = 9600
    # The unit sends a heartbeat every 10 minutes; six missed ones mean it is gone
    # (unplugged, or the power is off: the Kurobe case).
    silent_after_s: float = Field(default=3600.0, ge=10.0, le=7 * 86400.0)
    reopen_max_s: float = Field(default=30.0, ge=0.1, le=600.0)


def _default_cards() -> dict[ButtonEvent, Card]:
    return {"press": "genki", "double_press": "soudan", "long_press": "sos"}


class BthomeButton(Strict):
    """An off-the-shelf BLE button speaking BTHome v2 (e.g. a BLU-type button)."""

    id: Id
    driver: Literal["bthome"]
    address: str = Field(pattern=r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")
    # The 16-byte AES key as 32 hex digits in a file of its own (never in this file:
    # configs get pasted into support chats). None: the button sends plain frames.
    bind_key_file: FilePath | None = None
    adapter: str = "hci0"
    # Which card each kind of press means: one button, several cards.
    cards: dict[ButtonEvent, Card] = Field(default_factory=_default_cards, min_length=1)
    # Battery buttons advertise on presses and a few times an hour otherwise.
    silent_after_s: float = Field(default=6 * 3600.0, ge=10.0, le=7 * 86400.0)

    def read_bind_key(self) -> bytes | None:
        if self.bind_key_file is None:
            return None
        text = self.bind_key_file.read_text(encoding="ascii").strip()
        try:
            key = bytes.fromhex(text)
        except ValueError:
            key = b""
        if len(key) != 16:
            raise ValueError(f"{self.bind_key_file}: a bind key is 32 hex digits")
        return key


Button = Annotated[SerialButton | BthomeButton, Field(discriminator="driver")]

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ScheduleSection(Strict):
    """When a check-in is due, in the household's zone.

    Every day by ``by`` (the default); on some weekdays (``days``); or every N days
    counted from ``start`` (``every_n_days``).
    """

    # "21:00"; seconds ("21:00:30") are allowed, for schedules only a test needs.
    by: str = Field(default="10:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$")
    days: list[Weekday] | None = Field(default=None, min_length=1)
    every_n_days: int | None = Field(default=None, ge=1, le=31)
    start: date | None = None
    # A press this long after the due time still counts as on time.
    grace_min: float = Field(default=60.0, ge=0.0, le=24 * 60.0)

    @model_validator(mode="after")
    def _one_kind(self) -> ScheduleSection:
        if self.days is not None and self.every_n_days is not None:
            raise ValueError("use either 'days' or 'every_n_days', not both")
        if self.every_n_days is not None and self.start is None:
            raise ValueError("'every_n_days' needs 'start', the first day a check-in is due")
        if self.start is not None and self.every_n_days is None:
            raise ValueError("'start' goes with 'every_n_days'")
        return self


class LadderStep(Strict):
    # Counted from the end of the grace period.
    after_h: float = Field(ge=0.0, le=24 * 31.0)
    level: int = Field(ge=0, le=9)  # 0: a reminder for the person; 1 and up: for others


def _default_ladder() -> list[LadderStep]:
    # The national service tells contacts after ~23 h; Kurobe visits after 3 days.
    return [
        LadderStep(after_h=0, level=0),
        LadderStep(after_h=23, level=1),
        LadderStep(after_h=72, level=2),
    ]


class CheckinSection(Strict):
    """When check-ins are due and how a missed one escalates: a home gateway's for its
    buttons, and the hub's for a person who checks in by LINE (docs/line.md): one model."""

    timezone: TimeZone = "Asia/Tokyo"
    schedule: ScheduleSection = Field(default_factory=ScheduleSection)
    ladder: list[LadderStep] = Field(default_factory=_default_ladder, min_length=1)

    def build_schedule(self) -> Schedule:
        s = self.schedule
        hour, minute, second = (int(part) for part in f"{s.by}:00".split(":")[:3])
        return Schedule(
            zone=ZoneInfo(self.timezone),
            by=time(hour, minute, second),
            weekdays=frozenset(WEEKDAYS.index(d) for d in s.days) if s.days else None,
            every_n_days=s.every_n_days,
            start=s.start,
        )

    def build_steps(self) -> list[Step]:
        return [Step(timedelta(hours=s.after_h), s.level) for s in self.ladder]

    @field_validator("ladder")
    @classmethod
    def _rising(cls, value: list[LadderStep]) -> list[LadderStep]:
        for before, after in itertools.pairwise(value):
            if after.after_h <= before.after_h or after.level <= before.level:
                raise ValueError("ladder steps must rise in both after_h and level")
        return value


class HouseholdSection(CheckinSection):
    id: Id  # an opaque id: who lives there is known only at the hub
    battery_low_pct: int = Field(default=20, ge=1, le=99)


# Eddystone-EID ids rotate and look random (protocol/eid.py): no list can name them in
# advance. This one entry admits them all; the hub keeps only those it can resolve.
EVERY_EID = f"{TagFormat.EDDYSTONE_EID}:*"


class TagsSection(Strict):
    formats: list[TagFormat] = Field(default_factory=lambda: list(TagFormat), min_length=1)
    # Only tags on this list ever leave the gateway: an exact tag id, a prefix ending in
    # '*' such as one town's iBeacon UUID, or "eddystone-eid:*" for every rotating id.
    allow: list[str] = Field(min_length=1)

    @field_validator("allow")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            fmt = pattern.split(":", 1)[0]
            if fmt not in {f.value for f in TagFormat}:
                raise ValueError(f"{pattern!r}: unknown tag format {fmt!r}")
            if fmt == TagFormat.EDDYSTONE_EID and pattern != EVERY_EID:
                raise ValueError(
                    f"{pattern!r}: EIDs change every rotation period, so no list can name "
                    f"them; {EVERY_EID!r} admits them all and the hub keeps only its own"
                )
            if not pattern.endswith("*") and not is_valid_tag_id(pattern):
                raise ValueError(f"{pattern!r} is neither a tag id nor a prefix ending in '*'")
        return value

    @model_validator(mode="after")
    def _eid_format(self) -> TagsSection:
        if EVERY_EID in self.allow and TagFormat.EDDYSTONE_EID not in self.formats:
            raise ValueError(f"'allow' admits {EVERY_EID!r} but 'formats' leaves them out")
        return self


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
    # During a search a tag is reported at every sighting; adverts closer together
    # than this are folded into one report (beacons may advertise ten times a second).
    search_interval_s: float = Field(default=1.0, ge=0.0, le=10.0)

    @model_validator(mode="after")
    def _hysteresis(self) -> PresenceSection:
        if self.exit_rssi > self.enter_rssi:
            raise ValueError("exit_rssi must not be above enter_rssi")
        return self


class OutboxSection(Strict):
    # About 300 bytes an event: 100,000 events are ~30 MB of SD card.
    max_events: int = Field(default=100_000, ge=100, le=10_000_000)
    batch_size: int = Field(default=100, ge=1, le=1000)
    # Published events the hub has not confirmed are sent again once its ack has not
    # moved for this long while it is up (then twice as long, ... up to 10 min). The
    # hub confirms within milliseconds of its commit; 30 s leaves a hub that has just
    # come back room to work through the queue the broker kept for it.
    resend_after_s: float = Field(default=30.0, ge=1.0, le=3600.0)


class GatewayConfig(Strict):
    gateway: GatewaySection
    broker: BrokerSettings
    receivers: list[Receiver] = Field(default_factory=list)
    tags: TagsSection | None = None
    household: HouseholdSection | None = None
    buttons: list[Button] = Field(default_factory=list)
    presence: PresenceSection = Field(default_factory=PresenceSection)
    outbox: OutboxSection = Field(default_factory=OutboxSection)
    data_dir: FilePath
    status_interval_s: float = Field(default=60.0, ge=1.0, le=3600.0)

    @model_validator(mode="after")
    def _consistent(self) -> GatewayConfig:
        if not self.receivers and not self.buttons:
            raise ValueError("a gateway needs 'receivers', 'buttons', or both")
        if self.receivers and self.tags is None:
            raise ValueError("'receivers' need 'tags': which tags may leave the gateway")
        if self.buttons and self.household is None:
            raise ValueError("'buttons' need 'household': whose schedule they keep")
        if self.household is not None and not self.buttons:
            raise ValueError("'household' needs at least one entry in 'buttons'")
        ids = [r.id for r in self.receivers] + [b.id for b in self.buttons]
        if dupes := configfile.duplicates(ids):
            raise ValueError(f"receiver and button ids must be unique: {', '.join(dupes)}")
        return self

    def digest(self) -> str:
        """A short hash of the effective config, reported in the gateway status."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:12]


def load_gateway_config(path: Path) -> GatewayConfig:
    return configfile.load(path, GatewayConfig, context_for(path))
