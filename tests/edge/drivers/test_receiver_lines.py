"""The receiver line parser and framer: every line the README shows, every way a line goes bad."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mimamori.edge.adverts import decode_tag, parse_ad_structures
from mimamori.edge.drivers.receiver_lines import (
    MAX_LINE,
    AdvertLine,
    BootLine,
    HeartbeatLine,
    LineError,
    LineFramer,
    crc16,
    encode_line,
    parse_line,
)
from mimamori.firmware_sim.frames import adv_for_tag
from mimamori.firmware_sim.receiver import advert_line
from mimamori.firmware_sim.receiver import encode_line as firmware_encode_line

IBEACON = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:100:7"
README_IBEACON = (
    b"$A,C0FFEE123456,R,-67,0201061AFF4C000215FDA50693A4E24FB1AFCFC6EB0764782500640007C5*C860\n"
)


def reason_of(line: bytes) -> str:
    with pytest.raises(LineError) as caught:
        parse_line(line)
    return caught.value.reason


def test_the_crc_is_ccitt_false_with_its_catalogue_check_value() -> None:
    assert crc16(b"123456789") == 0x29B1


def test_the_readme_examples_parse_to_what_they_say() -> None:
    parsed = parse_line(README_IBEACON)
    assert isinstance(parsed, AdvertLine)
    assert parsed.rssi == -67
    frame = decode_tag(*parse_ad_structures(parsed.data))
    assert frame is not None and frame.tag_id == IBEACON and frame.tx_power == -59
    eddy = parse_line(
        b"$A,D50102030405,R,-80,0201060303AAFE1716AAFE00EE00112233445566778899A1B2C3D4E5F60000*C3E1"
    )
    assert isinstance(eddy, AdvertLine)
    frame = decode_tag(*parse_ad_structures(eddy.data))
    assert frame is not None
    assert frame.tag_id == "eddystone-uid:00112233445566778899:a1b2c3d4e5f6"
    assert parse_line(b"$A,C0FFEE123456,R,-67,*B3A1") == AdvertLine(-67, b"")
    assert parse_line(b"$H,3600,mmr-rx-1.2.0,3*5E87\n") == HeartbeatLine(3600, "mmr-rx-1.2.0", 3)
    assert parse_line(b"$B,mmr-rx-1.2.0,power_on*D0B3\n") == BootLine("mmr-rx-1.2.0", "power_on")


def test_the_sim_firmware_and_the_edge_agree_on_the_line_format() -> None:
    line = advert_line("C0:FF:EE:12:34:56", -67, adv_for_tag(IBEACON))
    assert line == README_IBEACON
    assert encode_line("H", "3600", "mmr-rx-1.2.0", "3") == b"$H,3600,mmr-rx-1.2.0,3*5E87\n"
    assert firmware_encode_line("B", "fw", "pin") == encode_line("B", "fw", "pin")


def test_a_carriage_return_a_missing_newline_and_a_lower_case_crc_are_all_accepted() -> None:
    body = README_IBEACON[:-1]
    assert parse_line(body + b"\r\n") == parse_line(body) == parse_line(README_IBEACON)
    assert parse_line(body[:-4] + body[-4:].lower()) == parse_line(body)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"A,C0FFEE123456,R,-67,*B3A1", "no_start"),
        (b"x$A,C0FFEE123456,R,-67,*B3A1", "no_start"),
        (b"$A,C0FFEE123456,R,-67,", "no_crc"),
        (b"$A,C0FFEE123456,R,-67,*B3A", "no_crc"),
        (b"$*", "no_crc"),
        (b"$A,C0FFEE123456,R,-68,*B3A1", "bad_crc"),
        (b"$A,C0FFEE123456,R,-67,*ZZZZ", "bad_crc"),
        (b"$A,C0FF\xee123456,R,-67,*B3A1", "not_ascii"),
        (encode_line("X", "1"), "unknown_type"),
        (encode_line("", "1"), "unknown_type"),
        (encode_line("A", "C0FFEE12345", "R", "-67", ""), "bad_field"),  # 11 digits
        (encode_line("A", "C0FFEE12345G", "R", "-67", ""), "bad_field"),
        (encode_line("A", "C0FFEE123456", "X", "-67", ""), "bad_field"),
        (encode_line("A", "C0FFEE123456", "R", "-128", ""), "bad_field"),
        (encode_line("A", "C0FFEE123456", "R", "21", ""), "bad_field"),
        (encode_line("A", "C0FFEE123456", "R", "+5", ""), "bad_field"),
        (encode_line("A", "C0FFEE123456", "R", " -6", ""), "bad_field"),
        (encode_line("A", "C0FFEE123456", "R", "", ""), "bad_field"),
        (encode_line("A", "C0FFEE123456", "R", "-67", "0"), "bad_field"),  # odd hex
        (encode_line("A", "C0FFEE123456", "R", "-67", "00" * 63), "bad_field"),
        (encode_line("A", "C0FFEE123456", "R", "-67"), "bad_field"),
        (encode_line("A", "C0FFEE123456", "R", "-67", "", "extra"), "bad_field"),
        (encode_line("H", "-1", "fw", "0"), "bad_field"),
        (encode_line("H", "1", "", "0"), "bad_field"),
        (encode_line("H", "1", "fw 2", "0"), "bad_field"),
        (encode_line("H", "1", "fw"), "bad_field"),
        (encode_line("B", "fw", "x" * 33), "bad_field"),
        (encode_line("B", "fw"), "bad_field"),
    ],
)
def test_each_way_a_line_goes_bad_has_its_own_reason(line: bytes, reason: str) -> None:
    assert reason_of(line) == reason


def test_the_length_limit_counts_the_newline() -> None:
    at_limit = b"$" + b"x" * (MAX_LINE - 2) + b"\n"  # 600 bytes with its newline
    assert len(at_limit) == MAX_LINE and reason_of(at_limit) != "too_long"
    assert reason_of(b"$" + b"x" * (MAX_LINE - 1) + b"\n") == "too_long"
    assert reason_of(b"$" + b"x" * (MAX_LINE - 1)) == "too_long"  # same line, newline cut off


def test_the_framer_cuts_lines_whatever_the_chunks_and_skips_empty_ones() -> None:
    framer = LineFramer()
    assert framer.feed(b"\n\r\n$H,1") == []
    assert framer.feed(b",fw,0*") == []
    assert framer.feed(b"ABCD\r\n$B,f") == [b"$H,1,fw,0*ABCD\r"]
    assert framer.feed(b"w,pin*0000\n") == [b"$B,fw,pin*0000"]


def test_an_over_long_line_is_reported_once_and_discarded_up_to_the_next_newline() -> None:
    framer = LineFramer()
    lines = framer.feed(b"$A," + b"0" * 700)
    assert len(lines) == 1 and reason_of(lines[0]) == "too_long"
    assert framer.feed(b"0" * 5000) == []  # still the same line: nothing, and no memory kept
    assert framer.feed(b"00\n" + README_IBEACON) == [README_IBEACON[:-1]]


@given(st.binary(max_size=700))
def test_arbitrary_bytes_only_ever_raise_line_errors(data: bytes) -> None:
    try:
        parse_line(data)
    except LineError as exc:
        assert exc.reason in {
            "no_start",
            "no_crc",
            "bad_crc",
            "too_long",
            "not_ascii",
            "unknown_type",
            "bad_field",
        }


@given(st.binary(max_size=2000), st.lists(st.integers(min_value=1, max_value=400), max_size=10))
def test_a_valid_line_after_any_noise_and_a_newline_is_still_parsed(
    noise: bytes, cuts: list[int]
) -> None:
    stream = noise + b"\n" + README_IBEACON
    framer = LineFramer()
    lines: list[bytes] = []
    at = 0
    for cut in cuts:  # arbitrary chunking, as reads from a port deliver it
        lines += framer.feed(stream[at : at + cut])
        at += cut
    lines += framer.feed(stream[at:])
    assert lines and parse_line(lines[-1]) == parse_line(README_IBEACON)


def test_random_corruption_of_a_valid_line_is_caught() -> None:
    rng = random.Random(5)
    caught = 0
    for _ in range(2000):
        line = bytearray(README_IBEACON[:-1])
        i = rng.randrange(1, len(line) - 5)  # the body the CRC covers
        line[i] = (line[i] + rng.randrange(1, 128)) % 128  # another ASCII byte
        try:
            parse_line(bytes(line))
        except LineError:
            caught += 1
    assert caught == 2000  # a CRC-16 catches every burst error of up to 16 bits
