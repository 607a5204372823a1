"""Hardware drivers, one module per kind.

``serial_line`` (a receiver board, pyserial), ``hci_uart`` (a plain Bluetooth
controller on a UART, pyserial; its packets in ``hci_commands`` and ``hci_packets``),
``ble`` (the gateway's own adapter, bleak), ``serial_button`` (a check-in button
unit, pyserial) and ``bthome`` (a BLE button, bleak and bthome-ble). Shared by them:
``link`` (status, rate-limited warnings, backoff), ``serial_port`` (the port loop),
and the line parsers ``receiver_lines`` and ``button_lines``.
"""

from mimamori.edge.drivers.base import Driver

__all__ = ["Driver"]
