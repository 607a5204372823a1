"""SimButton: the firmware of a check-in button unit on a pseudo-terminal.

The unit of the Kurobe practice: the person places a card (genki, soudan, or sos)
and presses. It sends ``$P,<counter>,<card>`` one to three times (a press must get
through a noisy cable; the gateway keeps one per counter), a heartbeat ``$S`` with
its battery and mains every ``heartbeat_s`` and at once when the mains go or come
back, and ``$B`` at power-on. The pty plumbing is ``serial_pty.py``'s.

Line protocol: see README.md next to this file.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from enum import Enum
from pathlib import Path

from mimamori.firmware_sim.serial_pty import SerialPty, encode_line

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

    def _boot(self, reason: str) -> bytes:
        self.counter = 0
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
        return sum(self._send_line(line) for _ in range(repeats))

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
