"""BthomeDriver: an off-the-shelf BLE button speaking BTHome v2, decoded by bthome-ble.

The gateway's adapter scans actively (passive scanning needs BlueZ's experimental
features, see ble.py), and only frames from the configured address with BTHome
service data (UUID 0xFCD2) are decoded, by Home Assistant's
maintained ``bthome-ble`` library: AES-CCM with the button's bind key, replay
protection on the encryption counter, and dropping the repeats of one press by
its packet id. The driver adds:

* a second guard on the packet id: bthome-ble takes a packet id it has seen for a
  new frame once 4 s have passed since the first copy (it was made for sensors,
  whose readings may repeat), so a press whose repeats arrive late would count
  twice. Within ``PACKET_REPEAT_S`` the same packet id is a repeat here;
* the refusals, counted and logged (rate-limited, never with the key): a wrong or
  missing bind key (``decrypt_failed``), a plain frame when a key is set
  (``downgrade``: it could be forged), frames that are not BTHome v2 (``garbage``);
* Press for each button event mapped by ``config.cards`` (others: ``ignored_event``)
  and a DeviceReport for every valid frame, with the battery (object 0x01) when sent.

Like BleDriver, a watchdog restarts the scanner (counted as ``restarts``) when
nothing at all was heard for ``WATCHDOG_S``: BlueZ is known to stop delivering
adverts without any error, and a button unheard for hours would raise
``device.silent`` and missed check-ins.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import date, datetime
from decimal import Decimal

from bleak.args.bluez import BlueZScannerArgs
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.exc import BleakError
from bthome_ble import BTHomeBluetoothDeviceData, SensorDeviceClass, SensorUpdate, Units
from habluetooth import BluetoothServiceInfoBleak

from mimamori.edge.clock import Clock
from mimamori.edge.config import BthomeButton
from mimamori.edge.drivers.ble import BASE_UUID_SUFFIX, RESTART_MAX_S, start_scanner, stop_quietly
from mimamori.edge.drivers.link_state import LinkDriver, backoff_s
from mimamori.edge.observations import DeviceReport, Observation, Press
from mimamori.errors import DriverError
from mimamori.protocol.events import Card

_log = logging.getLogger(__name__)

BTHOME_UUID = f"0000fcd2{BASE_UUID_SUFFIX}"  # BTHome v2 service data, UUID16 0xFCD2
ENCRYPTED = 0x01  # device information byte, bit 0
VERSION_2 = 2  # device information byte, bits 5-7
PACKET_ID = 0x00  # the object id of the packet id, first when present (ids ascend)
MIN_ENCRYPTED = 1 + 1 + 8  # information byte, one object byte, counter and MIC
# A button sends the copies of an advert back to back; one heard this much later
# (delivered late, or reported again by BlueZ) is still a copy. Longer, and a button
# that restarted its packet ids (a new battery) could lose a real press, maybe an
# SOS, which is worse than reporting one twice.
PACKET_REPEAT_S = 60.0
WATCHDOG_S = 60.0  # like a BLE receiver's default watchdog_s
QUEUE_MAX = 1000  # a button sends a few frames a minute at most; beyond this, a flood


class _Refused(Exception):
    """A frame the driver does not take; ``reason`` is its counter."""

    def __init__(self, reason: str, why: str) -> None:
        self.reason = reason
        super().__init__(why)


def _whole(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) else None


class _FrameParser(BTHomeBluetoothDeviceData):
    """bthome-ble's parser, remembering the values the last frame itself carried.

    ``update()`` returns every value seen so far, old ones included; the library
    calls ``update_sensor`` (sensor-state-data's public API) once for each value
    of the frame it parses, so that is where this frame's values are known.
    """

    def __init__(self, bindkey: bytes | None) -> None:
        super().__init__(bindkey=bindkey)
        self.values: dict[str, object] = {}

    def update_sensor(  # noqa: PLR0917  (sensor-state-data's signature)
        self,
        key: str,
        native_unit_of_measurement: Units | None,
        native_value: str | int | float | date | datetime | Decimal | None,
        device_class: SensorDeviceClass | None = None,
        name: str | None = None,
        device_id: str | None = None,
    ) -> None:
        self.values[key] = native_value
        super().update_sensor(
            key, native_unit_of_measurement, native_value, device_class, name, device_id
        )


class BthomeDriver(LinkDriver[BthomeButton]):
    """Scans for one BTHome button; yields Press and DeviceReport observations."""

    kind = "bthome"
    noun = "button"
    log = _log

    def __init__(
        self,
        config: BthomeButton,
        clock: Clock,
        backend: type[BaseBleakScanner] | None = None,
        *,
        rng: random.Random | None = None,
        watchdog_s: float = WATCHDOG_S,
    ) -> None:
        super().__init__(config, clock, rng=rng)
        self._backend = backend
        self._watchdog_s = watchdog_s
        try:
            self._key = config.read_bind_key()
        except (OSError, ValueError) as exc:
            raise DriverError(f"button {config.id}: cannot read its bind key: {exc}") from exc
        self._parser = _FrameParser(self._key)
        self._address = config.address.upper()
        self._cards: dict[str, Card] = {event: card for event, card in config.cards.items()}
        self._queue: asyncio.Queue[Observation] = asyncio.Queue(QUEUE_MAX)
        self._last_heard = 0.0  # loop time of the last advert of any device
        self._last_data = b""  # service data of the last frame bthome-ble took
        self._last_packet: tuple[int, float] | None = None  # (packet id, when)
        # bthome-ble warns about every frame it refuses (a wrong key: every advert
        # of every press); this driver counts them and warns rate-limited instead.
        logging.getLogger("bthome_ble").setLevel(logging.ERROR)

    async def observations(self) -> AsyncGenerator[Observation, None]:
        """Observations until cancelled (or ``aclose()``-d: the scanner is stopped)."""
        loop = asyncio.get_running_loop()
        bluez: BlueZScannerArgs = {"adapter": self._config.adapter}
        failures = 0
        while True:
            try:
                scanner = await start_scanner(self._on_advert, "active", bluez, self._backend)
            except (BleakError, OSError) as exc:
                failures += 1
                self._link.down(f"scanner cannot start: {exc}")
                await asyncio.sleep(backoff_s(self._rng, failures, RESTART_MAX_S))
                continue
            failures = 0
            self._last_heard = loop.time()
            if self._link.state != "up":
                self._link.up(f"scanning on {self._config.adapter}")
            try:
                async for observation in self._until_quiet():
                    yield observation
            finally:
                await stop_quietly(scanner)
            self._counters["restarts"] += 1

    async def _until_quiet(self) -> AsyncIterator[Observation]:
        """What the scanner hears, until it heard nothing at all for ``watchdog_s``."""
        loop = asyncio.get_running_loop()
        quiet_s = self._watchdog_s
        while loop.time() - self._last_heard < quiet_s:
            try:
                async with asyncio.timeout_at(self._last_heard + quiet_s):
                    observation = await self._queue.get()
            except TimeoutError:
                continue  # the loop condition tells a quiet scanner from a late wake-up
            yield observation
        _log.debug("button %s: nothing heard for %g s; restarting the scanner", self.id, quiet_s)

    def _on_advert(self, device: BLEDevice, adv: AdvertisementData) -> None:
        """bleak's detection callback, on the event loop: never raises."""
        self._last_heard = asyncio.get_running_loop().time()
        if device.address.upper() != self._address:
            return
        for observation in self._frame(device, adv):
            try:
                self._queue.put_nowait(observation)
            except asyncio.QueueFull:
                self._counters["queue_full"] += 1

    def _frame(self, device: BLEDevice, adv: AdvertisementData) -> list[Observation]:
        data = adv.service_data.get(BTHOME_UUID)
        if data is None:
            self._counters["ignored"] += 1  # our button, but no BTHome data in it
            return []
        at = self._clock.monotonic()
        info = BluetoothServiceInfoBleak.from_device_and_advertisement_data(
            device, adv, self._config.adapter, at, False
        )
        try:
            update = self._decode(bytes(data), info)
        except _Refused as refused:
            self._counters[refused.reason] += 1
            self._faults.warning(
                refused.reason,
                "button %s: frame refused (%s): %s",
                self.id,
                refused.reason,
                refused,
            )
            return []
        ts = self._clock.now()
        self._link.last_frame = ts
        if update is None:
            return self._repeat(at, ts)
        self._last_data = bytes(data)
        self._counters["frames"] += 1
        packet_id = _whole(self._parser.values.get("packet_id"))
        report = DeviceReport(self.id, at, ts, _whole(self._parser.values.get("battery")))
        if packet_id is not None:
            last = self._last_packet
            if last is not None and last[0] == packet_id and at - last[1] < PACKET_REPEAT_S:
                return self._repeat(at, ts, report)  # a late repeat bthome-ble let through
            self._last_packet = (packet_id, at)
        return [*self._presses(update, at, ts, packet_id), report]

    def _decode(self, data: bytes, info: BluetoothServiceInfoBleak) -> SensorUpdate | None:
        """bthome-ble's reading of a new frame; None for a repeat; _Refused for a bad one."""
        encrypted = bool(data[0] & ENCRYPTED) if data else False
        if len(data) < (MIN_ENCRYPTED if encrypted else 2) or (data[0] >> 5) & 7 != VERSION_2:
            raise _Refused("garbage", "not a BTHome v2 frame")
        parser = self._parser
        parser.values.clear()
        try:
            update = parser.update(info)
        except Exception as exc:  # bthome-ble indexes into frames unchecked; never crash
            raise _Refused(
                "garbage", f"bthome-ble could not read it ({type(exc).__name__})"
            ) from exc
        if parser.downgrade_detected:
            raise _Refused("downgrade", "a plain frame although a bind key is set")
        if encrypted and not self._decrypted(data):
            why = "no bind_key_file is set" if self._key is None else "wrong bind key or replayed"
            raise _Refused("decrypt_failed", f"encrypted frame not decrypted ({why})")
        if parser.last_service_info is info:
            return update
        if encrypted or self._same_packet(data):
            return None  # bthome-ble dropped a repeat
        raise _Refused("garbage", "no BTHome object bthome-ble could read")

    def _presses(
        self, update: SensorUpdate, at: float, ts: datetime, counter: int | None
    ) -> list[Press]:
        presses: list[Press] = []
        for event in update.events.values():
            card = self._cards.get(event.event_type)
            if not event.device_key.key.startswith("button") or card is None:
                self._counters["ignored_event"] += 1
                continue
            self._counters["presses"] += 1
            _log.info("button %s: %s (%s, packet %s)", self.id, card, event.event_type, counter)
            presses.append(Press(self.id, at, ts, card, counter))
        return presses

    def _decrypted(self, data: bytes) -> bool:
        """Did bthome-ble decrypt this frame, now or (an identical copy) just before?"""
        parser = self._parser
        counter = int.from_bytes(data[-8:-4], "little")
        return (
            parser.bindkey_verified
            and not parser.decryption_failed
            and parser.encryption_counter == counter
        )

    def _same_packet(self, data: bytes) -> bool:
        """A plain frame bthome-ble refused: a copy of the last one it took?"""
        if data == self._last_data:
            return True
        last = self._last_packet
        return last is not None and len(data) >= 3 and data[1] == PACKET_ID and data[2] == last[0]

    def _repeat(
        self, at: float, ts: datetime, report: DeviceReport | None = None
    ) -> list[Observation]:
        self._counters["duplicates"] += 1
        if self._last_packet is not None:
            self._last_packet = (self._last_packet[0], at)  # repeats keep the window open
        return [report or DeviceReport(self.id, at, ts)]
