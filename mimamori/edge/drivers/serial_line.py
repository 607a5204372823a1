"""SerialLineDriver: a receiver board on a serial port, speaking the line protocol.

One loop owns the port: open it, read lines, and when the port is lost (a USB
unplug, a receiver that resets its USB bridge) reopen it with backoff. Nothing the
board sends can stop the loop: every bad line is counted by reason and skipped, and
logged with the port and why (at most once every ten minutes for each reason).

States, each change yielded once as a ReceiverState and logged once::

    starting --open--> up --port lost / silent--> down --open / valid line--> up
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator

from mimamori.edge.adverts import AdvertError, parse_ad_structures
from mimamori.edge.clock import Clock
from mimamori.edge.config import SerialReceiver
from mimamori.edge.drivers.hearing import HearingMeter
from mimamori.edge.drivers.receiver_lines import (
    AdvertLine,
    BootLine,
    HeartbeatLine,
    ReceiverLine,
    parse_line,
)
from mimamori.edge.drivers.serial_port import REOPEN_BASE_S, SerialPortDriver, read_chunk
from mimamori.edge.observations import Advert, Heartbeat, Observation, ReceiverState
from mimamori.protocol.status import DriverStatus

__all__ = ["REOPEN_BASE_S", "SerialLineDriver"]

_log = logging.getLogger(__name__)


class SerialLineDriver(SerialPortDriver[SerialReceiver]):
    """Reads ``$A``/``$H``/``$B`` lines from ``config.port`` and yields observations."""

    kind = "serial_line"
    noun = "receiver"
    log = _log

    def __init__(
        self, config: SerialReceiver, clock: Clock, *, rng: random.Random | None = None
    ) -> None:
        super().__init__(config, clock, rng=rng)
        self._hearing = HearingMeter(clock, config.hearing_minute_s)

    def status(self) -> DriverStatus:
        return self._link.status(self._hearing.status())

    async def _read(
        self, reader: asyncio.StreamReader, _writer: asyncio.StreamWriter
    ) -> AsyncIterator[Observation]:
        """Observations from an open port until it is lost (then PortLost)."""
        loop = asyncio.get_running_loop()
        lines = self._line_reader(parse_line)
        silent_after = self._config.silent_after_s
        deadline: float | None = loop.time() + silent_after
        while True:
            try:
                async with asyncio.timeout_at(deadline):
                    chunk = await read_chunk(reader)
            except TimeoutError:
                deadline = None  # down until the next valid line; nothing more to time
                if (down := self._went_down(f"no valid line for {silent_after:g} s")) is not None:
                    yield down
                continue
            for parsed in lines.feed(chunk):
                deadline = loop.time() + silent_after
                if self._link.state != "up":
                    yield self._went_up("lines arrive again")
                observation = self._observe(parsed)
                if observation is not None:
                    yield observation

    def _observe(self, parsed: ReceiverLine) -> Observation | None:
        at = self._clock.monotonic()
        ts = self._clock.now()
        self._link.last_frame = ts
        if isinstance(parsed, AdvertLine):
            self._hearing.heard(at, ts)  # heard, even if its data turn out malformed
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
        if not self._link.down(reason):
            return None
        return self._state_change(up=False, reason=self._link.detail)

    def _went_up(self, detail: str) -> ReceiverState:
        self._link.up(detail)
        return self._state_change(up=True, reason=self._link.detail)

    def _state_change(self, *, up: bool, reason: str) -> ReceiverState:
        clock = self._clock
        return ReceiverState(self._config.id, clock.monotonic(), clock.now(), up, reason)
