"""The button line parser: every line the README shows, every way a button line goes bad."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mimamori.edge.drivers.button_lines import (
    BootLine,
    LineError,
    PressLine,
    ReminderLine,
    StatusLine,
    encode_line,
    encode_quiet,
    encode_remind,
    parse_button_line,
)
from mimamori.edge.drivers.receiver_lines import LineFramer, parse_line
from mimamori.firmware_sim.serial_pty import encode_line as firmware_encode_line

README_PRESS = b"$P,41,genki*B245\n"
README_HEARTBEAT = b"$S,86400,87,1,mmr-btn-1.0.2*8BA7\n"
REASONS = {"no_start", "no_crc", "bad_crc", "too_long", "not_ascii", "unknown_type", "bad_field"}


def reason_of(line: bytes) -> str:
    with pytest.raises(LineError) as caught:
        parse_button_line(line)
    return caught.value.reason


def test_the_readme_examples_parse_to_what_they_say() -> None:
    assert parse_button_line(README_PRESS) == PressLine(41, "genki")
    assert parse_button_line(b"$P,42,soudan*7D2F") == PressLine(42, "soudan")
    assert parse_button_line(b"$P,43,sos*A112\r\n") == PressLine(43, "sos")
    assert parse_button_line(README_HEARTBEAT) == StatusLine(86400, 87, True, "mmr-btn-1.0.2")
    assert parse_button_line(b"$S,90000,64,0,mmr-btn-1.0.2*3BAF\n") == StatusLine(
        90000, 64, False, "mmr-btn-1.0.2"
    )
    assert parse_button_line(b"$B,mmr-btn-1.0.2,power_on*6FD1\n") == BootLine(
        "mmr-btn-1.0.2", "power_on"
    )


def test_a_unit_without_battery_or_mains_sensing_sends_dashes() -> None:
    line = b"$S,600,-,-,mmr-btn-1.0.2*F854\n"
    assert parse_button_line(line) == StatusLine(600, None, None, "mmr-btn-1.0.2")


def test_the_counter_covers_sixteen_bits() -> None:
    assert parse_button_line(encode_line("P", "0", "sos")) == PressLine(0, "sos")
    assert parse_button_line(encode_line("P", "65535", "sos")) == PressLine(65535, "sos")


def test_button_and_receiver_lines_do_not_pass_for_each_other() -> None:
    assert reason_of(encode_line("H", "3600", "mmr-rx-1.2.0", "3")) == "unknown_type"
    with pytest.raises(LineError) as caught:
        parse_line(README_PRESS)
    assert caught.value.reason == "unknown_type"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (README_PRESS[:-5] + b"0000\n", "bad_crc"),  # the CRC of another line
        (README_PRESS[:9], "no_crc"),  # cut short
        (README_PRESS[:-3] + b"\n", "no_crc"),  # CRC truncated
        (b"P,41,genki*B245\n", "no_start"),
        (b"$P,41,genki\xff*B245\n", "not_ascii"),
        (b"\x00\xff\x13\x88$P,1" * 20 + b"\n", "not_ascii"),  # binary noise
        (b"$" + b"9" * 700 + b"\n", "too_long"),
        (encode_line("X", "1"), "unknown_type"),
        (encode_line("P", "41", "Genki"), "bad_field"),  # cards are lower case
        (encode_line("P", "41", "help"), "bad_field"),
        (encode_line("P", "41", ""), "bad_field"),
        (encode_line("P", "65536", "genki"), "bad_field"),  # out of range
        (encode_line("P", "-1", "genki"), "bad_field"),
        (encode_line("P", "99999999999", "genki"), "bad_field"),
        (encode_line("P", "41"), "bad_field"),
        (encode_line("P", "41", "genki", "extra"), "bad_field"),
        (encode_line("S", "600", "101", "1", "fw"), "bad_field"),  # battery over 100 %
        (encode_line("S", "600", "-5", "1", "fw"), "bad_field"),
        (encode_line("S", "600", "50", "2", "fw"), "bad_field"),  # mains is 1, 0 or -
        (encode_line("S", "600", "50", "", "fw"), "bad_field"),
        (encode_line("S", "-", "50", "1", "fw"), "bad_field"),
        (encode_line("S", "600", "50", "1", "fw 2"), "bad_field"),
        (encode_line("S", "600", "50", "1"), "bad_field"),
        (encode_line("B", "fw"), "bad_field"),
    ],
)
def test_each_way_a_button_line_goes_bad_has_its_reason(line: bytes, reason: str) -> None:
    assert reason_of(line) == reason


def test_the_gateway_and_the_firmware_encode_the_same_lines() -> None:
    assert (
        firmware_encode_line("P", "41", "genki") == README_PRESS == encode_line("P", "41", "genki")
    )
    assert firmware_encode_line("S", "86400", "87", "1", "mmr-btn-1.0.2") == README_HEARTBEAT


@given(st.binary(max_size=700))
def test_arbitrary_bytes_only_ever_raise_line_errors(data: bytes) -> None:
    try:
        parse_button_line(data)
    except LineError as exc:
        assert exc.reason in REASONS


@given(
    st.integers(min_value=0, max_value=0xFFFF),
    st.sampled_from(["genki", "soudan", "sos"]),
    st.binary(max_size=300),
)
def test_a_press_after_any_noise_and_a_newline_is_still_parsed(
    counter: int, card: str, noise: bytes
) -> None:
    lines = LineFramer().feed(noise + b"\n" + encode_line("P", str(counter), card))
    assert parse_button_line(lines[-1]) == PressLine(counter, card)


def test_reminder_lines_go_both_ways() -> None:
    assert encode_remind("3f2a", 1800) == encode_line("R", "3f2a", "1800")
    assert encode_quiet("3f2a") == encode_line("Q", "3f2a")
    assert parse_button_line(encode_line("N", "3f2a", "on")) == ReminderLine("3f2a", "on")
    assert parse_button_line(encode_line("N", "3f2a", "pressed")) == ReminderLine(
        "3f2a", "pressed"
    )
    # The README's worked examples (real CRCs).
    assert encode_remind("3f2a9c", 3600) == b"$R,3f2a9c,3600*42B9\n"
    assert encode_quiet("3f2a9c") == b"$Q,3f2a9c*3A33\n"
    assert parse_button_line(b"$N,3f2a9c,on*E977\n") == ReminderLine("3f2a9c", "on")
    assert parse_button_line(b"$N,3f2a9c,timeout*97E9\n") == ReminderLine("3f2a9c", "timeout")
    assert reason_of(encode_line("N", "3f2a", "beeping")) == "bad_field"
    assert reason_of(encode_line("N", "3f2a")) == "bad_field"
    assert reason_of(encode_line("N", "bad ref", "on")) == "bad_field"
