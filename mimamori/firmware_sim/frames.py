"""Real advertising data, as a tag puts it on the air.

Layouts (from the public specifications; the edge parses them in edge/adverts.py):

* AD structure (Bluetooth Core, Vol 3 Part C, 11): ``len, type, data[len-1]``.
* Flags 0x06: LE General Discoverable, BR/EDR not supported (Core Supplement, Part A, 1.3);
  what beacons send.
* iBeacon: manufacturer data of Apple (0x004C, little-endian) ``02 15 uuid[16]
  major[2, BE] minor[2, BE] tx[1]``; tx is the calibrated RSSI at 1 m.
* Eddystone-UID: complete list of 16-bit UUIDs with 0xFEAA, then service data
  ``AA FE 00 tx[1] namespace[10] instance[6] rfu[2]``; tx is the power at 0 m.
* Eddystone-EID: the same, with service data ``AA FE 30 tx[1] eid[8]`` and nothing after
  (the frame is "fixed and truncated after the EID bytes"). The EID itself comes from
  protocol/eid.py: a tag of that kind is ``EidTagSpec`` in scene.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from mimamori.protocol.tags import TagFormat, is_valid_tag_id

AD_FLAGS = 0x01
AD_UUID16_COMPLETE = 0x03
AD_SERVICE_DATA_16 = 0x16
AD_MANUFACTURER = 0xFF
FLAGS_BEACON = 0x06
APPLE = 0x004C
EDDYSTONE = 0xFEAA
# The Eddystone-UID spec tells implementers to measure at 1 m and add 41 dB, "the
# signal loss that occurs over 1 meter", to get its 0 m calibration.
EDDYSTONE_1M_TO_0M_DB = 41


def ad_structure(ad_type: int, data: bytes) -> bytes:
    if len(data) > 30:  # one byte of length, one of type: 31 bytes of payload at most
        raise ValueError(f"AD structure data of {len(data)} bytes, at most 30")
    return bytes((len(data) + 1, ad_type)) + data


def _tx_byte(tx_power: int) -> bytes:
    if not -128 <= tx_power <= 127:
        raise ValueError(f"tx power {tx_power} does not fit a signed byte")
    return tx_power.to_bytes(1, "big", signed=True)


def ibeacon_adv(proximity_uuid: uuid.UUID, major: int, minor: int, tx_power: int = -59) -> bytes:
    """An iBeacon advert (30 bytes). -59 dBm at 1 m is a common factory calibration."""
    if not (0 <= major <= 0xFFFF and 0 <= minor <= 0xFFFF):
        raise ValueError("major and minor are 16-bit unsigned numbers")
    payload = (
        APPLE.to_bytes(2, "little")
        + b"\x02\x15"
        + proximity_uuid.bytes
        + major.to_bytes(2, "big")
        + minor.to_bytes(2, "big")
        + _tx_byte(tx_power)
    )
    return ad_structure(AD_FLAGS, bytes((FLAGS_BEACON,))) + ad_structure(AD_MANUFACTURER, payload)


def eddystone_uid_adv(namespace: bytes, instance: bytes, tx_power: int = -20) -> bytes:
    """An Eddystone-UID advert (31 bytes); ``tx_power`` is the calibration at 0 m."""
    if len(namespace) != 10 or len(instance) != 6:
        raise ValueError("an Eddystone-UID has a 10-byte namespace and a 6-byte instance")
    uuid_le = EDDYSTONE.to_bytes(2, "little")
    frame = b"\x00" + _tx_byte(tx_power) + namespace + instance + b"\x00\x00"
    return (
        ad_structure(AD_FLAGS, bytes((FLAGS_BEACON,)))
        + ad_structure(AD_UUID16_COMPLETE, uuid_le)
        + ad_structure(AD_SERVICE_DATA_16, uuid_le + frame)
    )


def eddystone_eid_adv(eid: bytes, tx_power: int = -20) -> bytes:
    """An Eddystone-EID advert (21 bytes); ``tx_power`` is the calibration at 0 m."""
    if len(eid) != 8:
        raise ValueError("an Eddystone-EID is 8 bytes")
    uuid_le = EDDYSTONE.to_bytes(2, "little")
    frame = b"\x30" + _tx_byte(tx_power) + eid
    return (
        ad_structure(AD_FLAGS, bytes((FLAGS_BEACON,)))
        + ad_structure(AD_UUID16_COMPLETE, uuid_le)
        + ad_structure(AD_SERVICE_DATA_16, uuid_le + frame)
    )


def adv_for_tag(tag_id: str, *, tx_power_1m: int = -59) -> bytes:
    """The advert a tag named ``tag_id`` (protocol/tags.py) sends; tx calibrated at 1 m."""
    if not is_valid_tag_id(tag_id):
        raise ValueError(f"{tag_id!r} is not a tag id")
    fmt, rest = tag_id.split(":", 1)
    if fmt == TagFormat.IBEACON:
        proximity, major, minor = rest.rsplit(":", 2)
        return ibeacon_adv(uuid.UUID(proximity), int(major), int(minor), tx_power_1m)
    if fmt == TagFormat.EDDYSTONE_EID:  # one period of an EID tag, frozen
        return eddystone_eid_adv(bytes.fromhex(rest), tx_power_1m + EDDYSTONE_1M_TO_0M_DB)
    namespace, instance = rest.split(":")
    return eddystone_uid_adv(
        bytes.fromhex(namespace), bytes.fromhex(instance), tx_power_1m + EDDYSTONE_1M_TO_0M_DB
    )


def iter_ad_structures(data: bytes) -> Iterator[tuple[int, bytes]]:
    """``(type, data)`` of each AD structure; stops at padding or a truncated one."""
    i = 0
    while i < len(data):
        length = data[i]
        if length == 0 or i + 1 + length > len(data):
            return
        yield data[i + 1], data[i + 2 : i + 1 + length]
        i += 1 + length
