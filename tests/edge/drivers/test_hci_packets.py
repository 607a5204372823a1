"""HCI packets, bytes by hand: commands, events, the H4 stream, extended fragments.

Every byte string here is written out from the Core Specification's tables (Vol 4
Part E), not produced by the code under test.
"""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mimamori.edge.adverts import parse_ad_structures
from mimamori.edge.drivers import hci_commands as cmd
from mimamori.edge.drivers.hci_packets import (
    AdvertisingReport,
    AdvertisingReports,
    CommandComplete,
    CommandStatus,
    FragmentJoiner,
    H4Reassembler,
    HardwareError,
    HciFormatError,
    OtherEvent,
    error_name,
    parse_event,
)

IBEACON_AD = bytes.fromhex("020106 1aff 4c00 0215 fda50693a4e24fb1afcfc6eb07647825 0064 0007 c5")
ADDRESS = bytes.fromhex("563412efcdab")  # AB:CD:EF:12:34:56, little-endian on the wire


def legacy_report(event_type: int, data: bytes, rssi: int) -> bytes:
    return bytes((event_type, 0x01)) + ADDRESS + bytes((len(data),)) + data + bytes((rssi,))


def legacy_event(*reports: bytes) -> bytes:
    params = bytes((0x02, len(reports))) + b"".join(reports)
    return bytes((0x3E, len(params))) + params


def extended_report(event_type: int, data: bytes, rssi: int = 0xC4, sid: int = 3) -> bytes:
    return (
        event_type.to_bytes(2, "little")
        + b"\x01"  # random address
        + ADDRESS
        + b"\x01\x00"  # primary 1M, no secondary
        + bytes((sid, 0x7F, rssi))  # SID, TX power not available, RSSI
        + b"\x00\x00"  # no periodic advertising
        + b"\x00"
        + bytes(6)  # no direct address
        + bytes((len(data),))
        + data
    )


def extended_event(*reports: bytes) -> bytes:
    params = bytes((0x0D, len(reports))) + b"".join(reports)
    return bytes((0x3E, len(params))) + params


# -- commands ----------------------------------------------------------------------


def test_the_setup_commands_are_the_bytes_the_specification_gives() -> None:
    assert cmd.reset() == bytes.fromhex("01 030c 00")
    assert cmd.set_event_mask() == bytes.fromhex("01 010c 08 0080000000000020")
    assert cmd.le_set_event_mask() == bytes.fromhex("01 0120 08 0208000000000000")
    assert cmd.le_read_local_supported_features() == bytes.fromhex("01 0320 00")
    # passive, interval 0x00A0 = window (100 ms), public address, accept all
    assert cmd.le_set_scan_parameters(100, 100) == bytes.fromhex("01 0b20 07 00 a000 a000 00 00")
    assert cmd.le_set_scan_enable(True) == bytes.fromhex("01 0c20 02 01 00")
    # public, accept all, 1M PHY; then passive, interval 0x0060 (60 ms), window 0x0030
    assert cmd.le_set_extended_scan_parameters(60, 30) == bytes.fromhex(
        "01 4120 08 00 00 01 00 6000 3000"
    )
    assert cmd.le_set_extended_scan_enable(True) == bytes.fromhex("01 4220 06 01 00 0000 0000")
    assert cmd.le_set_extended_scan_enable(False) == bytes.fromhex("01 4220 06 00 00 0000 0000")


def test_scan_times_are_kept_within_what_the_commands_accept() -> None:
    assert cmd.scan_units(1) == 0x0004 and cmd.scan_units(20000) == 0x4000
    # a window wider than its interval is cut to the interval
    assert cmd.le_set_scan_parameters(10, 50)[5:9] == bytes.fromhex("1000 1000")


def test_extended_advertising_is_read_from_bit_12_of_the_le_features() -> None:
    assert cmd.supports_extended(bytes.fromhex("ff79010000000000"))  # a 5.x controller
    assert not cmd.supports_extended(bytes.fromhex("ff01000000000000"))  # a 4.2 one
    assert not cmd.supports_extended(b"")


# -- events ------------------------------------------------------------------------


def test_command_complete_status_and_hardware_error_are_parsed() -> None:
    complete = parse_event(bytes.fromhex("0e 0c 01 0320 00 ff79010000000000"))
    assert complete == CommandComplete(0x2003, 0, bytes.fromhex("ff79010000000000"))
    assert parse_event(bytes.fromhex("0e 04 01 0c20 0c")) == CommandComplete(0x200C, 0x0C, b"")
    assert parse_event(bytes.fromhex("0e 03 01 0000")) == CommandComplete(0, None, b"")
    assert parse_event(bytes.fromhex("0f 04 12 01 4120")) == CommandStatus(0x2041, 0x12)
    assert parse_event(bytes.fromhex("10 01 42")) == HardwareError(0x42)
    assert parse_event(bytes.fromhex("05 04 00 4000 13")) == OtherEvent(0x05)
    assert parse_event(bytes.fromhex("3e 02 14 00")) == OtherEvent(0x3E, 0x14)
    assert error_name(0x0C) == "0x0C Command Disallowed"
    assert error_name(0x99) == "0x99 error"


def test_a_legacy_report_gives_its_data_rssi_and_kind() -> None:
    event = parse_event(
        legacy_event(legacy_report(0x03, IBEACON_AD, 0xC4), legacy_report(0x04, b"", 0x7F))
    )
    assert isinstance(event, AdvertisingReports)
    advert, response = event.reports
    assert (advert.rssi, advert.data, advert.scan_response) == (-60, IBEACON_AD, False)
    assert advert.status == "complete" and not advert.extended
    assert (response.rssi, response.data, response.scan_response) == (None, b"", True)
    manufacturer, _ = parse_ad_structures(advert.data)
    assert manufacturer[0x004C][:2] == b"\x02\x15"


def test_an_extended_report_gives_its_data_rssi_kind_and_fragment_status() -> None:
    legacy_adv_ind = 0b0010011  # connectable, scannable, legacy PDU
    more = 0b0100000  # data status 01: more to come
    event = parse_event(
        extended_event(
            extended_report(legacy_adv_ind, IBEACON_AD, 0xB5),
            extended_report(more, b"\x02\x01", 0x7F, sid=9),
        )
    )
    assert isinstance(event, AdvertisingReports)
    first, second = event.reports
    assert (first.rssi, first.data, first.status, first.extended) == (
        -75,
        IBEACON_AD,
        "complete",
        True,
    )
    assert not first.scan_response
    assert (second.rssi, second.status) == (None, "more")
    assert first.source != second.source  # another SID: another advert
    scan_response = parse_event(extended_event(extended_report(0x0008, b"")))
    assert isinstance(scan_response, AdvertisingReports) and scan_response.reports[0].scan_response


@pytest.mark.parametrize(
    ("packet", "reason"),
    [
        (bytes.fromhex("0e 05 01 0320"), "bad_length"),  # says 5, has 3
        (bytes.fromhex("0e 02 0103"), "bad_event"),  # no room for an opcode
        (bytes.fromhex("0f 03 000103"), "bad_event"),
        (bytes.fromhex("10 00"), "bad_event"),
        (bytes.fromhex("3e 00"), "bad_event"),
        (bytes.fromhex("3e 01 02"), "bad_report"),  # no Num_Reports
        (bytes.fromhex("3e 02 02 00"), "bad_report"),  # zero reports
        (legacy_event(legacy_report(0, IBEACON_AD, 0xC4))[:-1], "bad_length"),
        (legacy_event(legacy_report(0, bytes(32), 0xC4)), "bad_report"),  # 32 > 31 bytes
        (bytes.fromhex("3e 09 02 01 00 01") + ADDRESS[:5], "bad_report"),  # cut in the address
        (bytes.fromhex("3e 0e 02 01 00 01") + ADDRESS + bytes.fromhex("04 010203"), "bad_report"),
    ],
)
def test_a_malformed_event_is_refused_with_a_reason(packet: bytes, reason: str) -> None:
    with pytest.raises(HciFormatError) as caught:
        parse_event(packet)
    assert caught.value.reason == reason


def test_trailing_bytes_after_the_reports_or_a_reserved_data_status_are_refused() -> None:
    event = legacy_event(legacy_report(0, b"\x02\x01\x06", 0xC4))
    with pytest.raises(HciFormatError, match="after the last report"):
        parse_event(bytes((event[0], event[1] + 1)) + event[2:] + b"\x00")
    with pytest.raises(HciFormatError, match="reserved data status"):
        parse_event(extended_event(extended_report(0b1100000, b"")))
    report = bytearray(extended_report(0, b"\x02\x01\x06"))
    report[23] = 4  # Data_Length says 4, three bytes follow
    with pytest.raises(HciFormatError, match="cut short"):
        parse_event(extended_event(bytes(report)))


# -- the H4 stream ---------------------------------------------------------------------

RESET_DONE = bytes.fromhex("04 0e 04 01 030c 00")
ADVERT = b"\x04" + legacy_event(legacy_report(0x03, IBEACON_AD, 0xC4))


def test_packets_cut_anywhere_come_out_whole_and_in_order() -> None:
    stream = RESET_DONE + ADVERT + RESET_DONE
    framer = H4Reassembler()
    packets = [p for byte in stream for p in framer.feed(bytes((byte,)))]
    assert packets == [(0x04, RESET_DONE[1:]), (0x04, ADVERT[1:]), (0x04, RESET_DONE[1:])]
    assert framer.skipped_bytes == 0 and framer.resyncs == 0


def test_noise_between_packets_is_skipped_and_counted_once_per_run() -> None:
    framer = H4Reassembler()
    packets = framer.feed(b"\xff\x00\x99" + RESET_DONE + b"\x04\x00" + b"\x07" + ADVERT)
    assert [p[1] for p in packets] == [RESET_DONE[1:], ADVERT[1:]]
    assert framer.skipped_bytes == 6 and framer.resyncs == 2


def test_other_packet_types_are_passed_on_and_oversized_ones_are_taken_for_noise() -> None:
    acl = bytes.fromhex("02 0100 0300 aabbcc")
    oversized_acl = bytes.fromhex("02 0100 ffff")  # 65535 bytes: no controller sends that
    framer = H4Reassembler()
    packets = framer.feed(acl + oversized_acl + RESET_DONE)
    assert packets == [(0x02, acl[1:]), (0x04, RESET_DONE[1:])]
    assert framer.skipped_bytes == len(oversized_acl)


def test_a_half_packet_waits_for_the_rest_and_nothing_more() -> None:
    framer = H4Reassembler()
    assert framer.feed(ADVERT[:10]) == []
    assert framer.feed(ADVERT[10:] + RESET_DONE[:3]) == [(0x04, ADVERT[1:])]
    assert framer.feed(RESET_DONE[3:]) == [(0x04, RESET_DONE[1:])]


# -- extended fragments ------------------------------------------------------------------


def fragment(data: bytes, status: str, source: bytes = b"A") -> AdvertisingReport:
    return AdvertisingReport(source, False, -70, data, status, extended=True)


def test_fragments_of_one_advert_are_joined_even_with_others_in_between() -> None:
    joiner = FragmentJoiner()
    assert joiner.join(fragment(b"\x02\x01", "more")) is None
    other = joiner.join(fragment(b"\x02\x01\x06", "complete", source=b"B"))
    assert other is not None and other.data == b"\x02\x01\x06"
    assert joiner.join(fragment(b"\x06\x03", "more")) is None
    whole = joiner.join(fragment(b"\x03\xaa\xfe", "complete"))
    assert whole is not None and whole.data == b"\x02\x01\x06\x03\x03\xaa\xfe"
    assert whole.rssi == -70 and joiner.dropped == 0


def test_a_truncated_advert_and_sources_that_stop_halfway_are_dropped_and_counted() -> None:
    joiner = FragmentJoiner()
    joiner.join(fragment(b"\x02", "more"))
    assert joiner.join(fragment(b"\x01", "truncated")) is None
    assert joiner.dropped == 1
    for n in range(FragmentJoiner.MAX_PENDING + 1):
        joiner.join(fragment(b"\x00", "more", source=bytes((n,))))
    assert joiner.dropped == 2
    assert joiner.join(fragment(b"", "complete", source=b"\x00")) == fragment(
        b"", "complete", b"\x00"
    )


# -- properties ---------------------------------------------------------------------------

valid_events = st.sampled_from(
    [
        RESET_DONE,
        ADVERT,
        b"\x04" + extended_event(extended_report(0x13, IBEACON_AD)),
        bytes.fromhex("04 10 01 42"),
        bytes.fromhex("02 0100 0200 abcd"),
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(valid_events, max_size=8), st.data())
def test_any_cutting_of_a_clean_stream_gives_the_same_packets(
    packets: list[bytes], data: st.DataObject
) -> None:
    stream = b"".join(packets)
    cuts = sorted(data.draw(st.sets(st.integers(0, len(stream)), max_size=20)))
    framer = H4Reassembler()
    out = []
    start = 0
    for cut in [*cuts, len(stream)]:
        out += framer.feed(stream[start:cut])
        start = cut
    assert out == [(p[0], p[1:]) for p in packets]
    assert framer.skipped_bytes == 0


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.lists(valid_events, min_size=1, max_size=4))
def test_after_any_noise_the_stream_comes_back_into_step(
    noise: bytes, packets: list[bytes]
) -> None:
    framer = H4Reassembler()
    for indicator, packet in framer.feed(noise):
        if indicator == 0x04:
            # noise may look like a malformed event: the driver counts it and goes on
            with contextlib.suppress(HciFormatError):
                parse_event(packet)
    assert framer.waiting < 1 + 4 + 1024  # at most one packet waits
    # Zeros are never a packet start and fill whatever length the noise announced.
    tail = framer.feed(bytes(1100) + b"".join(packets))
    assert tail[-len(packets) :] == [(p[0], p[1:]) for p in packets]


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=300))
def test_no_event_bytes_make_the_parser_raise_anything_but_a_format_error(packet: bytes) -> None:
    try:
        event = parse_event(packet)
    except HciFormatError:
        return
    if isinstance(event, AdvertisingReports):
        assert all(r.rssi is None or -128 <= r.rssi <= 126 for r in event.reports)
