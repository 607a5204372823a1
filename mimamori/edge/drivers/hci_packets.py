"""HCI over UART (H4), parsed: bytes in, typed packets and events out. No I/O.

Facts from the Bluetooth Core Specification (5.x):

* H4 (Vol 4 Part A, 2): every packet starts with one indicator byte: 0x01 command,
  0x02 ACL data, 0x03 synchronous data, 0x04 event, 0x05 ISO data. There is no
  checksum and no start marker: after noise, the only way back into step is to skip
  bytes until something that looks like a packet header comes.
* Command (Vol 4 Part E, 5.4.1): opcode (2 bytes LE: OCF in the low 10 bits, OGF in
  the high 6), parameter length (1), parameters.
* Event (5.4.4): event code (1), parameter length (1), parameters.
* Command Complete 0x0E (7.7.14): Num_HCI_Command_Packets (1), Command_Opcode (2),
  return parameters, which begin with a status for every command we send. Command
  Status 0x0F (7.7.15): Status (1), Num_HCI_Command_Packets (1), Command_Opcode (2).
  Hardware Error 0x10 (7.7.16): Hardware_Code (1).
* LE Meta 0x3E (7.7.65) carries a subevent code first. LE Advertising Report 0x02:
  Num_Reports, then per report Event_Type (1), Address_Type (1), Address (6),
  Data_Length (1), Data, RSSI (1, signed; 127: not available). LE Extended Advertising
  Report 0x0D: Num_Reports, then per report Event_Type (2), Address_Type, Address (6),
  Primary_PHY, Secondary_PHY, Advertising_SID, TX_Power, RSSI, Periodic_Advertising_
  Interval (2), Direct_Address_Type, Direct_Address (6), Data_Length, Data. Controllers
  (and the specification since 5.2) send each report's fields together.
* Error codes: Vol 1 Part F.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mimamori.edge.drivers.hci_commands import command_name

# H4 packet indicators.
H4_COMMAND = 0x01
H4_ACL = 0x02
H4_SCO = 0x03
H4_EVENT = 0x04
H4_ISO = 0x05

EVT_COMMAND_COMPLETE = 0x0E
EVT_COMMAND_STATUS = 0x0F
EVT_HARDWARE_ERROR = 0x10
EVT_LE_META = 0x3E
LE_ADVERTISING_REPORT = 0x02
LE_EXTENDED_ADVERTISING_REPORT = 0x0D

LEGACY_SCAN_RSP = 0x04  # legacy report Event_Type: a scan response
EXT_SCAN_RESPONSE = 0x0008  # extended Event_Type bit 3
EXT_DATA_STATUS_SHIFT = 5  # extended Event_Type bits 5-6: 0 complete, 1 more, 2 truncated
RSSI_UNAVAILABLE = 127
MAX_LEGACY_DATA = 31  # Vol 6 Part B, 2.3: AdvData of a legacy PDU
MAX_JOINED_DATA = 1650  # Vol 4 Part E, 7.8.54: the most advertising data one set can carry
EXT_REPORT_FIXED = 24  # bytes of an extended report before its data

# The largest payload accepted for each packet type this side of the UART, so that a
# stray indicator byte in noise cannot make the reassembler wait for 64 KiB. Events
# have a one-byte length; the others are far above anything a scanner receives (we
# open no connections, so any ACL, SCO or ISO packet is unexpected anyway).
_MAX_PAYLOAD = {H4_EVENT: 255, H4_ACL: 1024, H4_SCO: 255, H4_ISO: 1024}
# Header after the indicator: (length of the header, offset of the length, its size).
_HEADER = {H4_EVENT: (2, 1, 1), H4_ACL: (4, 2, 2), H4_SCO: (3, 2, 1), H4_ISO: (4, 2, 2)}

ERROR_NAMES = {
    0x01: "Unknown HCI Command",
    0x03: "Hardware Failure",
    0x07: "Memory Capacity Exceeded",
    0x0C: "Command Disallowed",
    0x0D: "Connection Rejected due to Limited Resources",
    0x11: "Unsupported Feature or Parameter Value",
    0x12: "Invalid HCI Command Parameters",
    0x1F: "Unspecified Error",
    0x20: "Unsupported LL Parameter Value",
    0x3A: "Controller Busy",
    0x45: "Packet Too Long",
}


def error_name(status: int) -> str:
    """``0x0C Command Disallowed``: a status code with its name from the specification."""
    return f"0x{status:02X} {ERROR_NAMES.get(status, 'error')}"


class HciFormatError(ValueError):
    """An event that is not well-formed; ``reason`` is a short counter name."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


# -- events ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CommandComplete:
    opcode: int  # 0x0000 (no command): the controller announces it takes commands
    status: int | None  # None when there are no return parameters (the NOP above)
    returned: bytes  # the return parameters after the status

    def __str__(self) -> str:
        return f"Command Complete for {command_name(self.opcode)}"


@dataclass(frozen=True, slots=True)
class CommandStatus:
    opcode: int
    status: int


@dataclass(frozen=True, slots=True)
class HardwareError:
    code: int


@dataclass(frozen=True, slots=True)
class AdvertisingReport:
    """One report of an advert heard.

    ``source`` (address type, address, SID) is there only to join the fragments of an
    extended advert; it is never kept beyond that (see ``observations.Advert``).
    """

    source: bytes
    scan_response: bool
    rssi: int | None  # None: the controller could not measure it
    data: bytes
    status: Literal["complete", "more", "truncated"] = "complete"
    extended: bool = False


@dataclass(frozen=True, slots=True)
class AdvertisingReports:
    reports: tuple[AdvertisingReport, ...]


@dataclass(frozen=True, slots=True)
class OtherEvent:
    """An event this driver does not use (its code, and subevent for LE Meta)."""

    code: int
    subevent: int | None = None


HciEvent = CommandComplete | CommandStatus | HardwareError | AdvertisingReports | OtherEvent


def _rssi(byte: int) -> int | None:
    return None if byte == RSSI_UNAVAILABLE else byte - 256 if byte > 127 else byte


def _legacy_reports(params: bytes) -> AdvertisingReports:
    count = params[1]
    if count == 0:
        raise HciFormatError("bad_report", "LE Advertising Report with no report")
    i = 2
    reports = []
    for _ in range(count):
        if i + 9 > len(params):
            raise HciFormatError("bad_report", "LE Advertising Report cut short")
        event_type = params[i]
        source = bytes(params[i + 1 : i + 8])
        length = params[i + 8]
        if length > MAX_LEGACY_DATA:
            raise HciFormatError("bad_report", f"legacy report with {length} bytes of data")
        end = i + 9 + length
        if end + 1 > len(params):
            raise HciFormatError("bad_report", "LE Advertising Report cut short")
        data = bytes(params[i + 9 : end])
        reports.append(
            AdvertisingReport(source, event_type == LEGACY_SCAN_RSP, _rssi(params[end]), data)
        )
        i = end + 1
    if i != len(params):
        raise HciFormatError("bad_report", f"{len(params) - i} bytes after the last report")
    return AdvertisingReports(tuple(reports))


_DATA_STATUS: tuple[Literal["complete", "more", "truncated"], ...] = (
    "complete",
    "more",
    "truncated",
)


def _extended_reports(params: bytes) -> AdvertisingReports:
    count = params[1]
    if count == 0:
        raise HciFormatError("bad_report", "LE Extended Advertising Report with no report")
    i = 2
    reports = []
    for _ in range(count):
        if i + EXT_REPORT_FIXED > len(params):
            raise HciFormatError("bad_report", "LE Extended Advertising Report cut short")
        event_type = params[i] | params[i + 1] << 8
        data_status = (event_type >> EXT_DATA_STATUS_SHIFT) & 0x03
        if data_status == 3:
            raise HciFormatError("bad_report", "extended report with reserved data status 3")
        # address type and address, then the SID: who sent this fragment
        source = bytes(params[i + 2 : i + 9]) + bytes(params[i + 11 : i + 12])
        rssi = _rssi(params[i + 13])
        length = params[i + 23]
        end = i + EXT_REPORT_FIXED + length
        if end > len(params):
            raise HciFormatError("bad_report", "LE Extended Advertising Report cut short")
        reports.append(
            AdvertisingReport(
                source,
                bool(event_type & EXT_SCAN_RESPONSE),
                rssi,
                bytes(params[i + EXT_REPORT_FIXED : end]),
                _DATA_STATUS[data_status],
                extended=True,
            )
        )
        i = end
    if i != len(params):
        raise HciFormatError("bad_report", f"{len(params) - i} bytes after the last report")
    return AdvertisingReports(tuple(reports))


def parse_event(packet: bytes) -> HciEvent:
    """One event packet (code, length, parameters; no indicator) -> a typed event.

    Raises HciFormatError when the parameters do not have the shape of their event.
    """
    if len(packet) < 2 or packet[1] != len(packet) - 2:
        raise HciFormatError("bad_length", "event length does not match its parameters")
    code, params = packet[0], packet[2:]
    if code == EVT_COMMAND_COMPLETE:
        if len(params) < 3:
            raise HciFormatError("bad_event", "Command Complete shorter than 3 bytes")
        opcode = params[1] | params[2] << 8
        status = params[3] if len(params) > 3 else None
        return CommandComplete(opcode, status, bytes(params[4:]))
    if code == EVT_COMMAND_STATUS:
        if len(params) != 4:
            raise HciFormatError("bad_event", "Command Status is not 4 bytes")
        return CommandStatus(params[2] | params[3] << 8, params[0])
    if code == EVT_HARDWARE_ERROR:
        if len(params) != 1:
            raise HciFormatError("bad_event", "Hardware Error is not 1 byte")
        return HardwareError(params[0])
    if code == EVT_LE_META:
        return _le_meta(params)
    return OtherEvent(code)


def _le_meta(params: bytes) -> AdvertisingReports | OtherEvent:
    if not params:
        raise HciFormatError("bad_event", "LE Meta event without a subevent")
    subevent = params[0]
    if subevent not in (LE_ADVERTISING_REPORT, LE_EXTENDED_ADVERTISING_REPORT):
        return OtherEvent(EVT_LE_META, subevent)
    if len(params) < 2:
        raise HciFormatError("bad_report", "advertising report without Num_Reports")
    if subevent == LE_ADVERTISING_REPORT:
        return _legacy_reports(params)
    return _extended_reports(params)


# -- the byte stream -------------------------------------------------------------------


class H4Reassembler:
    """Cuts what the UART delivers into whole packets, whatever the chunks.

    ``feed`` returns ``(indicator, packet)`` pairs (the packet without its indicator
    byte). A byte that cannot start a packet (an unknown indicator, an event code of
    0, a length beyond what that type may carry) is skipped and counted in
    ``skipped_bytes``; ``resyncs`` counts the runs of such bytes. Memory stays bounded
    by one packet: a half packet waits at most for the bytes its header announced.
    """

    __slots__ = ("_buffer", "_skipping", "resyncs", "skipped_bytes")

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._skipping = False
        self.skipped_bytes = 0
        self.resyncs = 0

    @property
    def waiting(self) -> int:
        """Bytes of a packet not yet whole."""
        return len(self._buffer)

    def _skip(self) -> None:
        self.skipped_bytes += 1
        if not self._skipping:
            self._skipping = True
            self.resyncs += 1

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        buf = self._buffer
        buf += data
        packets: list[tuple[int, bytes]] = []
        i = 0
        end = len(buf)
        while i < end:
            indicator = buf[i]
            header = _HEADER.get(indicator)
            if header is None:
                self._skip()
                i += 1
                continue
            header_len, length_at, length_size = header
            if i + 1 + header_len > end:
                break  # wait for the rest of the header
            at = i + 1 + length_at
            length = buf[at] if length_size == 1 else buf[at] | buf[at + 1] << 8
            if length > _MAX_PAYLOAD[indicator] or (indicator == H4_EVENT and buf[i + 1] == 0):
                self._skip()
                i += 1
                continue
            total = 1 + header_len + length
            if i + total > end:
                break  # wait for the rest of the packet
            packets.append((indicator, bytes(buf[i + 1 : i + total])))
            self._skipping = False
            i += total
        del buf[:i]
        return packets


class FragmentJoiner:
    """Joins the fragments of extended adverts (data status "more") into one report.

    Fragments of one advert come from one source (address and SID). Reports of other
    sources may come in between, so a few are kept apart; a source that stops halfway
    is dropped when ``MAX_PENDING`` others are waiting, and a truncated advert is
    dropped whole. Either way ``dropped`` counts it.
    """

    MAX_PENDING = 16

    def __init__(self) -> None:
        self._pending: dict[bytes, AdvertisingReport] = {}
        self.dropped = 0

    def join(self, report: AdvertisingReport) -> AdvertisingReport | None:
        """The whole advert once its last fragment came; None while it is incomplete."""
        before = self._pending.pop(report.source, None)
        if before is not None:
            data = before.data + report.data
            if len(data) > MAX_JOINED_DATA:
                self.dropped += 1
                return None
            report = AdvertisingReport(
                report.source, before.scan_response, before.rssi, data, report.status, True
            )
        if report.status == "complete":
            return report
        if report.status == "truncated":
            self.dropped += 1
            return None
        if len(self._pending) >= self.MAX_PENDING:
            del self._pending[next(iter(self._pending))]  # the oldest waiting source
            self.dropped += 1
        self._pending[report.source] = report
        return None

    def clear(self) -> None:
        self._pending.clear()
