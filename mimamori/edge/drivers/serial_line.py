"""SerialLineDriver: a receiver board on a serial port, speaking the line protocol.

One loop owns the port: open it, read lines, and when the port is lost (a USB
unplug, a receiver that resets its USB bridge) reopen it with backoff. Nothing the
board sends can stop the loop: every bad line is counted by reason and skipped.

States, each change yielded once as a ReceiverState and logged once::

    starting --open--> up --port lost / silent--> down --open / valid line--> up
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import datetime
from typing import Literal

from serial_asyncio_fast import open_serial_connection

from ...protocol.status import DriverStatus
from ..adverts import AdvertError, parse_ad_structures
from ..clock import Clock
from ..config import SerialReceiver
from ..observations import Advert, Heartbeat, Observation, ReceiverState
from .receiver_lines import (
    AdvertLine,
    BootLine,
    HeartbeatLine,
    LineError,
    LineFramer,
    ReceiverLine,
    parse_line,
)

_log = logging.getLogger(__name__)

# The first reopen waits up to 0.25 s, then twice as long per failure up to
# reopen_max_s, with full jitter (AWS Architecture Blog, "Exponential Backoff And
# Jitter", 2015): after a power cut every gateway of a town retries, spread out.
REOPEN_BASE_S = 0.25
# One read takes all the transport has buffered, up to this (~700 advert lines).
# serial_asyncio_fast hands data on 1 KiB at a time; taking it in bulk under load
# measured 40k -> 53k adverts/s over a pty on one core (tmp benchmark, 2026-11).
READ_CHUNK = 65536
CLOSE_TIMEOUT_S = 2.0
MAX_REASON = 200  # ReceiverData.reason on the wire holds at most 200 characters


class _PortLost(Exception):
    """The open port stopped working: unplugged, reset, or closed under us."""


class SerialLineDriver:
    """Reads ``$A``/``$H``/``$B`` lines from ``config.port`` and yields observations."""

    def __init__(
        self, config: SerialReceiver, clock: Clock, *, rng: random.Random | None = None
    ) -> None:
        self._config = config
        self._clock = clock
        self._rng = rng or random.Random()
        self._state: Literal["starting", "up", "down"] = "starting"
        self._detail = ""
        self._last_frame: datetime | None = None
        self._counters: Counter[str] = Counter()

    @property
    def id(self) -> str:
        return self._config.id

    def status(self) -> DriverStatus:
        return DriverStatus(
            driver="serial_line",
            state=self._state,
            detail=self._detail,
            last_frame=self._last_frame,
            counters=dict(self._counters),
        )

    async def observations(self) -> AsyncGenerator[Observation, None]:
        """Observations until cancelled (or ``aclose()``-d: the port is closed)."""
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
                )
            except (OSError, ValueError) as exc:  # SerialException is an OSError
                failures += 1
                if (down := self._went_down(f"cannot open {port}: {exc}")) is not None:
                    yield down
                _log.debug("receiver %s: open failed (%d in a row): %s", self.id, failures, exc)
                await asyncio.sleep(self._backoff(failures))
                continue
            failures = 0
            opened_before = True
            try:
                yield self._went_up(f"{port} open")
                async for observation in self._read(reader):
                    yield observation
            except _PortLost as lost:
                if (down := self._went_down(f"port lost: {lost}")) is not None:
                    yield down
            finally:
                writer.close()
                with contextlib.suppress(OSError, TimeoutError):
                    await asyncio.wait_for(writer.wait_closed(), CLOSE_TIMEOUT_S)

    async def _read(self, reader: asyncio.StreamReader) -> AsyncIterator[Observation]:
        """Observations from an open port until it is lost (then _PortLost)."""
        loop = asyncio.get_running_loop()
        framer = LineFramer()
        silent_after = self._config.silent_after_s
        deadline: float | None = loop.time() + silent_after
        while True:
            try:
                async with asyncio.timeout_at(deadline):
                    chunk = await reader.read(READ_CHUNK)
            except TimeoutError:
                deadline = None  # down until the next valid line; nothing more to time
                if (down := self._went_down(f"no valid line for {silent_after:g} s")) is not None:
                    yield down
                continue
            except OSError as exc:
                raise _PortLost(str(exc) or type(exc).__name__) from exc
            if not chunk:
                raise _PortLost("end of file")
            for line in framer.feed(chunk):
                try:
                    parsed = parse_line(line)
                except LineError as exc:
                    self._counters["line." + exc.reason] += 1
                    _log.debug("receiver %s: %s", self.id, exc)
                    continue
                deadline = loop.time() + silent_after
                if self._state != "up":
                    yield self._went_up("lines arrive again")
                observation = self._observe(parsed)
                if observation is not None:
                    yield observation

    def _observe(self, parsed: ReceiverLine) -> Observation | None:
        at = self._clock.monotonic()
        ts = self._clock.now()
        self._last_frame = ts
        if isinstance(parsed, AdvertLine):
            try:
                manufacturer, service_data = parse_ad_structures(parsed.data)
            except AdvertError as exc:
                self._counters["advert." + exc.reason] += 1
                return None
            self._counters["adverts"] += 1
            return Advert(self._config.id, at, ts, parsed.rssi, manufacturer, service_data)
        if isinstance(parsed, HeartbeatLine):
            self._counters["heartbeats"] += 1
            self._counters["receiver_dropped"] = parsed.dropped  # the board's own count
            detail = f"uptime {parsed.uptime_s} s, {parsed.firmware}, dropped {parsed.dropped}"
            return Heartbeat(self._config.id, at, ts, detail)
        assert isinstance(parsed, BootLine)
        self._counters["boots"] += 1
        _log.info(
            "receiver %s booted: firmware %s, reason %s", self.id, parsed.firmware, parsed.reason
        )
        return Heartbeat(self._config.id, at, ts, f"boot: {parsed.firmware}, {parsed.reason}")

    def _went_down(self, reason: str) -> ReceiverState | None:
        """The down transition, or None when already down (the reason is kept up to date)."""
        reason = reason[:MAX_REASON]
        self._detail = reason
        if self._state == "down":
            return None
        self._state = "down"
        _log.warning("receiver %s down: %s", self.id, reason)
        return self._state_change(up=False, reason=reason)

    def _went_up(self, detail: str) -> ReceiverState:
        if self._state == "down":
            _log.info("receiver %s recovered: %s", self.id, detail)
        else:
            _log.info("receiver %s up: %s", self.id, detail)
        self._state = "up"
        self._detail = detail
        return self._state_change(up=True, reason=detail)

    def _state_change(self, *, up: bool, reason: str) -> ReceiverState:
        clock = self._clock
        return ReceiverState(self._config.id, clock.monotonic(), clock.now(), up, reason)

    def _backoff(self, failures: int) -> float:
        ceiling = min(self._config.reopen_max_s, REOPEN_BASE_S * 2 ** min(failures - 1, 20))
        return self._rng.uniform(0.0, ceiling)
