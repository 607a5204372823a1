"""Hardware drivers, one module per kind: ``serial_line`` (pyserial), ``ble`` (bleak)."""

from .base import Driver

__all__ = ["Driver"]
