"""A simulated serial device on a pseudo-terminal: the plumbing every sim board shares.

The gateway opens ``link``, a symlink to the pty's slave side, the way it opens
``/dev/serial/by-id/...`` on a Pi: the link outlives a replug while the pty behind
it changes. The sim writes to the master side, never blocking: like a UART with
a full transmit buffer, a line that does not fit is not sent (``_send`` says so),
and a line the pty took only part of is finished before anything else.

Subclasses (SimReceiver, SimButton) say what their boot line and heartbeat are and
what else they send; ``run()`` is the heartbeat loop of every board.
"""

from __future__ import annotations

import asyncio
import binascii
import contextlib
import logging
import os
import time
import tty
from collections.abc import Callable
from pathlib import Path
from typing import Self

_log = logging.getLogger(__name__)


def encode_line(kind: str, *fields: str) -> bytes:
    """``$kind,field,...*CRC\\n`` with its CRC-16/CCITT-FALSE."""
    body = ",".join((kind, *fields)).encode("ascii")
    return b"$%s*%04X\n" % (body, binascii.crc_hqx(body, 0xFFFF))


class SerialPty:
    """A device on a pty behind ``link``: plug it in, write lines, pull the plug."""

    def __init__(
        self,
        link: Path,
        *,
        firmware: str,
        heartbeat_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.link = Path(link)
        self.firmware = firmware
        self.heartbeat_s = heartbeat_s
        self._clock = clock
        self._master: int | None = None
        self._slave: int | None = None
        self._pending = b""  # the rest of a line the pty took only part of
        self._writer_loop: asyncio.AbstractEventLoop | None = None
        self._booted_at = 0.0
        self.sent = 0  # lines written whole
        self.lost_lines = 0  # heartbeats and other lines a full buffer did not take, since boot

    @property
    def plugged(self) -> bool:
        return self._master is not None

    @property
    def device(self) -> str | None:
        """The pty slave the link points at (``/dev/pts/N``), while plugged."""
        return os.ttyname(self._slave) if self._slave is not None else None

    @property
    def uptime_s(self) -> int:
        return int(self._clock() - self._booted_at)

    # -- power -------------------------------------------------------------

    def plug(self, reason: str = "power_on") -> None:
        """Power on: a new pty, the link pointed at it, and the boot line."""
        if self.plugged:
            raise RuntimeError(f"{self.link} is already plugged in")
        master, slave = os.openpty()
        # Raw: no echo, no CR/NL translation, no line buffering; bytes pass as sent.
        tty.setraw(slave)
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        self.link.parent.mkdir(parents=True, exist_ok=True)
        staging = self.link.with_name(f".{self.link.name}.{os.getpid()}")
        with contextlib.suppress(FileNotFoundError):
            staging.unlink()
        staging.symlink_to(os.ttyname(slave))
        staging.replace(self.link)  # atomic: a reader never sees a missing link
        self._booted_at = self._clock()
        self._pending = b""
        self.lost_lines = 0
        _log.debug("%s plugged in at %s", self.link, os.ttyname(slave))
        # A lone newline first ends whatever line the reset cut short.
        self._send(b"\n" + self._boot(reason))

    def unplug(self) -> None:
        """Pull the plug: the pty disappears under the reader, the link goes away."""
        if self._master is None:
            return
        if self._writer_loop is not None:
            self._writer_loop.remove_writer(self._master)
            self._writer_loop = None
        for fd in (self._master, self._slave):
            if fd is not None:
                os.close(fd)
        self._master = self._slave = None
        self._pending = b""
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()
        _log.debug("%s unplugged", self.link)

    def replug(self, reason: str = "power_on") -> None:
        self.unplug()
        self.plug(reason)

    def close(self) -> None:
        self.unplug()

    def __enter__(self) -> Self:
        if not self.plugged:
            self.plug()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _boot(self, reason: str) -> bytes:
        """Power-on, as the firmware starts: reset what it counts since boot; its boot line."""
        raise NotImplementedError

    # -- lines -------------------------------------------------------------

    def heartbeat(self) -> bool:
        """Send one heartbeat line; False when it was not sent (unplugged, buffer full)."""
        raise NotImplementedError

    async def run(self) -> None:
        """The heartbeat loop: one every ``heartbeat_s`` while plugged, until cancelled."""
        while True:
            await asyncio.sleep(self.heartbeat_s)
            self.heartbeat()

    def _send_line(self, line: bytes) -> bool:
        """A line whole, or counted in ``lost_lines`` (unplugged: simply not sent)."""
        if not self.plugged:
            return False
        if self._send(line):
            return True
        self.lost_lines += 1
        return False

    # -- the transmit buffer -----------------------------------------------

    def write_raw(self, data: bytes) -> bool:
        """Put any bytes on the wire (fault injection: bad CRC, noise, cut lines)."""
        return self._send(data)

    def _send(self, data: bytes) -> bool:
        """Write ``data`` whole or not at all (a tail left over finishes first)."""
        if self._master is None:
            return False
        if self._pending:
            self._flush()
            if self._pending:
                return False
        try:
            written = os.write(self._master, data)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError as exc:  # EIO: the pty hung up
            _log.debug("%s: write failed: %s", self.link, exc)
            return False
        if written < len(data):
            self._pending = data[written:]
            self._watch_writable()
        self.sent += 1
        return True

    def _flush(self) -> None:
        if self._master is None or not self._pending:
            return
        try:
            written = os.write(self._master, self._pending)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._pending = b""
            return
        self._pending = self._pending[written:]
        if not self._pending and self._writer_loop is not None:
            self._writer_loop.remove_writer(self._master)
            self._writer_loop = None

    def _watch_writable(self) -> None:
        """Finish the pending tail as soon as the pty has room (when a loop runs)."""
        if self._writer_loop is not None or self._master is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop: the next write finishes the tail first
        loop.add_writer(self._master, self._flush)
        self._writer_loop = loop
