"""The HCI commands a scanner sends, as H4 bytes (Bluetooth Core 5.x, Vol 4 Part E, 7).

Opcodes are ``OGF << 10 | OCF``. Every multi-byte field is little-endian. Scan
interval and window are in units of 0.625 ms (7.8.10): 0x0004 (2.5 ms) to 0x4000
(10.24 s) for both the legacy and the extended commands.
"""

from __future__ import annotations

HCI_RESET = 0x0C03  # 7.3.2
HCI_SET_EVENT_MASK = 0x0C01  # 7.3.1
LE_SET_EVENT_MASK = 0x2001  # 7.8.1
LE_READ_LOCAL_SUPPORTED_FEATURES = 0x2003  # 7.8.3
LE_SET_SCAN_PARAMETERS = 0x200B  # 7.8.10
LE_SET_SCAN_ENABLE = 0x200C  # 7.8.11
LE_SET_EXTENDED_SCAN_PARAMETERS = 0x2041  # 7.8.64
LE_SET_EXTENDED_SCAN_ENABLE = 0x2042  # 7.8.65

COMMAND_NAMES = {
    0x0000: "no command",
    HCI_RESET: "HCI_Reset",
    HCI_SET_EVENT_MASK: "HCI_Set_Event_Mask",
    LE_SET_EVENT_MASK: "HCI_LE_Set_Event_Mask",
    LE_READ_LOCAL_SUPPORTED_FEATURES: "HCI_LE_Read_Local_Supported_Features",
    LE_SET_SCAN_PARAMETERS: "HCI_LE_Set_Scan_Parameters",
    LE_SET_SCAN_ENABLE: "HCI_LE_Set_Scan_Enable",
    LE_SET_EXTENDED_SCAN_PARAMETERS: "HCI_LE_Set_Extended_Scan_Parameters",
    LE_SET_EXTENDED_SCAN_ENABLE: "HCI_LE_Set_Extended_Scan_Enable",
}

# Set Event Mask (7.3.1): bit 15 Hardware Error, bit 61 LE Meta. Command Complete and
# Command Status cannot be masked. Everything else (connections, inquiry...) stays off.
EVENT_MASK = 1 << 15 | 1 << 61
# LE Set Event Mask (7.8.1): bit 1 LE Advertising Report, bit 11 LE Extended
# Advertising Report.
LE_EVENT_MASK = 1 << 1 | 1 << 11
# LE features (Vol 6 Part B, 4.6): bit 12 is LE Extended Advertising, which brings
# the extended scanning commands with it.
LE_FEATURE_EXTENDED_ADVERTISING = 12

PASSIVE = 0x00  # scan type: listen only, never ask for a scan response
OWN_ADDRESS_PUBLIC = 0x00  # passive scanning sends nothing, so the address is never used
FILTER_ACCEPT_ALL = 0x00
PHY_LE_1M = 0x01  # tags advertise on the 1M PHY
SCAN_UNIT_MS = 0.625
MIN_SCAN_UNITS = 0x0004
MAX_SCAN_UNITS = 0x4000


def command_name(opcode: int) -> str:
    return COMMAND_NAMES.get(opcode, f"opcode 0x{opcode:04X}")


def command(opcode: int, params: bytes = b"") -> bytes:
    """A whole H4 command packet."""
    if len(params) > 255:
        raise ValueError("command parameters are at most 255 bytes")
    return bytes((0x01, opcode & 0xFF, opcode >> 8, len(params))) + params


def scan_units(ms: float) -> int:
    """Milliseconds -> 0.625 ms units, within what the commands accept."""
    return max(MIN_SCAN_UNITS, min(MAX_SCAN_UNITS, round(ms / SCAN_UNIT_MS)))


def reset() -> bytes:
    return command(HCI_RESET)


def set_event_mask(mask: int = EVENT_MASK) -> bytes:
    return command(HCI_SET_EVENT_MASK, mask.to_bytes(8, "little"))


def le_set_event_mask(mask: int = LE_EVENT_MASK) -> bytes:
    return command(LE_SET_EVENT_MASK, mask.to_bytes(8, "little"))


def le_read_local_supported_features() -> bytes:
    return command(LE_READ_LOCAL_SUPPORTED_FEATURES)


def le_set_scan_parameters(interval_ms: float, window_ms: float) -> bytes:
    """Passive legacy scanning, public address, every advert accepted."""
    interval, window = scan_units(interval_ms), scan_units(window_ms)
    params = (
        bytes((PASSIVE,))
        + interval.to_bytes(2, "little")
        + min(window, interval).to_bytes(2, "little")
        + bytes((OWN_ADDRESS_PUBLIC, FILTER_ACCEPT_ALL))
    )
    return command(LE_SET_SCAN_PARAMETERS, params)


def le_set_scan_enable(enable: bool) -> bytes:
    # Filter_Duplicates off: presence needs every advert (and its RSSI), not the first.
    return command(LE_SET_SCAN_ENABLE, bytes((int(enable), 0)))


def le_set_extended_scan_parameters(interval_ms: float, window_ms: float) -> bytes:
    """Passive extended scanning on the 1M PHY only."""
    interval, window = scan_units(interval_ms), scan_units(window_ms)
    params = (
        bytes((OWN_ADDRESS_PUBLIC, FILTER_ACCEPT_ALL, PHY_LE_1M, PASSIVE))
        + interval.to_bytes(2, "little")
        + min(window, interval).to_bytes(2, "little")
    )
    return command(LE_SET_EXTENDED_SCAN_PARAMETERS, params)


def le_set_extended_scan_enable(enable: bool) -> bytes:
    # Filter_Duplicates off, Duration 0 and Period 0: scan until told to stop.
    return command(LE_SET_EXTENDED_SCAN_ENABLE, bytes((int(enable), 0, 0, 0, 0, 0)))


def supports_extended(le_features: bytes) -> bool:
    """Whether LE Read Local Supported Features' answer has LE Extended Advertising."""
    byte, bit = divmod(LE_FEATURE_EXTENDED_ADVERTISING, 8)
    return len(le_features) > byte and bool(le_features[byte] >> bit & 1)
