"""A serial port owned for the life of a driver: open it, lose it, reopen it with backoff.

``SerialPortDriver`` is the common part of the drivers of serial hardware
(``serial_line``, ``serial_button``): it runs the open / read / lost / reopen loop,
hands each open port to the driver's ``_read``, and keeps the status. ``LineReader``
cuts what arrives into parsed lines, counting and logging the bad ones. A driver
only says what a line means and what to yield when the port goes up or down.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from typing import Any, Generic, Protocol, TypeVar

from serial_asyncio_fast import open_serial_connection

from mimamori.edge.drivers.link_state import REOPEN_BASE_S, LinkDriver, RateLimitedLog, backoff_s
from mimamori.edge.drivers.receiver_lines import LineError, LineFramer
from mimamori.edge.observations import Observation

__all__ = ["REOPEN_BASE_S", "LineReader", "PortLost", "SerialPortDriver", "backoff_s", "read_chunk"]

LineT = TypeVar("LineT")

# One read takes all the transport has buffered, up to this (~700 advert lines).
# serial_asyncio_fast hands data on 1 KiB at a time; taking it in bulk under load
# measured 40k -> 53k adverts/s over a pty on one core (tmp benchmark, 2026-11).
READ_CHUNK = 65536
CLOSE_TIMEOUT_S = 2.0


class PortLost(Exception):
    """The open port stopped working: unplugged, reset, or closed under us."""


async def read_chunk(reader: asyncio.StreamReader) -> bytes:
    """What the port has (at least one byte); PortLost when it is gone."""
    try:
        chunk = await reader.read(READ_CHUNK)
    except OSError as exc:
        raise PortLost(str(exc) or type(exc).__name__) from exc
    if not chunk:
        raise PortLost("end of file")
    return chunk


class LineReader(Generic[LineT]):
    """One open port's bytes, cut into lines and parsed; bad lines are skipped.

    A bad line is counted as ``line.<reason>`` and logged with ``source`` (which
    device on which port) and why, rate-limited; a good line after it is never lost.
    """

    def __init__(
        self,
        parse: Callable[[bytes], LineT],
        *,
        source: str,
        counters: Counter[str],
        log: RateLimitedLog,
    ) -> None:
        self._parse = parse
        self._source = source
        self._counters = counters
        self._log = log
        self._framer = LineFramer()

    def feed(self, chunk: bytes) -> Iterator[LineT]:
        for line in self._framer.feed(chunk):
            try:
                parsed = self._parse(line)
            except LineError as exc:
                self._counters["line." + exc.reason] += 1
                self._log.warning(
                    exc.reason, "%s: bad line (%s): %s", self._source, exc.reason, exc
                )
                continue
            yield parsed


class PortConfig(Protocol):
    """What the config of any serial device gives (SerialReceiver, SerialButton)."""

    @property
    def id(self) -> str: ...

    @property
    def port(self) -> str: ...

    @property
    def baudrate(self) -> int: ...

    @property
    def reopen_max_s(self) -> float: ...


PortConfigT = TypeVar("PortConfigT", bound=PortConfig)


class SerialPortDriver(LinkDriver[PortConfigT]):
    """The port loop of a driver; subclasses read lines (``_read``) and name themselves.

    ``_went_up`` and ``_went_down`` may return an observation to yield for the change.
    A driver that talks back to its device writes through the ``writer`` ``_read`` gets.
    """

    async def observations(self) -> AsyncGenerator[Observation, None]:
        """Observations until cancelled (or ``aclose()``-d: the port is closed at once)."""
        port = self._config.port
        failures = 0
        opened_before = False
        while True:
            if opened_before or failures:
                self._counters["reopen_attempts"] += 1
            try:
                reader, writer = await open_serial_connection(
                    url=port,
                    baudrate=self._config.baudrate,
                    # Two readers on one port would split the lines between them
                    # (ModemManager is known to probe new USB serial devices).
                    exclusive=True,
                    **self._port_options(),
                )
            except (OSError, ValueError) as exc:  # SerialException is an OSError
                failures += 1
                if (down := self._went_down(f"cannot open {port}: {exc}")) is not None:
                    yield down
                self.log.debug("%s: open failed (%d in a row): %s", self.id, failures, exc)
                await asyncio.sleep(self._backoff(failures))
                continue
            failures = 0
            opened_before = True
            try:
                if (up := self._opened(f"{port} open")) is not None:
                    yield up
                async for observation in self._read(reader, writer):
                    yield observation
            except PortLost as lost:
                if (down := self._went_down(f"port lost: {lost}")) is not None:
                    yield down
            finally:
                # abort, not close: close first drains the port (tcdrain, in a thread of
                # the default executor); on a stuck port that thread can wait for ever,
                # and asyncio.run waits for it before the process exits. Whatever is
                # still unsent is for a device we are leaving anyway. (A port lost on a
                # read is already closing: the library closed it itself.)
                if not writer.transport.is_closing():
                    writer.transport.abort()
                with contextlib.suppress(OSError, TimeoutError):
                    await asyncio.wait_for(writer.wait_closed(), CLOSE_TIMEOUT_S)

    def _read(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> AsyncIterator[Observation]:
        """Observations from an open port until it is lost (PortLost, from read_chunk)."""
        raise NotImplementedError

    def _port_options(self) -> dict[str, Any]:
        """More pyserial settings for this kind of device (e.g. ``rtscts``)."""
        return {}

    def _opened(self, detail: str) -> Observation | None:
        """The port is open: for a device that talks first, this is its link up."""
        return self._went_up(detail)

    def _went_up(self, detail: str) -> Observation | None:
        self._link.up(detail)
        return None

    def _went_down(self, reason: str) -> Observation | None:
        self._link.down(reason)
        return None

    def _line_reader(self, parse: Callable[[bytes], LineT]) -> LineReader[LineT]:
        source = f"{self.noun} {self.id} on {self._config.port}"
        return LineReader(parse, source=source, counters=self._counters, log=self._faults)

    def _backoff(self, failures: int) -> float:
        return backoff_s(self._rng, failures, self._config.reopen_max_s)
