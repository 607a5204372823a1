"""BTHome v2 adverts, encoded from the format specification, and a button that sends them.

Written from the specification (https://bthome.io/format/, /encryption/), not from
bthome-ble: the gateway decodes with bthome-ble, and the tests check that the two
independent implementations agree. The format:

* Service data of the 16-bit UUID 0xFCD2 (``D2 FC`` on the air, little-endian).
* First, the device information byte: bit 0 encryption, bit 2 trigger-based (the
  device advertises on events, not at a regular interval), bits 5-7 the version, 2.
* Then objects, each an id byte and a little-endian value, in increasing id order:
  ``0x00`` packet id (uint8; the same for every copy of one advert, which is how a
  receiver drops repeats), ``0x01`` battery (uint8, %), ``0x3A`` button event (uint8).
* Encrypted: the objects are sealed with AES-CCM (the 16-byte bind key, a 4-byte
  MIC, no associated data) under the nonce MAC (6 bytes, as printed) + UUID
  (``D2 FC``) + the device information byte + counter (uint32, little-endian); the
  service data is the information byte, the ciphertext, the counter and the MIC.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.ciphers.aead import AESCCM

from mimamori.firmware_sim.ble import SimAir
from mimamori.firmware_sim.frames import AD_FLAGS, AD_SERVICE_DATA_16, FLAGS_BEACON, ad_structure

BTHOME_UUID = 0xFCD2
INFO_ENCRYPTED = 0x01  # bit 0
INFO_TRIGGER_BASED = 0x04  # bit 2
INFO_VERSION_2 = 2 << 5  # bits 5-7
OBJ_PACKET_ID = 0x00
OBJ_BATTERY = 0x01
OBJ_BUTTON = 0x3A
BUTTON_EVENTS = {
    "none": 0x00,
    "press": 0x01,
    "double_press": 0x02,
    "triple_press": 0x03,
    "long_press": 0x04,
    "long_double_press": 0x05,
    "long_triple_press": 0x06,
    "hold_press": 0x80,
}
MIC_LEN = 4
AD_COMPLETE_NAME = 0x09


def _uint8(value: int, what: str) -> bytes:
    if not 0 <= value <= 0xFF:
        raise ValueError(f"{what} {value} does not fit a byte")
    return bytes((value,))


def mac_bytes(address: str) -> bytes:
    """``"54:48:E6:8F:80:A5"`` -> its 6 bytes in the order printed (as in the nonce)."""
    raw = bytes.fromhex(address.replace(":", ""))
    if len(raw) != 6:
        raise ValueError(f"address {address!r} is not 6 bytes")
    return raw


def device_info(*, encrypted: bool, trigger_based: bool = True) -> int:
    return (
        INFO_VERSION_2
        | (INFO_ENCRYPTED if encrypted else 0)
        | (INFO_TRIGGER_BASED if trigger_based else 0)
    )


def button_objects(
    *, packet_id: int | None = None, battery_pct: int | None = None, event: str | None = None
) -> bytes:
    """The objects of a button's advert, in increasing id order."""
    objects = b""
    if packet_id is not None:
        objects += bytes((OBJ_PACKET_ID,)) + _uint8(packet_id, "packet id")
    if battery_pct is not None:
        if battery_pct > 100:
            raise ValueError(f"battery {battery_pct} % above 100")
        objects += bytes((OBJ_BATTERY,)) + _uint8(battery_pct, "battery")
    if event is not None:
        if event not in BUTTON_EVENTS:
            raise ValueError(f"unknown button event {event!r}")
        objects += bytes((OBJ_BUTTON, BUTTON_EVENTS[event]))
    return objects


def nonce(address: str, info: int, counter: int) -> bytes:
    return (
        mac_bytes(address) + BTHOME_UUID.to_bytes(2, "little") + bytes((info,)) + _counter(counter)
    )


def _counter(counter: int) -> bytes:
    if not 0 <= counter <= 0xFFFFFFFF:
        raise ValueError(f"counter {counter} does not fit 32 bits")
    return counter.to_bytes(4, "little")


def service_data(
    objects: bytes,
    *,
    key: bytes | None = None,
    address: str | None = None,
    counter: int = 0,
    trigger_based: bool = True,
) -> bytes:
    """The BTHome service data (after the UUID): plain, or sealed with ``key``.

    Encrypting needs the device's ``address`` (it is part of the nonce) and a
    ``counter`` that the device increases for every new advert.
    """
    info = device_info(encrypted=key is not None, trigger_based=trigger_based)
    if key is None:
        return bytes((info,)) + objects
    if address is None:
        raise ValueError("an encrypted frame needs the device address (part of the nonce)")
    sealed = AESCCM(key, tag_length=MIC_LEN).encrypt(nonce(address, info, counter), objects, None)
    return bytes((info,)) + sealed[:-MIC_LEN] + _counter(counter) + sealed[-MIC_LEN:]


def bthome_adv(data: bytes, *, name: str | None = None) -> bytes:
    """The advertising data carrying BTHome service data ``data`` (and a name, if any)."""
    adv = ad_structure(AD_FLAGS, bytes((FLAGS_BEACON,)))
    adv += ad_structure(AD_SERVICE_DATA_16, BTHOME_UUID.to_bytes(2, "little") + data)
    if name is not None:
        adv += ad_structure(AD_COMPLETE_NAME, name.encode("utf-8"))
    return adv


class SimBthomeButton:
    """A battery BLE button speaking BTHome v2, broadcasting into a SimAir.

    Like real buttons, it sends each advert ``repeats`` times in a row, every copy
    the same (same packet id, and encrypted, the same counter), so that one of them
    gets through; a new advert has the next packet id and counter.
    """

    def __init__(
        self,
        air: SimAir,
        address: str,
        bind_key: bytes | None = None,
        *,
        battery_pct: int | None = 100,
        repeats: int = 3,
        rssi: int = -60,
        packet_id: int = 0,
        counter: int = 0,
    ) -> None:
        mac_bytes(address)  # refuse a bad address now, not at the first press
        self.air = air
        self.address = address.upper()
        self.bind_key = bind_key
        self.battery_pct = battery_pct
        self.repeats = repeats
        self.rssi = rssi
        self.packet_id = packet_id  # of the next advert
        self.counter = counter  # of the next encrypted advert
        self.last_adv = b""

    def press(self, event: str = "press") -> int:
        """A button event (``double_press``...); how many scanners heard its copies."""
        return self._advertise(event)

    def report_battery(self, battery_pct: int) -> int:
        """The periodic advert with only the battery level."""
        self.battery_pct = battery_pct
        return self._advertise(None)

    def repeat(self, times: int = 1) -> int:
        """The last advert again, unchanged (a late copy)."""
        return sum(self.air.broadcast(self.address, self.last_adv, self.rssi) for _ in range(times))

    def _advertise(self, event: str | None) -> int:
        objects = button_objects(
            packet_id=self.packet_id, battery_pct=self.battery_pct, event=event
        )
        data = service_data(objects, key=self.bind_key, address=self.address, counter=self.counter)
        self.packet_id = (self.packet_id + 1) & 0xFF
        if self.bind_key is not None:
            self.counter = (self.counter + 1) & 0xFFFFFFFF
        self.last_adv = bthome_adv(data)
        return self.repeat(self.repeats)
