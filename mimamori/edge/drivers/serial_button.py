"""SerialButtonDriver: a check-in button unit on a serial port (``$P``/``$S``/``$B`` lines).

The unit sends each press line up to three times with the same counter, because a
press must get through a noisy cable; the driver yields one Press per counter. Every
valid line is also a DeviceReport: any sign of life counts against ``device.silent``,
and heartbeats carry the battery and mains readings. Whether the unit has gone
silent, its battery is low or the mains are off is for the household rules to
decide; this driver only reports what it hears.

The unit can also be told to remind the person (``remind``: a ``$R`` line; it beeps
and blinks until pressed, for at most the time given) and to stop (``quiet``: ``$Q``);
it answers with ``$N`` lines, which are logged and counted.

The port is owned like a receiver's (``serial_port.py``): reopened with backoff when
it is lost, every bad line counted as ``line.<reason>`` and skipped, never a crash.
The link state (up while the port is open) is only reported in the status: a
button is a household device, not a receiver, so no ``receiver.down`` comes of it.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import AsyncIterator

from mimamori.edge.clock import Clock
from mimamori.edge.config import SerialButton
from mimamori.edge.drivers.button_lines import (
    BootLine,
    ButtonLine,
    PressLine,
    ReminderLine,
    encode_quiet,
    encode_remind,
    parse_button_line,
)
from mimamori.edge.drivers.serial_port import SerialPortDriver, read_chunk
from mimamori.edge.observations import DeviceReport, Observation, Press

_log = logging.getLogger(__name__)

# Repeats of a press follow it at once, so the last few counters are enough to
# recognise them; a genuinely new press is never that close to a 16-bit wrap.
RECENT_COUNTERS = 4


class SerialButtonDriver(SerialPortDriver[SerialButton]):
    """Reads a button unit on ``config.port``; yields Press and DeviceReport observations."""

    kind = "serial_button"
    noun = "button"
    log = _log

    def __init__(
        self, config: SerialButton, clock: Clock, *, rng: random.Random | None = None
    ) -> None:
        super().__init__(config, clock, rng=rng)
        self._recent: deque[int] = deque(maxlen=RECENT_COUNTERS)
        self._writer: asyncio.StreamWriter | None = None  # while the port is open

    # -- talking to the unit ----------------------------------------------------------

    def remind(self, ref: str, for_s: int) -> bool:
        """Tell the unit to beep and blink until pressed (at most ``for_s`` seconds);
        False when the port is not open (the unit cannot be told now)."""
        return self._write(encode_remind(ref, for_s), "remind_sent")

    def quiet(self, ref: str) -> bool:
        """Tell the unit to stop reminding; False when the port is not open."""
        return self._write(encode_quiet(ref), "quiet_sent")

    def _write(self, line: bytes, counter: str) -> bool:
        writer = self._writer
        if writer is None or writer.is_closing():
            return False
        writer.write(line)  # a few bytes: the transport buffers them, never blocks
        self._counters[counter] += 1
        return True

    async def _read(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> AsyncIterator[Observation]:
        lines = self._line_reader(parse_button_line)
        self._writer = writer
        try:
            while True:
                for parsed in lines.feed(await read_chunk(reader)):
                    for observation in self._observe(parsed):
                        yield observation
        finally:
            self._writer = None

    def _went_up(self, detail: str) -> None:
        # A unit that was unplugged has restarted its counter (and its boot line
        # went out before the port was open): forget the old counters. A press
        # repeated across a replug is then reported twice, which is better than
        # losing the first press after it.
        self._recent.clear()
        self._link.up(detail)

    def _observe(self, parsed: ButtonLine) -> list[Observation]:
        at = self._clock.monotonic()
        ts = self._clock.now()
        self._link.last_frame = ts
        device = self._config.id
        if isinstance(parsed, PressLine):
            report = DeviceReport(device, at, ts)
            if parsed.counter in self._recent:
                self._counters["duplicates"] += 1
                return [report]
            self._recent.append(parsed.counter)
            self._counters["presses"] += 1
            _log.info("button %s: %s pressed (counter %d)", self.id, parsed.card, parsed.counter)
            return [Press(device, at, ts, parsed.card, parsed.counter), report]
        if isinstance(parsed, ReminderLine):
            self._counters[f"reminder_{parsed.state}"] += 1
            _log.info("button %s: reminder %s %s", self.id, parsed.ref, parsed.state)
            return [DeviceReport(device, at, ts)]
        if isinstance(parsed, BootLine):
            self._counters["boots"] += 1
            self._recent.clear()  # the counter starts again at boot
            _log.info(
                "button %s booted: firmware %s, reason %s", self.id, parsed.firmware, parsed.reason
            )
            return [DeviceReport(device, at, ts)]
        self._counters["heartbeats"] += 1
        return [DeviceReport(device, at, ts, parsed.battery_pct, parsed.mains)]
