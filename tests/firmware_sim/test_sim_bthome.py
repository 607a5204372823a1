"""Our BTHome v2 encoder against bthome-ble, an independent implementation of the spec.

Fixed vectors are kept as bytes: the one from the BTHome specification's encryption
page (bthome.io/encryption), and one button frame of ours, so that a change in
either the encoder or the library shows up here as a changed byte.
"""

from __future__ import annotations

import pytest
from bleak import BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bthome_ble import BTHomeBluetoothDeviceData
from habluetooth import BluetoothServiceInfoBleak
from sensor_state_data import SensorUpdate

from mimamori.firmware_sim.ble import SimAir, advertisement_data
from mimamori.firmware_sim.bthome import (
    BUTTON_EVENTS,
    SimBthomeButton,
    bthome_adv,
    button_objects,
    device_info,
    nonce,
    service_data,
)

ADDRESS = "3C:2E:F5:12:34:56"
KEY = bytes.fromhex("231d39c1d7cc1ab1aee224cd096db932")
# Key, MAC, counter and objects of the worked example on bthome.io/encryption (a
# temperature and a humidity), and the service data it arrives at.
SPEC_MAC = "54:48:E6:8F:80:A5"
SPEC_OBJECTS = bytes.fromhex("02ca09 03bf13")
SPEC_COUNTER = int.from_bytes(bytes.fromhex("00112233"), "little")
# information byte, ciphertext, counter, MIC
SPEC_SERVICE_DATA = bytes.fromhex("41 a47266c95f73 00112233 78237214")
# Ours: packet id 7, battery 93 %, a double press; KEY, ADDRESS, counter 258.
BUTTON_SERVICE_DATA = bytes.fromhex("45 303fa9a621df 02010000 2f12031d")


def decode(
    data: bytes, *, key: bytes | None = None, address: str = ADDRESS, at: float = 1.0
) -> tuple[BTHomeBluetoothDeviceData, SensorUpdate]:
    """What bthome-ble makes of one advert carrying BTHome service data ``data``."""
    parser = BTHomeBluetoothDeviceData(bindkey=key)
    return parser, parser.update(service_info(bthome_adv(data), address, at))


def service_info(adv: bytes, address: str, at: float) -> BluetoothServiceInfoBleak:
    device = BLEDevice(address, None, {})
    return BluetoothServiceInfoBleak.from_device_and_advertisement_data(
        device, advertisement_data(adv, -60), "hci0", at, False
    )


def values(update: SensorUpdate) -> dict[str, object]:
    return {k.key: v.native_value for k, v in update.entity_values.items()}


def events(update: SensorUpdate) -> list[tuple[str, str]]:
    return [(k.key, e.event_type) for k, e in update.events.items()]


def test_the_spec_example_is_what_our_encoder_makes() -> None:
    made = service_data(
        SPEC_OBJECTS, key=KEY, address=SPEC_MAC, counter=SPEC_COUNTER, trigger_based=False
    )
    assert nonce(SPEC_MAC, 0x41, SPEC_COUNTER).hex() == "5448e68f80a5d2fc4100112233"
    assert made == SPEC_SERVICE_DATA
    _, update = decode(made, key=KEY, address=SPEC_MAC)
    assert values(update)["temperature"] == 25.06 and values(update)["humidity"] == 50.55


def test_our_fixed_encrypted_button_frame_decodes_with_bthome_ble() -> None:
    objects = button_objects(packet_id=7, battery_pct=93, event="double_press")
    assert service_data(objects, key=KEY, address=ADDRESS, counter=258) == BUTTON_SERVICE_DATA
    parser, update = decode(BUTTON_SERVICE_DATA, key=KEY)
    assert events(update) == [("button", "double_press")]
    assert values(update)["battery"] == 93 and values(update)["packet_id"] == 7
    assert parser.bindkey_verified and parser.encryption_counter == 258
    assert parser.sleepy_device  # the trigger-based bit: a button advertises on events


def test_a_plain_press_decodes_with_bthome_ble() -> None:
    data = service_data(button_objects(packet_id=1, battery_pct=100, event="press"))
    assert data == bytes.fromhex("44 0001 0164 3a01")  # info, packet id, battery, press
    parser, update = decode(data)
    assert events(update) == [("button", "press")]
    assert values(update)["battery"] == 100
    assert not parser.downgrade_detected


@pytest.mark.parametrize("event", [e for e in BUTTON_EVENTS if e != "none"])
def test_every_button_event_reads_back_as_itself(event: str) -> None:
    for key in (None, KEY):
        data = service_data(button_objects(packet_id=3, event=event), key=key, address=ADDRESS)
        assert events(decode(data, key=key)[1]) == [("button", event)]


def test_a_frame_sealed_with_another_key_does_not_decrypt() -> None:
    data = service_data(button_objects(packet_id=1, event="press"), key=KEY, address=ADDRESS)
    parser, update = decode(data, key=bytes(16))
    assert update.events == {} and not parser.bindkey_verified
    # The MAC is part of the nonce: the right key for another device fails too.
    parser, update = decode(data, key=KEY, address="3C:2E:F5:12:34:57")
    assert update.events == {} and not parser.bindkey_verified


def test_the_device_information_byte_follows_the_spec() -> None:
    assert device_info(encrypted=False, trigger_based=False) == 0x40
    assert device_info(encrypted=True, trigger_based=False) == 0x41
    assert device_info(encrypted=True, trigger_based=True) == 0x45


def test_the_encoder_refuses_what_does_not_fit() -> None:
    with pytest.raises(ValueError, match="packet id"):
        button_objects(packet_id=256)
    with pytest.raises(ValueError, match="battery"):
        button_objects(battery_pct=101)
    with pytest.raises(ValueError, match="unknown button event"):
        button_objects(event="squeeze")
    with pytest.raises(ValueError, match="address"):
        service_data(b"\x01\x50", key=KEY)


async def test_the_sim_button_repeats_each_advert_unchanged_and_then_moves_on() -> None:
    air = SimAir()
    heard: list[tuple[BLEDevice, AdvertisementData]] = []
    button = SimBthomeButton(air, ADDRESS, KEY, repeats=3, packet_id=255, counter=41)
    async with BleakScanner(lambda d, a: heard.append((d, a)), backend=air.backend):
        assert button.press() == 3
        button.report_battery(55)
    datas = [a.service_data["0000fcd2-0000-1000-8000-00805f9b34fb"] for _, a in heard]
    assert len(datas) == 6 and len(set(datas[:3])) == 1 and len(set(datas[3:])) == 1
    assert {d.address for d, _ in heard} == {ADDRESS}
    parser = BTHomeBluetoothDeviceData(bindkey=KEY)
    # bthome-ble hands back its live dict of values: read each update before the next.
    first = parser.update(service_info(bthome_adv(datas[0]), ADDRESS, 1.0))
    assert values(first)["packet_id"] == 255 and events(first) == [("button", "press")]
    second = parser.update(service_info(bthome_adv(datas[3]), ADDRESS, 1.1))
    assert values(second)["packet_id"] == 0 and values(second)["battery"] == 55  # wrapped
    assert events(second) == []
    assert int.from_bytes(datas[3][-8:-4], "little") == 42
    assert (button.packet_id, button.counter) == (1, 43)
