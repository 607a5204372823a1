"""A simulated air for bleak: tags broadcast into it, sim scanners hear it.

``SimAir.backend`` is a ``BaseBleakScanner`` subclass to pass as
``BleakScanner(..., backend=air.backend)``: code under test drives the real
``BleakScanner`` API, and the backend builds ``AdvertisementData`` and
``BLEDevice`` the way bleak's BlueZ backend does (keys of service data are
128-bit UUID strings, manufacturer data is keyed by company id, devices are
kept in ``seen_devices`` by object path).

Faults it can play:

* ``stall()``: running scanners stop delivering without any error, until they are
  stopped and started again (what BlueZ is known to do);
* ``passive_supported=False``: passive scanning fails at start with BlueZ's error
  (BlueZ < 5.56 or no ``--experimental``);
* ``adapters`` / ``powered``: a missing adapter or Bluetooth switched off.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from bleak.args.bluez import BlueZScannerArgs, OrPatternLike
from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bleak.exc import BleakBluetoothNotAvailableError, BleakBluetoothNotAvailableReason, BleakError

from mimamori.firmware_sim.frames import iter_ad_structures

BASE_UUID_SUFFIX = "-0000-1000-8000-00805f9b34fb"
# bleak's BlueZ backend raises this text when RegisterMonitor is unknown.
PASSIVE_UNSUPPORTED = (
    "passive scanning on Linux requires BlueZ >= 5.56 with --experimental enabled "
    "and Linux kernel >= 5.10"
)


def _uuid16(value: int) -> str:
    return f"0000{value:04x}{BASE_UUID_SUFFIX}"


def _uuid128(le_bytes: bytes) -> str:
    h = le_bytes[::-1].hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def advertisement_data(
    adv: bytes, rssi: int, platform_data: tuple[Any, ...] = ()
) -> AdvertisementData:
    """Raw advertising data -> bleak's AdvertisementData, keyed as BlueZ reports it."""
    name: str | None = None
    manufacturer: dict[int, bytes] = {}
    service_data: dict[str, bytes] = {}
    service_uuids: list[str] = []
    tx_power: int | None = None
    for ad_type, data in iter_ad_structures(adv):
        if ad_type in (0x08, 0x09):  # shortened / complete local name
            name = data.decode("utf-8", "replace")
        elif ad_type in (0x02, 0x03):  # 16-bit service UUID lists
            pairs = range(0, len(data) - 1, 2)
            service_uuids += [_uuid16(int.from_bytes(data[i : i + 2], "little")) for i in pairs]
        elif ad_type in (0x06, 0x07):  # 128-bit service UUID lists
            service_uuids += [_uuid128(data[i : i + 16]) for i in range(0, len(data) - 15, 16)]
        elif ad_type == 0x0A and data:
            tx_power = int.from_bytes(data[:1], "little", signed=True)
        elif ad_type == 0x16 and len(data) >= 2:
            service_data[_uuid16(int.from_bytes(data[:2], "little"))] = bytes(data[2:])
        elif ad_type == 0x21 and len(data) >= 16:
            service_data[_uuid128(data[:16])] = bytes(data[16:])
        elif ad_type == 0xFF and len(data) >= 2:
            manufacturer[int.from_bytes(data[:2], "little")] = bytes(data[2:])
    return AdvertisementData(
        local_name=name,
        manufacturer_data=manufacturer,
        service_data=service_data,
        service_uuids=service_uuids,
        tx_power=tx_power,
        rssi=rssi,
        platform_data=platform_data,
    )


def matches_or_patterns(adv: bytes, patterns: list[OrPatternLike]) -> bool:
    """BlueZ's advertisement monitor: any pattern found in an AD structure of its type."""
    for ad_type, data in iter_ad_structures(adv):
        for start, pattern_type, content in patterns:
            if ad_type == pattern_type and data[start : start + len(content)] == content:
                return True
    return False


class SimAir:
    """The radio space around one gateway."""

    def __init__(
        self,
        *,
        adapters: tuple[str, ...] = ("hci0",),
        passive_supported: bool = True,
        powered: bool = True,
    ) -> None:
        self.adapters = set(adapters)
        self.passive_supported = passive_supported
        self.powered = powered
        self.attempts = 0  # scanner starts tried, across all scanners
        self.starts = 0  # ...and those that succeeded
        self._running: list[SimBleakScanner] = []
        self.backend: type[SimBleakScanner] = type(
            "SimBleakScanner", (SimBleakScanner,), {"air": self}
        )

    @property
    def scanners(self) -> list[SimBleakScanner]:
        """Scanners started and not yet stopped."""
        return list(self._running)

    def broadcast(self, address: str, adv: bytes, rssi: int) -> int:
        """One advert on the air; returns how many scanners delivered it."""
        return sum(scanner.hear(address, adv, rssi) for scanner in list(self._running))

    def stall(self) -> None:
        """Every running scanner goes quiet, silently, until it is restarted."""
        for scanner in self._running:
            scanner.stalled = True

    def _attach(self, scanner: SimBleakScanner) -> None:
        self.attempts += 1
        if not self.powered:
            raise BleakBluetoothNotAvailableError(
                "Bluetooth is turned off", BleakBluetoothNotAvailableReason.POWERED_OFF
            )
        if scanner.adapter not in self.adapters:
            raise BleakError(f"adapter '{scanner.adapter}' not found")
        if scanner.mode == "passive" and not self.passive_supported:
            raise BleakError(PASSIVE_UNSUPPORTED)
        self.starts += 1
        self._running.append(scanner)

    def _detach(self, scanner: SimBleakScanner) -> None:
        if scanner in self._running:
            self._running.remove(scanner)


class SimBleakScanner(BaseBleakScanner):
    """A bleak scanner backend listening to a SimAir (use ``SimAir.backend``)."""

    air: ClassVar[SimAir]

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: Literal["active", "passive"],
        *,
        bluez: BlueZScannerArgs,
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self.mode = scanning_mode
        self.adapter = bluez.get("adapter", "hci0")
        self.or_patterns = list(bluez.get("or_patterns", []))
        self.stalled = False
        if scanning_mode == "passive" and not self.or_patterns:
            raise BleakError("passive scanning mode requires bluez or_patterns")

    async def start(self) -> None:
        self.seen_devices = {}
        self.stalled = False
        self.air._attach(self)

    async def stop(self) -> None:
        self.air._detach(self)

    def hear(self, address: str, adv: bytes, rssi: int) -> bool:
        """An advert reaches this scanner's adapter; True if it was delivered."""
        if self.stalled:
            return False
        if self.mode == "passive" and not matches_or_patterns(adv, self.or_patterns):
            return False
        path = f"/org/bluez/{self.adapter}/dev_{address.replace(':', '_').upper()}"
        data = advertisement_data(adv, rssi, (path, {}))
        if not self.is_allowed_uuid(data.service_uuids):
            return False
        device = self.create_or_update_device(
            path, address.upper(), data.local_name, {"path": path, "props": {}}, data
        )
        self.call_detection_callbacks(device, data)
        return True
