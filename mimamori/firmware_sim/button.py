"""SimButton: the firmware of a check-in button unit on a pseudo-terminal.

The unit of the Kurobe practice: the person places a card (genki, soudan, or sos)
and presses. It sends ``$P,<counter>,<card>`` one to three times (a press must get
through a noisy cable; the gateway keeps one per counter), a heartbeat ``$S`` with
its battery and mains every ``heartbeat_s`` and at once when the mains go or come
back, and ``$B`` at power-on. The pty plumbing is ``serial_pty.py``'s.

It also listens (``listen()``): told ``$R,<ref>,<for_s>`` it beeps and blinks (here:
``reminding`` is set and ``on_reminder`` called) until it is pressed, told ``$Q``, or
``for_s`` seconds pass, and says so with ``$N,<ref>,on|pressed|quiet|timeout``.

Line protocol: see README.md next to this file.
"""

from __future__ import annotations

import asyncio
import binascii
import contextlib
import logging
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from mimamori.firmware_sim.serial_pty import SerialPty, encode_line

_log = logging.getLogger(__name__)

DEFAULT_FIRMWARE = "sim-btn-1.0"
HEARTBEAT_S = 600.0  # the protocol's heartbeat period: every 10 minutes
MAX_REPEATS = 3  # the firmware sends a press line at most this many times
MAX_COUNTER = 0xFFFF
CARDS = ("genki", "soudan", "sos")


class _Keep(Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP  # set_power(): leave this reading as it is


def _dash(value: object) -> str:
    return "-" if value is None else str(value)


MAX_LINE = 600  # the protocol's longest line; a longer one is noise
TICK_S = 0.5  # how often a beeping unit looks at its timeout while nothing arrives


@dataclass
class Reminder:
    """What the unit was told: beep for ``ref`` until pressed or ``until`` (its clock)."""

    ref: str
    for_s: int
    until: float
    ended: str | None = None  # pressed, quiet or timeout


def _parse(line: bytes) -> list[str] | None:
    """The fields of a valid ``$...*CRC`` line from the gateway; None for noise."""
    line = line.rstrip(b"\r")
    if len(line) < 7 or line[:1] != b"$" or line[-5:-4] != b"*":
        return None
    body = line[1:-5]
    try:
        crc = int(line[-4:], 16)
        text = body.decode("ascii")
    except ValueError:
        return None
    if binascii.crc_hqx(body, 0xFFFF) != crc:
        return None
    return text.split(",")


class SimButton(SerialPty):
    """One button unit. Plug it in, press it, cut its power, pull the plug."""

    def __init__(
        self,
        link: Path,
        *,
        firmware: str = DEFAULT_FIRMWARE,
        heartbeat_s: float = HEARTBEAT_S,
        battery_pct: int | None = 100,
        mains: bool | None = True,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(link, firmware=firmware, heartbeat_s=heartbeat_s, clock=clock)
        self._rng = rng or random.Random()
        self.counter = 0  # the counter of the next press; 0 again at each boot
        self.battery_pct: int | None = None
        self.mains: bool | None = None
        self.set_power(battery_pct=battery_pct, mains=mains)
        self.reminders: list[Reminder] = []  # every reminder told, newest last
        self.reminding: Reminder | None = None  # beeping and blinking now
        self.on_reminder: Callable[[Reminder, str], None] | None = None  # (reminder, state)
        self.bad_lines = 0  # lines from the gateway that were not valid
        self._inbox = b""

    # -- what the gateway says ---------------------------------------------------

    async def listen(self) -> None:
        """Read and obey the gateway's lines while plugged, until cancelled."""
        loop = asyncio.get_running_loop()
        readable = asyncio.Event()
        watched: int | None = None
        try:
            while True:
                master = self._master
                if master != watched:
                    if watched is not None:
                        with contextlib.suppress(ValueError, OSError):
                            loop.remove_reader(watched)
                    if master is not None:
                        loop.add_reader(master, readable.set)
                    watched = master
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(TICK_S):
                        await readable.wait()
                readable.clear()
                self.receive()
        finally:
            if watched is not None:
                with contextlib.suppress(ValueError, OSError):
                    loop.remove_reader(watched)

    def receive(self) -> None:
        """Take what the gateway has written, obey each line; end a reminder that ran out."""
        if self._master is not None:
            try:
                self._inbox += os.read(self._master, 4096)
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:  # EIO: the gateway closed its side
                self._inbox = b""
        *lines, self._inbox = self._inbox.split(b"\n")
        if len(self._inbox) > MAX_LINE:
            self._inbox = b""
        for line in lines:
            if line:
                self._obey(_parse(line))
        r = self.reminding
        if r is not None and self._clock() >= r.until:
            self._stop_reminding("timeout")

    def _obey(self, fields: list[str] | None) -> None:
        if fields is not None and fields[0] == "R" and len(fields) == 3 and fields[2].isdigit():
            if self.reminding is not None:
                self._stop_reminding("quiet")
            reminder = Reminder(fields[1], int(fields[2]), self._clock() + int(fields[2]))
            self.reminders.append(reminder)
            self.reminding = reminder
            self._said(reminder, "on")
        elif fields is not None and fields[0] == "Q" and len(fields) == 2:
            if self.reminding is not None and self.reminding.ref == fields[1]:
                self._stop_reminding("quiet")
        else:
            self.bad_lines += 1

    def _stop_reminding(self, why: str) -> None:
        reminder, self.reminding = self.reminding, None
        if reminder is not None:
            reminder.ended = why
            self._said(reminder, why)

    def _said(self, reminder: Reminder, state: str) -> None:
        _log.info("%s: reminder %s %s", self.link, reminder.ref, state)
        self._send_line(encode_line("N", reminder.ref, state))
        if self.on_reminder is not None:
            self.on_reminder(reminder, state)

    def _boot(self, reason: str) -> bytes:
        self.counter = 0
        self.reminding = None  # a reset forgets what it was told
        self._inbox = b""
        return encode_line("B", self.firmware, reason)

    def press(self, card: str, *, repeats: int | None = None) -> int:
        """A press with ``card`` in place: the line 1-3 times (random unless given).

        Returns how many copies went out (0 when unplugged or the buffer is full).
        """
        if card not in CARDS:
            raise ValueError(f"card {card!r} is not one of {', '.join(CARDS)}")
        if repeats is None:
            repeats = self._rng.randint(1, MAX_REPEATS)
        if not 1 <= repeats <= MAX_REPEATS:
            raise ValueError(f"a press is sent 1 to {MAX_REPEATS} times, not {repeats}")
        if not self.plugged:
            return 0
        line = encode_line("P", str(self.counter), card)
        self.counter = (self.counter + 1) & MAX_COUNTER
        sent = sum(self._send_line(line) for _ in range(repeats))
        self._stop_reminding("pressed")  # a press is what a reminder waits for
        return sent

    def set_power(
        self,
        *,
        battery_pct: int | _Keep | None = KEEP,
        mains: bool | _Keep | None = KEEP,
    ) -> None:
        """Change what the unit senses (None: it has no battery / cannot sense mains).

        When the mains go or come back the firmware reports it at once.
        """
        if not isinstance(battery_pct, _Keep):
            if battery_pct is not None and not 0 <= battery_pct <= 100:
                raise ValueError(f"battery {battery_pct} % outside 0..100")
            self.battery_pct = battery_pct
        if not isinstance(mains, _Keep) and mains != self.mains:
            self.mains = mains
            self.heartbeat()

    def heartbeat(self) -> bool:
        mains = None if self.mains is None else int(self.mains)
        battery = _dash(self.battery_pct)
        return self._send_line(
            encode_line("S", str(self.uptime_s), battery, _dash(mains), self.firmware)
        )
