"""A scene: receivers at places in a town, people carrying tags walking past them.

Each tag advertises every ``interval_s``; each receiver that hears it (radio.py)
gets an ``$A`` line on its pty, in real time. A scenario file describes it::

    seed: 7
    radio: {path_loss_exponent: 2.5, noise_db: 4, loss: 0.1, sensitivity_dbm: -96}
    receivers:
      - {id: vm-001, lat: 26.2810, lon: 127.7780, link: run/vm-001}
    tags:
      - tag: ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:100:7
        route: [[26.2805, 127.7775], [26.2815, 127.7785]]
        speed_mps: 1.0
        back_and_forth: true
      - eid: {identity_key: 00112233445566778899aabbccddeeff, exponent: 10,
              clock_offset: -1700000000}
        route: [[26.2810, 127.7780]]

A tag has either a fixed ``tag`` id or an ``eid`` block: an Eddystone-EID tag whose
advert changes every 2**exponent seconds, computed from the wall clock as the tag's
own counter (``counter = Unix time + clock_offset``), exactly as protocol/eid.py says.
``mimamori hub tag add`` prints the block for a tag it provisions.

Relative ``link`` paths are taken next to the scenario file.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from mimamori import configfile
from mimamori.firmware_sim.frames import EDDYSTONE_1M_TO_0M_DB, adv_for_tag, eddystone_eid_adv
from mimamori.firmware_sim.radio import LatLon, RadioModel, distance_m
from mimamori.firmware_sim.receiver import DEFAULT_FIRMWARE, HEARTBEAT_S, SimReceiver
from mimamori.firmware_sim.walker import DEFAULT_SPEED_MPS, Walker
from mimamori.protocol.eid import COUNTER_LIMIT, EXPONENT_MAX, compute_eid, counter_at
from mimamori.protocol.tags import is_valid_tag_id
from mimamori.settings import FilePath, Id, Strict, context_for

_log = logging.getLogger(__name__)

Lat = Annotated[float, Field(ge=-90, le=90)]
Lon = Annotated[float, Field(ge=-180, le=180)]
# Advertising events are spread by a random 0-10 ms advDelay (Bluetooth Core,
# Vol 6 Part B, 4.4.2.2.1), so two tags never stay in lock-step.
ADV_DELAY_MAX_S = 0.010


class RadioSection(Strict):
    path_loss_exponent: float = Field(default=2.5, ge=1.5, le=6.0)
    noise_db: float = Field(default=4.0, ge=0.0, le=20.0)
    loss: float = Field(default=0.1, ge=0.0, lt=1.0)
    sensitivity_dbm: float = Field(default=-96.0, ge=-120.0, le=-40.0)


class ReceiverSpec(Strict):
    id: Id
    lat: Lat
    lon: Lon
    link: FilePath
    heartbeat_s: float = Field(default=HEARTBEAT_S, gt=0.0, le=3600.0)
    firmware: str = Field(default=DEFAULT_FIRMWARE, pattern=r"^[A-Za-z0-9._+-]{1,32}$")


class EidSpec(Strict):
    """An Eddystone-EID tag: what ``mimamori hub tag add`` printed for it."""

    identity_key: str = Field(pattern=r"^[0-9a-fA-F]{32}$")
    exponent: int = Field(default=10, ge=0, le=EXPONENT_MAX)  # a new id every 2**K s
    clock_offset: int  # the tag's time counter minus Unix time, in seconds

    def key(self) -> bytes:
        return bytes.fromhex(self.identity_key)


class TagSpec(Strict):
    tag: str | None = None
    eid: EidSpec | None = None
    # iBeacon tags sold for watch-over services advertise every 0.1-2 s; 1 s is common.
    interval_s: float = Field(default=1.0, ge=0.02, le=60.0)
    tx_power: int = Field(default=-59, ge=-100, le=0)  # calibrated RSSI at 1 m
    route: list[tuple[Lat, Lon]] = Field(min_length=1)
    speed_mps: float = Field(default=DEFAULT_SPEED_MPS, gt=0.0, le=50.0)
    back_and_forth: bool = False
    start_delay_s: float = Field(default=0.0, ge=0.0)
    address: Annotated[str, Field(pattern=r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")] | None = None

    @field_validator("tag")
    @classmethod
    def _tag_id(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not is_valid_tag_id(value):
            raise ValueError(f"{value!r} is not a tag id (see protocol/tags.py)")
        adv_for_tag(value)  # a major/minor above 65535 passes the pattern but not the frame
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> TagSpec:
        if (self.tag is None) == (self.eid is None):
            raise ValueError("a tag has either a fixed 'tag' id or an 'eid' block")
        return self


class Scenario(Strict):
    seed: int = 0
    radio: RadioSection = Field(default_factory=RadioSection)
    receivers: list[ReceiverSpec] = Field(min_length=1)
    tags: list[TagSpec] = Field(default_factory=list)

    @field_validator("receivers")
    @classmethod
    def _unique(cls, value: list[ReceiverSpec]) -> list[ReceiverSpec]:
        for what, keys in (("ids", [r.id for r in value]), ("links", [str(r.link) for r in value])):
            if dupes := configfile.duplicates(keys):
                raise ValueError(f"receiver {what} must be unique: {', '.join(dupes)}")
        return value


def load_scenario(path: Path) -> Scenario:
    """Read a scenario file; ConfigError with FILE:LINE:COL for every mistake."""
    return configfile.load(path, Scenario, context_for(path))


class EidAdverts:
    """The advert of an EID tag at any wall-clock time (one EID computed per period)."""

    def __init__(self, spec: EidSpec, tx_power_1m: int) -> None:
        self.spec = spec
        self._key = spec.key()
        self._tx_0m = tx_power_1m + EDDYSTONE_1M_TO_0M_DB
        self._period = -1
        self._adv = b""

    def at(self, unix_s: float) -> bytes:
        # The counter is a 32-bit register: it wraps, as the tag's own would.
        counter = counter_at(unix_s, self.spec.clock_offset) % COUNTER_LIMIT
        period = counter >> self.spec.exponent
        if period != self._period:
            eid = compute_eid(self._key, self.spec.exponent, counter)
            self._period, self._adv = period, eddystone_eid_adv(eid, self._tx_0m)
        return self._adv


@dataclass(frozen=True)
class SimTag:
    spec: TagSpec
    walker: Walker
    adverts: Callable[[float], bytes]  # Unix time -> the advertising data at that time
    address: str

    def adv(self, unix_s: float) -> bytes:
        return self.adverts(unix_s)


def _adverts(spec: TagSpec) -> Callable[[float], bytes]:
    if spec.eid is not None:
        return EidAdverts(spec.eid, spec.tx_power).at
    assert spec.tag is not None  # TagSpec: one or the other
    fixed = adv_for_tag(spec.tag, tx_power_1m=spec.tx_power)
    return lambda _unix_s: fixed


@dataclass(frozen=True)
class PlacedReceiver:
    spec: ReceiverSpec
    sim: SimReceiver

    @property
    def position(self) -> LatLon:
        return (self.spec.lat, self.spec.lon)


def _random_static_address(rng: random.Random) -> str:
    # A random static address has its two top bits set (Core Vol 6 Part B, 1.3.2.1).
    raw = bytearray(rng.randbytes(6))
    raw[0] |= 0xC0
    return ":".join(f"{b:02X}" for b in raw)


class Scene:
    """The receivers and tags of a scenario, run in real time."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.scenario = scenario
        self._clock = clock
        self._wall = wall  # EID tags count real seconds, like a tag's own clock
        self._rng = random.Random(scenario.seed)
        radio = scenario.radio
        self.radio = RadioModel(
            path_loss_exponent=radio.path_loss_exponent,
            noise_db=radio.noise_db,
            loss=radio.loss,
            sensitivity_dbm=radio.sensitivity_dbm,
            rng=self._rng,
        )
        self.receivers = [
            PlacedReceiver(
                spec,
                SimReceiver(
                    spec.link, firmware=spec.firmware, heartbeat_s=spec.heartbeat_s, clock=clock
                ),
            )
            for spec in scenario.receivers
        ]
        self.tags = [
            SimTag(
                spec,
                Walker(
                    spec.route,
                    spec.speed_mps,
                    back_and_forth=spec.back_and_forth,
                    start_delay_s=spec.start_delay_s,
                ),
                _adverts(spec),
                spec.address or _random_static_address(self._rng),
            )
            for spec in scenario.tags
        ]
        self.started_at: float | None = None

    def plug(self) -> None:
        """Power every receiver on (those already on stay so); scene time starts now."""
        for receiver in self.receivers:
            if not receiver.sim.plugged:
                receiver.sim.plug()
        if self.started_at is None:
            self.started_at = self._clock()

    def unplug(self) -> None:
        for receiver in self.receivers:
            receiver.sim.unplug()
        self.started_at = None

    def advertise(self, tag: SimTag, t: float) -> list[str]:
        """One advert of ``tag`` at scene time ``t``: the ids of the receivers that heard it."""
        where = tag.walker.position(t)
        adv = tag.adv(self._wall())
        heard = []
        for receiver in self.receivers:
            rssi = self.radio.rssi(tag.spec.tx_power, distance_m(where, receiver.position))
            if rssi is not None and receiver.sim.advert(tag.address, rssi, adv):
                heard.append(receiver.spec.id)
        return heard

    async def run(self) -> None:
        """Plug everything in, run until cancelled, then unplug everything."""
        self.plug()
        try:
            async with asyncio.TaskGroup() as group:
                for receiver in self.receivers:
                    group.create_task(receiver.sim.run(), name=f"heartbeat {receiver.spec.id}")
                for index, tag in enumerate(self.tags):
                    group.create_task(self._tag_loop(tag), name=f"tag {index}")
        finally:
            self.unplug()

    async def _tag_loop(self, tag: SimTag) -> None:
        assert self.started_at is not None
        interval = tag.spec.interval_s
        due = self._clock() + self._rng.uniform(0.0, interval)  # tags are not in phase
        while True:
            await asyncio.sleep(max(0.0, due - self._clock()))
            self.advertise(tag, self._clock() - self.started_at)
            due += interval + self._rng.uniform(0.0, ADV_DELAY_MAX_S)
            if due < self._clock():  # fell behind (a paused process): do not burst
                due = self._clock() + interval
