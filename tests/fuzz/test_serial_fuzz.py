"""Fuzzing the serial line protocol past its CRC: lines whose framing and checksum are
right but whose fields are anything, and streams of good, damaged and random lines
in random chunks. Nothing escapes but a LineError, and every line is either parsed
or counted by reason. (tests/edge/drivers/ covers random bytes, which the CRC stops.)"""

from __future__ import annotations

import logging
from collections import Counter

from hypothesis import event, given, settings
from hypothesis import strategies as st

from mimamori.edge.drivers.button_lines import PressLine, StatusLine, parse_button_line
from mimamori.edge.drivers.link_state import RateLimitedLog
from mimamori.edge.drivers.receiver_lines import (
    MAX_AD_BYTES,
    MAX_RSSI,
    MIN_RSSI,
    AdvertLine,
    HeartbeatLine,
    LineError,
    LineFramer,
    encode_line,
    parse_line,
)
from mimamori.edge.drivers.serial_port import LineReader

REASONS = {"no_start", "no_crc", "bad_crc", "too_long", "not_ascii", "unknown_type", "bad_field"}
# Characters that field parsers look at: digits, signs, hex, separators, names.
FIELD_CHARS = "0123456789-+ABCDEFabcdefPRx.,*_ "
junk = st.text(FIELD_CHARS, max_size=140)


def near(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A field that is mostly of the right shape, sometimes junk."""
    return st.integers(0, 3).flatmap(lambda i: valid if i else junk)


numbers = st.integers(0, 2**40).map(str)
tokens = st.text("abcXYZ019._+-", min_size=1, max_size=40)
# Per line type, fields of about the right shape: these reach past the type check.
shaped = st.one_of(
    st.tuples(
        st.just("A"),
        st.tuples(
            near(st.binary(min_size=6, max_size=6).map(bytes.hex)),
            near(st.sampled_from("PRX")),
            near(st.integers(-200, 50).map(str)),
            near(st.binary(max_size=70).map(bytes.hex)),
        ),
    ),
    st.tuples(st.just("H"), st.tuples(near(numbers), near(tokens), near(numbers))),
    st.tuples(st.just("B"), st.tuples(near(tokens), near(tokens))),
    st.tuples(
        st.just("P"),
        st.tuples(near(st.integers(0, 70000).map(str)), near(st.sampled_from(["genki", "sos"]))),
    ),
    st.tuples(
        st.just("S"),
        st.tuples(
            near(numbers),
            near(st.one_of(st.just("-"), st.integers(0, 150).map(str))),
            near(st.sampled_from(["0", "1", "-", "2"])),
            near(tokens),
        ),
    ),
)
anything = st.tuples(
    st.sampled_from(["A", "H", "B", "P", "S", "Z", "", "AA"]),
    st.lists(junk, max_size=6).map(tuple),
)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(shaped, anything))
def test_well_framed_lines_with_any_fields_parse_or_fail_with_a_reason(
    parts: tuple[str, tuple[str, ...]],
) -> None:
    kind, values = parts
    line = encode_line(kind, *values)
    for parse in (parse_line, parse_button_line):
        try:
            parsed = parse(line)
        except LineError as exc:
            assert exc.reason in REASONS
            event(f"{parse.__name__}: {exc.reason}")  # seen with --hypothesis-show-statistics
            continue
        event(f"{parse.__name__}: {type(parsed).__name__}")
        # what does parse is within the protocol's bounds
        if isinstance(parsed, AdvertLine):
            assert MIN_RSSI <= parsed.rssi <= MAX_RSSI and len(parsed.data) <= MAX_AD_BYTES
        elif isinstance(parsed, HeartbeatLine):
            assert parsed.uptime_s >= 0 and parsed.dropped >= 0
        elif isinstance(parsed, PressLine):
            assert 0 <= parsed.counter <= 0xFFFF
        elif isinstance(parsed, StatusLine):
            assert parsed.battery_pct is None or 0 <= parsed.battery_pct <= 100


GOOD = [
    encode_line("A", "C0FFEE000001", "R", "-60", "0201061AFF4C000215" + "00" * 21),
    encode_line("H", "120", "sim-1.0", "0"),
    encode_line("B", "sim-1.0", "power_on"),
    encode_line("P", "41", "genki"),
]


def damaged(line: bytes, at: int, byte: int) -> bytes:
    i = at % len(line)
    return line[:i] + bytes([byte]) + line[i + 1 :]


pieces = st.one_of(
    st.sampled_from(GOOD),
    st.builds(damaged, st.sampled_from(GOOD), st.integers(0, 200), st.integers(0, 255)),
    st.binary(max_size=300),
    st.just(b"\n"),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(pieces, max_size=30), st.lists(st.integers(1, 500), max_size=20))
def test_every_line_of_any_stream_is_parsed_or_counted(
    chunks: list[bytes], cuts: list[int]
) -> None:
    stream = b"".join(chunks)
    expected = LineFramer().feed(stream + b"\n")  # the lines the stream holds
    counters: Counter[str] = Counter()
    reader = LineReader(
        parse_line,
        source="fuzz",
        counters=counters,
        log=RateLimitedLog(logging.getLogger("fuzz"), lambda: 0.0),
    )
    parsed = 0
    at = 0
    for cut in cuts:  # as reads from a port deliver it
        parsed += len(list(reader.feed(stream[at : at + cut])))
        at += cut
    parsed += len(list(reader.feed(stream[at:] + b"\n")))
    bad = sum(n for key, n in counters.items() if key.startswith("line."))
    assert parsed + bad == len(expected)
    assert set(counters) <= {f"line.{reason}" for reason in REASONS}
