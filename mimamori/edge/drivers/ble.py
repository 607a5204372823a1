"""BleDriver: the gateway's own Bluetooth adapter, through bleak.

Passive scanning (the tags' batteries last longer when nobody asks them for a scan
response) needs BlueZ >= 5.56 with experimental features and a monitor pattern for
what we want to hear; ``mode: auto`` tries it and falls back to active scanning.

BlueZ is known to stop delivering adverts without any error (Home Assistant's
habluetooth restarts a local scanner that went quiet for the same reason, see its
``SCANNER_WATCHDOG_TIMEOUT``), so a watchdog restarts the scanner when nothing at
all was heard for ``watchdog_s``. In passive mode BlueZ passes on only our tags,
so a site where no tag goes by for ``watchdog_s`` looks the same as a stall. A
restart is cheap and harmless, so the watchdog restarts without calling the
receiver down: a quiet street at night must not raise ``receiver.down`` alarms.
The receiver is down only when the scanner cannot start (no adapter, BlueZ
refusing); restarts are counted in the status. In active mode any nearby phone
keeps the watchdog fed.

Only adverts that look like our tags leave the driver; the device address is
never read, so no MAC address is kept by this code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import datetime
from typing import Literal

from bleak import BleakScanner
from bleak.args.bluez import BlueZScannerArgs, OrPattern, OrPatternLike
from bleak.assigned_numbers import AdvertisementDataType
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import (
    AdvertisementData,
    AdvertisementDataCallback,
    BaseBleakScanner,
)
from bleak.exc import BleakBluetoothNotAvailableError, BleakError

from mimamori.edge.adverts import APPLE, EDDYSTONE, IBEACON_PREFIX
from mimamori.edge.clock import Clock
from mimamori.edge.config import BleReceiver
from mimamori.edge.drivers.hearing import HearingMeter
from mimamori.edge.observations import Advert, Observation, ReceiverState
from mimamori.protocol.status import DriverStatus

_log = logging.getLogger(__name__)

# What BlueZ's advertisement monitor lets through in passive mode: the start of
# our two tag formats, as AD structures (see edge/adverts.py for the layouts).
TAG_PATTERNS: list[OrPatternLike] = [
    # manufacturer data: Apple's company id (0x004C, little-endian) + iBeacon type 02 15
    OrPattern(0, AdvertisementDataType.MANUFACTURER_SPECIFIC_DATA, b"\x4c\x00" + IBEACON_PREFIX),
    # service data with the Eddystone 16-bit UUID 0xFEAA (little-endian)
    OrPattern(0, AdvertisementDataType.SERVICE_DATA_UUID16, b"\xaa\xfe"),
]
# A 16-bit UUID is the Bluetooth base UUID with it in the first group's low half
# (Core Vol 3 Part B, 2.5.1): 0000xxxx-0000-1000-8000-00805f9b34fb.
BASE_UUID_SUFFIX = "-0000-1000-8000-00805f9b34fb"
EDDYSTONE_UUID = f"0000{EDDYSTONE:04x}{BASE_UUID_SUFFIX}"
# Adverts waiting for the consumer; beyond this they are counted and dropped
# (about 0.2 s of a busy site at the 50,000 adverts/s the pipeline is built for).
QUEUE_MAX = 10_000
RESTART_BASE_S = 0.25
RESTART_MAX_S = 30.0  # like a serial receiver's default reopen_max_s
MAX_REASON = 200  # ReceiverData.reason on the wire holds at most 200 characters
# A healthy BlueZ answers a start or stop over D-Bus in milliseconds; this bound
# only catches a wedged daemon, which must not hang the driver for good.
BLUEZ_CALL_TIMEOUT_S = 15.0

ScanMode = Literal["active", "passive"]


def uuid16(uuid: str) -> int | None:
    """The 16-bit form of a 128-bit UUID string, or None if it is not a base UUID."""
    uuid = uuid.lower()
    if len(uuid) != 36 or not uuid.startswith("0000") or not uuid.endswith(BASE_UUID_SUFFIX):
        return None
    try:
        return int(uuid[4:8], 16)
    except ValueError:
        return None


def is_tag_advert(data: AdvertisementData) -> bool:
    """Does the advert carry one of our tag formats (the passive patterns, checked again)?"""
    apple = data.manufacturer_data.get(APPLE)
    if apple is not None and apple.startswith(IBEACON_PREFIX):
        return True
    return any(key.lower() == EDDYSTONE_UUID for key in data.service_data)


async def stop_quietly(scanner: BleakScanner) -> None:
    """Stop a scan, bounded in time; a scanner that is already gone is not an error."""
    with contextlib.suppress(BleakError, OSError):  # TimeoutError is an OSError
        async with asyncio.timeout(BLUEZ_CALL_TIMEOUT_S):
            await scanner.stop()


async def start_scanner(
    callback: AdvertisementDataCallback,
    mode: ScanMode,
    bluez: BlueZScannerArgs,
    backend: type[BaseBleakScanner] | None,
) -> BleakScanner:
    """A started BleakScanner, or the error of its start (a half-started scan is stopped)."""
    scanner = BleakScanner(callback, scanning_mode=mode, bluez=bluez, backend=backend)
    try:
        async with asyncio.timeout(BLUEZ_CALL_TIMEOUT_S):
            await scanner.start()
    except BaseException:
        await stop_quietly(scanner)  # a half-started scan must not linger
        raise
    return scanner


class BleDriver:
    """Scans with bleak and yields tag adverts heard by the gateway's own adapter."""

    def __init__(
        self,
        config: BleReceiver,
        clock: Clock,
        *,
        backend: type[BaseBleakScanner] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._config = config
        self._clock = clock
        self._backend = backend
        self._rng = rng or random.Random()
        self._mode: ScanMode = "active" if config.mode == "active" else "passive"
        self._state: Literal["starting", "up", "down"] = "starting"
        self._quiet = False  # the watchdog fired and no advert came since (logged once)
        self._detail = ""
        self._last_frame: datetime | None = None
        self._counters: Counter[str] = Counter()
        self._queue: asyncio.Queue[Advert] = asyncio.Queue(QUEUE_MAX)
        self._last_heard = 0.0  # loop time of the last advert of any device
        self._hearing = HearingMeter(clock, config.hearing_minute_s)

    @property
    def id(self) -> str:
        return self._config.id

    @property
    def scanning_mode(self) -> ScanMode:
        """The mode in use (after a fallback in ``auto``: active)."""
        return self._mode

    def status(self) -> DriverStatus:
        return DriverStatus(
            driver="ble",
            state=self._state,
            detail=self._detail,
            last_frame=self._last_frame,
            counters=dict(self._counters),
            heard=self._hearing.status(),
        )

    async def observations(self) -> AsyncGenerator[Observation, None]:
        """Observations until cancelled (or ``aclose()``-d: the scanner is stopped)."""
        loop = asyncio.get_running_loop()
        failures = 0
        while True:
            try:
                scanner = await self._start()
            except (BleakError, OSError) as exc:
                failures += 1
                if (down := self._went_down(f"scanner cannot start: {exc}")) is not None:
                    yield down
                _log.debug("receiver %s: start failed (%d in a row): %s", self.id, failures, exc)
                ceiling = min(RESTART_MAX_S, RESTART_BASE_S * 2 ** min(failures - 1, 20))
                await asyncio.sleep(self._rng.uniform(0.0, ceiling))
                continue
            failures = 0
            self._last_heard = loop.time()
            try:
                if self._state != "up":
                    yield self._went_up(f"scanning ({self._mode})")
                async for observation in self._watch():
                    yield observation
            finally:
                await stop_quietly(scanner)
            # The watchdog fired: a fresh scanner object starts at once.
            self._counters["restarts"] += 1

    async def _watch(self) -> AsyncIterator[Observation]:
        """Adverts until nothing at all was heard for ``watchdog_s`` (then return)."""
        loop = asyncio.get_running_loop()
        watchdog = self._config.watchdog_s
        while True:
            try:
                async with asyncio.timeout_at(self._last_heard + watchdog):
                    advert = await self._queue.get()
            except TimeoutError:
                if loop.time() - self._last_heard < watchdog:
                    continue  # other devices were heard meanwhile: BlueZ still delivers
                self._detail = f"no advert for {watchdog:g} s; scanner restarted"
                if not self._quiet:
                    self._quiet = True
                    _log.warning(
                        "receiver %s: no advert for %g s; restarting the scanner "
                        "(BlueZ may have stopped silently, or the street is quiet)",
                        self.id,
                        watchdog,
                    )
                return
            if self._quiet:
                self._quiet = False
                self._detail = f"scanning ({self._mode})"
                _log.info("receiver %s: adverts arrive again", self.id)
            yield advert

    async def _start(self) -> BleakScanner:
        try:
            return await self._start_in(self._mode)
        except BleakBluetoothNotAvailableError:
            raise  # no adapter or powered off: the mode is not the problem
        except BleakError as exc:
            if self._config.mode != "auto" or self._mode == "active":
                raise
            # Logged once: the fallback sticks for the life of the driver.
            _log.warning(
                "receiver %s: passive scanning unavailable (%s); scanning actively", self.id, exc
            )
            self._mode = "active"
            self._counters["passive_fallbacks"] += 1
            return await self._start_in("active")

    async def _start_in(self, mode: ScanMode) -> BleakScanner:
        bluez: BlueZScannerArgs = {"adapter": self._config.adapter}
        if mode == "passive":
            bluez["or_patterns"] = TAG_PATTERNS
        return await start_scanner(self._on_advert, mode, bluez, self._backend)

    def _on_advert(self, device: BLEDevice, data: AdvertisementData) -> None:
        """bleak's detection callback, on the event loop: keep only what a tag sends."""
        del device  # its address is a tracking handle we have no use for
        self._last_heard = asyncio.get_running_loop().time()
        at = self._clock.monotonic()
        ts = self._clock.now()
        self._hearing.heard(at, ts)  # a phone too: the radio hears
        if not is_tag_advert(data):
            self._counters["ignored"] += 1
            return
        self._last_frame = ts
        service_data: dict[int, bytes] = {}
        for key, value in data.service_data.items():
            short = uuid16(key)
            if short is not None:
                service_data[short] = bytes(value)
        advert = Advert(
            self._config.id, at, ts, data.rssi, dict(data.manufacturer_data), service_data
        )
        try:
            self._queue.put_nowait(advert)
        except asyncio.QueueFull:
            self._counters["queue_full"] += 1
            return
        self._counters["adverts"] += 1

    def _went_down(self, reason: str) -> ReceiverState | None:
        reason = reason[:MAX_REASON]
        self._detail = reason
        if self._state == "down":
            return None
        self._state = "down"
        _log.warning("receiver %s down: %s", self.id, reason)
        return self._state_change(up=False, reason=reason)

    def _went_up(self, detail: str) -> ReceiverState:
        if self._state == "down":
            _log.info("receiver %s recovered: %s", self.id, detail)
        else:
            _log.info("receiver %s up: %s", self.id, detail)
        self._state = "up"
        self._detail = detail
        return self._state_change(up=True, reason=detail)

    def _state_change(self, *, up: bool, reason: str) -> ReceiverState:
        clock = self._clock
        return ReceiverState(self._config.id, clock.monotonic(), clock.now(), up, reason)
