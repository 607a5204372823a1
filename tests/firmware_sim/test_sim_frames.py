"""Tag frames built by the sim, read back by the edge's own parser."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mimamori.edge.adverts import decode_tag, parse_ad_structures
from mimamori.firmware_sim.frames import (
    adv_for_tag,
    eddystone_eid_adv,
    eddystone_uid_adv,
    ibeacon_adv,
    iter_ad_structures,
)
from mimamori.protocol.tags import TagFormat, eddystone_eid_id, eddystone_uid_id, ibeacon_id

TOWN = uuid.UUID("fda50693-a4e2-4fb1-afcf-c6eb07647825")


def decoded(adv: bytes) -> tuple[str, TagFormat, int]:
    frame = decode_tag(*parse_ad_structures(adv))
    assert frame is not None
    return frame.tag_id, frame.format, frame.tx_power


def test_an_ibeacon_advert_has_flags_and_apple_data_in_31_bytes() -> None:
    adv = ibeacon_adv(TOWN, 100, 7, tx_power=-59)
    assert len(adv) == 30
    assert adv[:3] == bytes.fromhex("020106")
    assert adv[3:9] == bytes.fromhex("1AFF4C000215")
    assert decoded(adv) == (ibeacon_id(TOWN, 100, 7), TagFormat.IBEACON, -59)


def test_an_eddystone_uid_advert_lists_feaa_and_carries_the_uid() -> None:
    namespace, instance = bytes(range(10)), bytes.fromhex("a1b2c3d4e5f6")
    adv = eddystone_uid_adv(namespace, instance, tx_power=-20)
    assert len(adv) == 31
    assert [t for t, _ in iter_ad_structures(adv)] == [0x01, 0x03, 0x16]
    assert decoded(adv) == (eddystone_uid_id(namespace, instance), TagFormat.EDDYSTONE_UID, -20)


def test_an_eddystone_eid_advert_carries_frame_0x30_and_the_8_byte_eid() -> None:
    eid = bytes.fromhex("7dd8169dae94258c")
    adv = eddystone_eid_adv(eid, tx_power=-21)
    assert len(adv) == 21
    assert adv[-14:] == bytes.fromhex("0d16aafe30eb7dd8169dae94258c")
    assert decoded(adv) == (eddystone_eid_id(eid), TagFormat.EDDYSTONE_EID, -21)


def test_eddystone_frames_the_edge_does_not_know_are_not_tags() -> None:
    # a URL frame (0x10), a TLM frame (0x20) and an EID frame with a byte too many
    for service_data in ("aafe10ee0367", "aafe2000" + "00" * 12, "aafe30eb" + "11" * 9):
        body = bytes.fromhex(service_data)
        adv = bytes((len(body) + 1, 0x16)) + body
        assert decode_tag(*parse_ad_structures(adv)) is None


@pytest.mark.parametrize(
    "tag_id",
    [
        "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:100:7",
        "ibeacon:00000000-0000-0000-0000-000000000000:0:0",
        "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:65535:65535",
        "eddystone-uid:00112233445566778899:a1b2c3d4e5f6",
        "eddystone-eid:7dd8169dae94258c",
    ],
)
def test_adv_for_tag_builds_the_frame_the_edge_names_the_same(tag_id: str) -> None:
    assert decoded(adv_for_tag(tag_id))[0] == tag_id


def test_the_1m_calibration_becomes_eddystones_0m_figure_by_adding_41_db() -> None:
    eddystone = "eddystone-uid:00112233445566778899:a1b2c3d4e5f6"
    ibeacon = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:2"
    assert decoded(adv_for_tag(eddystone, tx_power_1m=-60))[2] == -19
    assert decoded(adv_for_tag(ibeacon, tx_power_1m=-60))[2] == -60


@pytest.mark.parametrize(
    "bad",
    ["ibeacon:nope", "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:65536:1", "alt:1", ""],
)
def test_what_is_not_a_tag_id_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        adv_for_tag(bad)


@given(
    st.uuids(),
    st.integers(0, 0xFFFF),
    st.integers(0, 0xFFFF),
    st.integers(-128, 127),
)
def test_every_ibeacon_round_trips(proximity: uuid.UUID, major: int, minor: int, tx: int) -> None:
    assert decoded(ibeacon_adv(proximity, major, minor, tx)) == (
        ibeacon_id(proximity, major, minor),
        TagFormat.IBEACON,
        tx,
    )


@given(
    st.binary(min_size=10, max_size=10), st.binary(min_size=6, max_size=6), st.integers(-128, 127)
)
def test_every_eddystone_uid_round_trips(namespace: bytes, instance: bytes, tx: int) -> None:
    assert decoded(eddystone_uid_adv(namespace, instance, tx)) == (
        eddystone_uid_id(namespace, instance),
        TagFormat.EDDYSTONE_UID,
        tx,
    )


@given(st.binary(min_size=8, max_size=8), st.integers(-128, 127))
def test_every_eddystone_eid_round_trips(eid: bytes, tx: int) -> None:
    assert decoded(eddystone_eid_adv(eid, tx)) == (
        eddystone_eid_id(eid),
        TagFormat.EDDYSTONE_EID,
        tx,
    )
