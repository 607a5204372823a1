"""HciUartDriver: a plain Bluetooth controller on a UART, spoken to in standard HCI (H4).

Many receiver boards are a Bluetooth controller and nothing else; the host side of
the stack is this driver. On every open of the port (and after every restart) it
sets the controller up from scratch, one command at a time, each waited for::

    HCI_Reset
    HCI_Set_Event_Mask                    Hardware Error, LE Meta
    HCI_LE_Set_Event_Mask                 LE Advertising Report, LE Extended Advertising Report
    HCI_LE_Read_Local_Supported_Features  is LE Extended Advertising there?
    HCI_LE_Set_Extended_Scan_Parameters   passive, 1M PHY       (extended)
    HCI_LE_Set_Extended_Scan_Enable       no duplicate filter
  or
    HCI_LE_Set_Scan_Parameters            passive               (legacy)
    HCI_LE_Set_Scan_Enable                no duplicate filter

then turns LE Advertising Reports and LE Extended Advertising Reports into Adverts.
A controller that refuses the extended commands (Unknown HCI Command, Unsupported
Feature) in ``auto`` mode is scanned with the legacy ones from then on.

Nothing the controller sends stops the loop: noise between packets is skipped to
the next plausible header, malformed events are counted and skipped, events we did
not ask for are counted. A command answered with a non-zero status, or not answered
within COMMAND_TIMEOUT_S, makes the receiver ``down`` with the command and status in
the reason and the log; the setup is tried again with backoff, on the same port.
A Hardware Error event, or a controller that announces itself again (a Command
Complete for no command, as after its own reset), sets scanning up again. So does
silence for ``watchdog_s``: a quiet street and a stuck controller look the same,
and a restart costs a few milliseconds; only a controller that does not answer is
``down``.

States::

    starting --scanning--> up --port lost / command refused or unanswered--> down --scanning--> up
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable
from typing import Any

from mimamori.edge.adverts import APPLE, EDDYSTONE, IBEACON_PREFIX, AdvertError, parse_ad_structures
from mimamori.edge.clock import Clock
from mimamori.edge.config import HciReceiver
from mimamori.edge.drivers import hci_commands as cmd
from mimamori.edge.drivers.hci_packets import (
    H4_EVENT,
    AdvertisingReport,
    AdvertisingReports,
    CommandComplete,
    CommandStatus,
    FragmentJoiner,
    H4Reassembler,
    HardwareError,
    HciEvent,
    HciFormatError,
    error_name,
    parse_event,
)
from mimamori.edge.drivers.hearing import HearingMeter
from mimamori.edge.drivers.serial_port import PortLost, SerialPortDriver, read_chunk
from mimamori.edge.observations import Advert, Observation, ReceiverState
from mimamori.protocol.status import DriverStatus

_log = logging.getLogger(__name__)

# BlueZ gives a command 2 s before it calls the controller stuck (HCI_CMD_TIMEOUT).
COMMAND_TIMEOUT_S = 2.0
# Statuses by which a controller says it has no extended scanning (Vol 1 Part F).
_NOT_SUPPORTED = (0x01, 0x11)


class ControllerError(Exception):
    """The controller refused a command or did not answer it; ``counter`` names it."""

    def __init__(self, counter: str, message: str, status: int | None = None) -> None:
        self.counter = counter
        self.status = status
        super().__init__(message)


class HciLink:
    """One open port to a controller: send a command and wait for its answer; read events.

    Bytes that are no packet, malformed events and packets that are no event are
    counted in ``counters`` (and logged through ``warn``); the rest come out as
    typed events, in order.
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        counters: Counter[str],
        warn: Callable[..., None],
        *,
        command_timeout_s: float = COMMAND_TIMEOUT_S,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._counters = counters
        self._warn = warn
        self._framer = H4Reassembler()
        self._events: deque[HciEvent] = deque()
        self._timeout_s = command_timeout_s

    async def next_event(self) -> HciEvent:
        while not self._events:
            self._take(await read_chunk(self._reader))
        return self._events.popleft()

    def _take(self, chunk: bytes) -> None:
        resyncs = self._framer.resyncs
        for indicator, packet in self._framer.feed(chunk):
            if indicator != H4_EVENT:
                self._counters["packets_unexpected"] += 1
                continue
            try:
                self._events.append(parse_event(packet))
            except HciFormatError as exc:
                self._counters["event." + exc.reason] += 1
                self._warn(exc.reason, "malformed event (%s): %s", exc.reason, exc)
        self._counters["h4.skipped_bytes"] = self._framer.skipped_bytes
        if self._framer.resyncs != resyncs:
            self._counters["h4.resyncs"] = self._framer.resyncs
            self._warn("resync", "bytes that are no HCI packet; skipped to the next one")

    async def command(self, packet: bytes) -> CommandComplete:
        """Send one command; its Command Complete, or ControllerError."""
        opcode = packet[1] | packet[2] << 8
        name = cmd.command_name(opcode)
        try:
            self._writer.write(packet)
            await self._writer.drain()
        except OSError as exc:
            raise PortLost(str(exc) or type(exc).__name__) from exc
        try:
            async with asyncio.timeout(self._timeout_s):
                while True:
                    event = await self.next_event()
                    if getattr(event, "opcode", None) != opcode:
                        self._counters["events_during_setup"] += 1  # adverts before the reset
                        continue
                    assert isinstance(event, CommandComplete | CommandStatus)
                    if event.status:
                        raise ControllerError(
                            "command_refused",
                            f"{name} refused: status {error_name(event.status)}",
                            event.status,
                        )
                    if isinstance(event, CommandComplete):
                        return event
                    # A Command Status of success means "working on it": keep waiting.
        except TimeoutError:
            raise ControllerError(
                "command_timeouts", f"{name}: no answer within {self._timeout_s:g} s"
            ) from None


class HciUartDriver(SerialPortDriver[HciReceiver]):
    """Scans through a Bluetooth controller on ``config.port``; yields Adverts."""

    kind = "hci_uart"
    noun = "receiver"
    log = _log

    def __init__(
        self,
        config: HciReceiver,
        clock: Clock,
        *,
        rng: random.Random | None = None,
        command_timeout_s: float = COMMAND_TIMEOUT_S,
    ) -> None:
        super().__init__(config, clock, rng=rng)
        self._command_timeout_s = command_timeout_s
        self._joiner = FragmentJoiner()
        self._extended_refused = False  # in auto: this controller said no to extended
        self._source = f"receiver {config.id} on {config.port}"
        self._hearing = HearingMeter(clock, config.hearing_minute_s)

    def status(self) -> DriverStatus:
        return self._link.status(self._hearing.status())

    def _port_options(self) -> dict[str, Any]:
        return {"rtscts": self._config.flow_control}

    def _warn(self, key: str, msg: str, *args: object) -> None:
        self._faults.warning(key, "%s: " + msg, self._source, *args)

    async def _read(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> AsyncIterator[Observation]:
        hci = HciLink(
            reader, writer, self._counters, self._warn, command_timeout_s=self._command_timeout_s
        )
        self._extended_refused = False  # it may be another controller now
        failures = 0
        while True:
            try:
                mode = await self._set_up(hci)
            except ControllerError as exc:
                failures += 1
                self._counters[exc.counter] += 1
                delay = self._backoff(failures)
                self._warn(exc.counter, "%s; setting up again in %.1f s", exc, delay)
                if (down := self._went_down(str(exc))) is not None:
                    yield down
                await asyncio.sleep(delay)
                continue
            failures = 0
            if self._link.state != "up":  # a watchdog restart is no news
                yield self._went_up(f"scanning ({mode})")
            async for observation in self._scan(hci):
                yield observation

    async def _set_up(self, hci: HciLink) -> str:
        """Reset the controller and start a passive scan; returns the mode in use."""
        config = self._config
        await hci.command(cmd.reset())
        await hci.command(cmd.set_event_mask())
        await hci.command(cmd.le_set_event_mask())
        features = await hci.command(cmd.le_read_local_supported_features())
        extended = config.scanning == "extended" or (
            config.scanning == "auto"
            and not self._extended_refused
            and cmd.supports_extended(features.returned)
        )
        interval, window = config.scan_interval_ms, config.scan_window_ms
        if extended:
            try:
                await hci.command(cmd.le_set_extended_scan_parameters(interval, window))
            except ControllerError as exc:
                if config.scanning == "extended" or exc.status not in _NOT_SUPPORTED:
                    raise
                # Logged once: the fallback sticks while this port stays open.
                self._extended_refused = True
                self._counters["extended_fallbacks"] += 1
                _log.warning("%s: %s; scanning with the legacy commands", self._source, exc)
            else:
                await hci.command(cmd.le_set_extended_scan_enable(True))
                return "extended"
        await hci.command(cmd.le_set_scan_parameters(interval, window))
        await hci.command(cmd.le_set_scan_enable(True))
        return "legacy"

    async def _scan(self, hci: HciLink) -> AsyncIterator[Observation]:
        """Adverts until the controller must be set up again (then return)."""
        loop = asyncio.get_running_loop()
        watchdog = self._config.watchdog_s
        deadline = loop.time() + watchdog
        self._joiner.clear()
        while True:
            try:
                async with asyncio.timeout_at(deadline):
                    event = await hci.next_event()
            except TimeoutError:
                self._counters["restarts"] += 1
                _log.debug(
                    "%s: no advert for %g s; setting scanning up again", self._source, watchdog
                )
                return
            if isinstance(event, AdvertisingReports):
                deadline = loop.time() + watchdog
                for report in event.reports:
                    advert = self._advert(report)
                    if advert is not None:
                        yield advert
            elif isinstance(event, HardwareError):
                self._counters["hardware_errors"] += 1
                self._warn(
                    "hardware", "hardware error 0x%02X; resetting the controller", event.code
                )
                return
            elif isinstance(event, CommandComplete) and event.opcode == 0:
                # Sent after a controller's own reset (power dip, its watchdog): it has
                # forgotten our scan.
                self._counters["controller_restarts"] += 1
                self._warn("restart", "the controller restarted by itself; setting it up again")
                return
            else:
                self._counters["events_unexpected"] += 1

    def _advert(self, report: AdvertisingReport) -> Advert | None:
        if report.scan_response:  # no tag format lives there; passive scans get none
            self._counters["scan_responses"] += 1
            return None
        if report.extended:
            joined = self._joiner.join(report)
            self._counters["fragments_dropped"] = self._joiner.dropped
            if joined is None:
                return None
            report = joined
        at, ts = self._clock.monotonic(), self._clock.now()
        self._hearing.heard(at, ts)  # tag or not: the radio hears
        if report.rssi is None:
            self._counters["reports_without_rssi"] += 1
            return None
        try:
            manufacturer, service_data = parse_ad_structures(report.data)
        except AdvertError as exc:
            self._counters["advert." + exc.reason] += 1
            return None
        apple = manufacturer.get(APPLE)
        if not (apple is not None and apple.startswith(IBEACON_PREFIX)) and (
            EDDYSTONE not in service_data
        ):
            self._counters["ignored"] += 1  # phones, earbuds...: not a tag
            return None
        self._counters["adverts"] += 1
        self._link.last_frame = ts
        return Advert(self._config.id, at, ts, report.rssi, manufacturer, service_data)

    def _opened(self, detail: str) -> None:
        # An open port is not yet a receiver: it is up once the controller scans.
        _log.debug("%s: %s", self._source, detail)

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
