"""What drivers yield: typed, immutable observations of the hardware.

Observations stay on the gateway. Rules turn them into events; only events leave.
``at`` is a monotonic reading (seconds) used for every duration, because a Raspberry
Pi has no real-time clock and its wall clock jumps when NTP first syncs; ``ts`` is
the UTC wall time used to stamp events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from mimamori.protocol.events import Card  # 元気だよ (I'm fine), 相談 (please call me), SOS
from mimamori.protocol.search import SearchOrder


@dataclass(frozen=True, slots=True)
class Advert:
    """One BLE advertisement heard by a receiver, reduced to what tags put in it.

    ``manufacturer`` maps a Bluetooth SIG company id to the bytes after it;
    ``service_data`` maps a 16-bit service UUID to its bytes. The device address is
    deliberately not kept: tags are named by their frames, and an address is a
    tracking handle we have no use for.
    """

    receiver: str
    at: float
    ts: datetime
    rssi: int
    manufacturer: Mapping[int, bytes] = field(default_factory=dict)
    service_data: Mapping[int, bytes] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """The receiver is alive (its own heartbeat line, or any advert on BLE)."""

    receiver: str
    at: float
    ts: datetime
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ReceiverState:
    """A receiver went down (port lost, silent, scanner failed) or came back up."""

    receiver: str
    at: float
    ts: datetime
    up: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Press:
    """A check-in button was pressed, once (drivers remove repeats of one press).

    ``device`` is the button's id in the gateway config; ``counter`` is the device's own
    press or packet counter when it has one (for logs; duplicates are already gone).
    """

    device: str
    at: float
    ts: datetime
    card: Card
    counter: int | None = None


@dataclass(frozen=True, slots=True)
class DeviceReport:
    """A check-in device is alive, with what it says about its power.

    ``battery_pct`` and ``mains`` are None when the device does not report them.
    Every frame from a device may be reported, not only heartbeats: any sign of life
    counts against ``device.silent``.
    """

    device: str
    at: float
    ts: datetime
    battery_pct: int | None = None
    mains: bool | None = None


@dataclass(frozen=True, slots=True)
class SearchChange:
    """The hub's search order for ``search_id`` arrived, changed, or (``order`` None)
    ended. Not from hardware, but it travels the same queue, so the rules task alone
    owns what is being searched for."""

    search_id: str
    order: SearchOrder | None


Observation = Advert | Heartbeat | ReceiverState | Press | DeviceReport | SearchChange
