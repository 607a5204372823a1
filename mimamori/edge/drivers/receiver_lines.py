"""The receiver line protocol, parsed: bytes in, a typed line (or a LineError) out.

The protocol is written down in ``mimamori/firmware_sim/README.md``::

    $<TYPE>,<field>,...*<CRC>\\n

``CRC`` is CRC-16/CCITT-FALSE over the bytes strictly between ``$`` and ``*``, as four
hex digits. This runs once for every advert the gateway hears (the pipeline aims at
50,000 adverts/s on one core), so it sticks to ``binascii`` and bytes methods: no
regular expressions, no pydantic.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

LineT = TypeVar("LineT")

# A line with its terminator ("\n" or "\r\n") is at most this long. An advert line
# needs 153 bytes at most (62 bytes of data as hex), so this leaves room for growth
# while keeping a runaway line from eating memory.
MAX_LINE = 600
# 31 bytes of advertising data + 31 of scan response (Bluetooth Core, Vol 3 Part C, 11).
MAX_AD_BYTES = 62
MIN_RSSI = -127  # HCI reports RSSI as a signed byte; 127 means "not available"
MAX_RSSI = 20  # Core Vol 4 Part E, 7.7.65.2: RSSI range is -127..+20 dBm
MAX_TOKEN = 32  # firmware versions and boot reasons

_TOKEN_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+-")
_ADDR_TYPES = (b"P", b"R")


class LineError(ValueError):
    """A line that is not valid; ``reason`` is a short counter name."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class AdvertLine:
    """``$A``: one advert heard. The device address is checked, then forgotten."""

    rssi: int
    data: bytes  # advertising data (AD structures), scan response appended


@dataclass(frozen=True, slots=True)
class HeartbeatLine:
    """``$H``: the receiver is alive; ``dropped`` adverts lost to a full buffer since boot."""

    uptime_s: int
    firmware: str
    dropped: int


@dataclass(frozen=True, slots=True)
class BootLine:
    """``$B``: the receiver has just started."""

    firmware: str
    reason: str


ReceiverLine = AdvertLine | HeartbeatLine | BootLine


def crc16(body: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor)."""
    return binascii.crc_hqx(body, 0xFFFF)


def encode_line(kind: str, *fields: str) -> bytes:
    """A complete line with its CRC and newline (for tests and tools)."""
    body = ",".join((kind, *fields)).encode("ascii")
    return b"$%s*%04X\n" % (body, crc16(body))


def unsigned_field(field: bytes, name: str) -> int:
    """A field of decimal digits (at most ten), or LineError ``bad_field``."""
    if not field.isdigit() or len(field) > 10:
        raise LineError("bad_field", f"{name} {field[:16]!r} is not an unsigned integer")
    return int(field)


def token_field(field: bytes, name: str) -> str:
    """A firmware version or boot reason: 1-32 of ``[A-Za-z0-9._+-]``, or ``bad_field``."""
    if not field or len(field) > MAX_TOKEN or not _TOKEN_CHARS.issuperset(field):
        raise LineError("bad_field", f"{name} {field[:40]!r} is not 1-32 of [A-Za-z0-9._+-]")
    return field.decode("ascii")


def _advert(fields: list[bytes]) -> AdvertLine:
    if len(fields) != 5:
        raise LineError("bad_field", f"advert line has {len(fields) - 1} fields, expected 4")
    _, addr, addr_type, rssi_field, data_hex = fields
    if len(addr) != 12:
        raise LineError("bad_field", "address is not 12 hex digits")
    try:
        binascii.unhexlify(addr)
        data = binascii.unhexlify(data_hex)
    except binascii.Error as exc:
        raise LineError("bad_field", f"address or data is not hex: {exc}") from exc
    if addr_type not in _ADDR_TYPES:
        raise LineError("bad_field", f"address type {addr_type[:8]!r} is neither P nor R")
    digits = rssi_field[1:] if rssi_field[:1] == b"-" else rssi_field
    if not digits.isdigit() or len(digits) > 3:
        raise LineError("bad_field", f"rssi {rssi_field[:8]!r} is not an integer")
    rssi = int(rssi_field)
    if not MIN_RSSI <= rssi <= MAX_RSSI:
        raise LineError("bad_field", f"rssi {rssi} outside {MIN_RSSI}..{MAX_RSSI}")
    if len(data) > MAX_AD_BYTES:
        raise LineError("bad_field", f"{len(data)} bytes of AD data, at most {MAX_AD_BYTES}")
    return AdvertLine(rssi, data)


def _heartbeat(fields: list[bytes]) -> HeartbeatLine:
    if len(fields) != 4:
        raise LineError("bad_field", f"heartbeat line has {len(fields) - 1} fields, expected 3")
    uptime = unsigned_field(fields[1], "uptime")
    firmware = token_field(fields[2], "firmware")
    return HeartbeatLine(uptime, firmware, unsigned_field(fields[3], "dropped"))


def parse_boot(fields: list[bytes]) -> BootLine:
    """The fields of a ``$B`` line (receivers and buttons send the same one)."""
    if len(fields) != 3:
        raise LineError("bad_field", f"boot line has {len(fields) - 1} fields, expected 2")
    return BootLine(token_field(fields[1], "firmware"), token_field(fields[2], "reason"))


def parse_fields(line: bytes, parsers: Mapping[bytes, Callable[[list[bytes]], LineT]]) -> LineT:
    """Check one line's framing and CRC, then parse its fields by its type.

    ``line`` may end with its ``\\n``. ``parsers`` maps a line type (``b"A"``) to the
    function that makes a typed line of its fields (the type first). Raises LineError
    for anything not framed right or of a type not in ``parsers``.
    """
    if line[-1:] == b"\n":
        line = line[:-1]
    if len(line) >= MAX_LINE:  # with its "\n" it would exceed MAX_LINE
        raise LineError("too_long", f"line of {len(line) + 1} bytes, at most {MAX_LINE}")
    if line[-1:] == b"\r":
        line = line[:-1]
    if not line.isascii():
        raise LineError("not_ascii", "line holds bytes outside ASCII")
    if line[:1] != b"$":
        raise LineError("no_start", f"line does not start with '$': {line[:16]!r}")
    if len(line) < 6 or line[-5] != 0x2A:  # 0x2A is '*'
        raise LineError("no_crc", "line does not end with '*' and four hex digits")
    body = line[1:-5]
    if line[-4:].upper() != b"%04X" % crc16(body):
        raise LineError("bad_crc", f"CRC {line[-4:]!r} does not match {crc16(body):04X}")
    fields = body.split(b",")
    parse = parsers.get(fields[0])
    if parse is None:
        raise LineError("unknown_type", f"unknown line type {fields[0][:8]!r}")
    return parse(fields)


_RECEIVER_LINES: dict[bytes, Callable[[list[bytes]], ReceiverLine]] = {
    b"A": _advert,
    b"H": _heartbeat,
    b"B": parse_boot,
}


def parse_line(line: bytes) -> ReceiverLine:
    """Parse one receiver line, with or without its ``\\n``; raise LineError if it is not valid."""
    return parse_fields(line, _RECEIVER_LINES)


class LineFramer:
    """Cuts a byte stream into lines, whatever the chunks it arrives in.

    Yields each line without its ``\\n`` and skips empty ones (the firmware sends a
    lone newline at boot to end a line cut by the reset). A line that grows past
    MAX_LINE without a newline is handed on cut to MAX_LINE bytes, so the parser
    counts it as ``too_long``, and the rest of it is discarded up to the next
    newline: a stuck or noisy sender costs bounded memory and only its own line.
    """

    __slots__ = ("_skipping", "_tail")

    def __init__(self) -> None:
        self._tail = b""
        self._skipping = False

    def feed(self, data: bytes) -> list[bytes]:
        lines = (self._tail + data if self._tail else data).split(b"\n")
        tail = lines.pop()
        if self._skipping and lines:
            self._skipping = False
            del lines[0]  # the rest of an over-long line
        if self._skipping:
            tail = b""
        elif len(tail) >= MAX_LINE:
            lines.append(tail[:MAX_LINE])
            self._skipping = True
            tail = b""
        self._tail = tail
        return [line for line in lines if line and line != b"\r"]
