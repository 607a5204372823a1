"""SimReceiver: the firmware of a receiver board, on a pseudo-terminal.

The pty plumbing (the link, plug / unplug, a transmit buffer that never blocks) is
``serial_pty.py``'s. Like the firmware, the board drops an advert that does not fit
its transmit buffer and counts it in its heartbeat.

Line protocol: see README.md next to this file.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from mimamori.firmware_sim.serial_pty import SerialPty, encode_line

__all__ = ["DEFAULT_FIRMWARE", "HEARTBEAT_S", "SimReceiver", "advert_line", "encode_line"]

DEFAULT_FIRMWARE = "sim-1.0"
HEARTBEAT_S = 10.0  # the protocol's heartbeat period


def advert_line(addr: str, rssi: int, adv: bytes, *, random_address: bool = True) -> bytes:
    addr = addr.replace(":", "").upper()
    if len(addr) != 12:
        raise ValueError(f"address {addr!r} is not 6 bytes")
    return encode_line("A", addr, "R" if random_address else "P", str(rssi), adv.hex().upper())


class SimReceiver(SerialPty):
    """One receiver board. Plug it in, feed it adverts, pull the plug."""

    def __init__(
        self,
        link: Path,
        *,
        firmware: str = DEFAULT_FIRMWARE,
        heartbeat_s: float = HEARTBEAT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(link, firmware=firmware, heartbeat_s=heartbeat_s, clock=clock)
        self.dropped = 0  # adverts lost to a full buffer since boot (reported in $H)
        # A deaf board: its radio hears nothing (an antenna knocked off), while the board
        # itself lives on and sends its heartbeats: the gateway's link stays up.
        self.deaf = False

    def _boot(self, reason: str) -> bytes:
        self.dropped = 0
        return encode_line("B", self.firmware, reason)

    def advert(self, addr: str, rssi: int, adv: bytes, *, random_address: bool = True) -> bool:
        """Report one advert heard; False when it was dropped (buffer full or unplugged)
        or not heard at all (deaf)."""
        if not self.plugged or self.deaf:
            return False
        if self._send(advert_line(addr, rssi, adv, random_address=random_address)):
            return True
        self.dropped += 1
        return False

    def heartbeat(self) -> bool:
        line = encode_line("H", str(self.uptime_s), self.firmware, str(self.dropped))
        return self._send_line(line)
