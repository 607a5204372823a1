"""Advert parsing as pure functions: bytes in, a typed tag frame (or nothing) out.

Formats (facts from their public specifications):

* AD structures (Bluetooth Core, Vol 3 Part C, 11): ``len, type, data[len-1]`` repeated;
  a length of 0 ends the significant part. 0xFF is manufacturer specific data
  (company id little-endian first), 0x16 is service data with a 16-bit UUID (LE first).
* iBeacon: Apple (company 0x004C) data ``02 15 uuid[16] major[2, BE] minor[2, BE] tx[1]``.
* Eddystone (service 0xFEAA): frame type 0x00 is UID:
  ``00 tx[1] namespace[10] instance[6] (rfu[2])``; frame type 0x30 is EID:
  ``30 tx[1] eid[8]``, "fixed and truncated after the EID bytes". The gateway holds no
  key: it forwards the EID as the tag id, and only the hub knows whose it is.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from mimamori.protocol.tags import TagFormat, eddystone_eid_id, eddystone_uid_id, ibeacon_id

AD_SERVICE_DATA_16 = 0x16
AD_MANUFACTURER = 0xFF
APPLE = 0x004C
IBEACON_PREFIX = b"\x02\x15"
EDDYSTONE = 0xFEAA
EDDYSTONE_UID = 0x00
EDDYSTONE_EID = 0x30


class AdvertError(ValueError):
    """Advertising data that is not well-formed; ``reason`` is a short counter name."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class TagFrame:
    tag_id: str
    format: TagFormat
    tx_power: int  # calibrated RSSI: at 1 m for iBeacon, at 0 m for Eddystone


def parse_ad_structures(data: bytes) -> tuple[dict[int, bytes], dict[int, bytes]]:
    """Split advertising data into (manufacturer data by company, service data by UUID16)."""
    manufacturer: dict[int, bytes] = {}
    service_data: dict[int, bytes] = {}
    i = 0
    end = len(data)
    while i < end:
        length = data[i]
        if length == 0:  # padding: the significant part is over
            break
        if i + 1 + length > end:
            raise AdvertError(
                "truncated", f"AD structure at byte {i} claims {length} bytes, {end - i - 1} left"
            )
        ad_type = data[i + 1]
        body = data[i + 2 : i + 1 + length]
        if ad_type == AD_MANUFACTURER:
            if len(body) < 2:
                raise AdvertError("short_field", f"manufacturer data at byte {i} has no company id")
            manufacturer[body[0] | body[1] << 8] = body[2:]
        elif ad_type == AD_SERVICE_DATA_16:
            if len(body) < 2:
                raise AdvertError("short_field", f"service data at byte {i} has no UUID")
            service_data[body[0] | body[1] << 8] = body[2:]
        i += 1 + length
    return manufacturer, service_data


def _signed(byte: int) -> int:
    return byte - 256 if byte > 127 else byte


def decode_ibeacon(data: bytes) -> TagFrame | None:
    """Apple manufacturer data (after the company id) -> iBeacon frame, if it is one."""
    if len(data) != 23 or not data.startswith(IBEACON_PREFIX):
        return None
    proximity = uuid.UUID(bytes=bytes(data[2:18]))
    major = data[18] << 8 | data[19]
    minor = data[20] << 8 | data[21]
    return TagFrame(ibeacon_id(proximity, major, minor), TagFormat.IBEACON, _signed(data[22]))


def decode_eddystone(data: bytes) -> TagFrame | None:
    """Eddystone service data -> UID or EID frame, if it is one (URL, TLM...: None)."""
    if len(data) == 10 and data[0] == EDDYSTONE_EID:
        return TagFrame(
            eddystone_eid_id(bytes(data[2:10])), TagFormat.EDDYSTONE_EID, _signed(data[1])
        )
    if len(data) not in (18, 20) or data[0] != EDDYSTONE_UID:
        return None
    return TagFrame(
        eddystone_uid_id(bytes(data[2:12]), bytes(data[12:18])),
        TagFormat.EDDYSTONE_UID,
        _signed(data[1]),
    )


def decode_tag(
    manufacturer: Mapping[int, bytes] | None, service_data: Mapping[int, bytes] | None
) -> TagFrame | None:
    """The tag frame carried by an advert, or None when it is no tag we know."""
    if manufacturer and (apple := manufacturer.get(APPLE)) is not None:
        frame = decode_ibeacon(apple)
        if frame is not None:
            return frame
    if service_data and (eddy := service_data.get(EDDYSTONE)) is not None:
        return decode_eddystone(eddy)
    return None
