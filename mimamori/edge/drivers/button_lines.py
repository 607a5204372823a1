"""The check-in button line protocol, parsed: bytes in, a typed line (or a LineError) out.

Same framing and CRC as the receiver's (``receiver_lines.py``); the line types are
written down in ``mimamori/firmware_sim/README.md``::

    $P,<counter>,<card>*CRC                                   a press (sent 1-3 times)
    $S,<uptime_s>,<battery_pct|->,<mains 1|0|->,<firmware>*CRC  heartbeat, every 10 minutes
    $B,<firmware>,<reason>*CRC                                boot
    $N,<ref>,<state>*CRC                                      a reminder began or ended

and the gateway's lines to the unit (``encode_remind``, ``encode_quiet``)::

    $R,<ref>,<for_s>*CRC     beep and blink until pressed, for at most for_s seconds
    $Q,<ref>*CRC             stop reminding now

Pure functions: no I/O, no state. Removing the repeats of a press is the driver's job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from mimamori.edge.drivers.receiver_lines import (
    BootLine,
    LineError,
    crc16,
    encode_line,
    parse_boot,
    parse_fields,
    token_field,
    unsigned_field,
)
from mimamori.protocol.events import Card

__all__ = [
    "BootLine",
    "ButtonLine",
    "LineError",
    "PressLine",
    "ReminderLine",
    "StatusLine",
    "crc16",
    "encode_line",
    "encode_quiet",
    "encode_remind",
    "parse_button_line",
]

MAX_COUNTER = 0xFFFF  # the press counter is 16 bits and wraps to 0
_CARDS: dict[bytes, Card] = {b"genki": "genki", b"soudan": "soudan", b"sos": "sos"}
_MAINS: dict[bytes, bool | None] = {b"1": True, b"0": False, b"-": None}


@dataclass(frozen=True, slots=True)
class PressLine:
    """``$P``: the button was pressed with ``card`` in place; repeats share ``counter``."""

    counter: int
    card: Card


@dataclass(frozen=True, slots=True)
class StatusLine:
    """``$S``: the unit is alive. None where it has no battery or cannot sense mains."""

    uptime_s: int
    battery_pct: int | None
    mains: bool | None
    firmware: str


ReminderState = Literal["on", "pressed", "timeout", "quiet"]
_REMINDER_STATES: dict[bytes, ReminderState] = {
    b"on": "on",
    b"pressed": "pressed",
    b"timeout": "timeout",
    b"quiet": "quiet",
}


@dataclass(frozen=True, slots=True)
class ReminderLine:
    """``$N``: the unit began reminding (``on``) or stopped, and why."""

    ref: str
    state: ReminderState


ButtonLine = PressLine | StatusLine | BootLine | ReminderLine


def encode_remind(ref: str, for_s: int) -> bytes:
    """``$R``: beep and blink until pressed, for at most ``for_s`` seconds."""
    return encode_line("R", ref, str(for_s))


def encode_quiet(ref: str) -> bytes:
    """``$Q``: stop reminding now."""
    return encode_line("Q", ref)


def _press(fields: list[bytes]) -> PressLine:
    if len(fields) != 3:
        raise LineError("bad_field", f"press line has {len(fields) - 1} fields, expected 2")
    counter = unsigned_field(fields[1], "counter")
    if counter > MAX_COUNTER:
        raise LineError("bad_field", f"counter {counter} outside 0..{MAX_COUNTER}")
    card = _CARDS.get(fields[2])
    if card is None:
        raise LineError("bad_field", f"card {fields[2][:16]!r} is not genki, soudan or sos")
    return PressLine(counter, card)


def _status(fields: list[bytes]) -> StatusLine:
    if len(fields) != 5:
        raise LineError("bad_field", f"heartbeat line has {len(fields) - 1} fields, expected 4")
    _, uptime, battery_field, mains_field, firmware = fields
    battery: int | None = None
    if battery_field != b"-":
        battery = unsigned_field(battery_field, "battery")
        if battery > 100:
            raise LineError("bad_field", f"battery {battery} % outside 0..100")
    if mains_field not in _MAINS:
        raise LineError("bad_field", f"mains {mains_field[:8]!r} is not 1, 0 or -")
    return StatusLine(
        unsigned_field(uptime, "uptime"),
        battery,
        _MAINS[mains_field],
        token_field(firmware, "firmware"),
    )


def _reminder(fields: list[bytes]) -> ReminderLine:
    if len(fields) != 3:
        raise LineError("bad_field", f"reminder line has {len(fields) - 1} fields, expected 2")
    state = _REMINDER_STATES.get(fields[2])
    if state is None:
        raise LineError("bad_field", f"reminder state {fields[2][:16]!r} is not known")
    return ReminderLine(token_field(fields[1], "ref"), state)


_BUTTON_LINES: dict[bytes, Callable[[list[bytes]], ButtonLine]] = {
    b"P": _press,
    b"S": _status,
    b"B": parse_boot,
    b"N": _reminder,
}


def parse_button_line(line: bytes) -> ButtonLine:
    """Parse one button line, with or without its ``\\n``; raise LineError if it is not valid."""
    return parse_fields(line, _BUTTON_LINES)
