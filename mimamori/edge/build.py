"""From a gateway config to the parts the daemon runs: drivers and rules.

Drivers are imported only when configured, so a gateway with a serial receiver never
loads bleak, and one with Bluetooth never opens a serial port.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mimamori.edge.clock import Clock
from mimamori.edge.config import (
    BleReceiver,
    BthomeButton,
    GatewayConfig,
    HciReceiver,
    SerialButton,
    SerialReceiver,
)
from mimamori.edge.drivers.base import Driver
from mimamori.edge.rules.household import Household
from mimamori.edge.rules.presence import PresenceParams
from mimamori.edge.rules.triage import TagPolicy


def build_drivers(config: GatewayConfig, clock: Clock, ble_backend: Any = None) -> list[Driver]:
    drivers: list[Driver] = []
    for receiver in config.receivers:
        if isinstance(receiver, SerialReceiver):
            from mimamori.edge.drivers.serial_line import SerialLineDriver

            drivers.append(SerialLineDriver(receiver, clock))
        elif isinstance(receiver, BleReceiver):
            from mimamori.edge.drivers.ble import BleDriver

            drivers.append(BleDriver(receiver, clock, backend=ble_backend))
        elif isinstance(receiver, HciReceiver):
            from mimamori.edge.drivers.hci_uart import HciUartDriver

            drivers.append(HciUartDriver(receiver, clock))
    for button in config.buttons:
        if isinstance(button, SerialButton):
            from mimamori.edge.drivers.serial_button import SerialButtonDriver

            drivers.append(SerialButtonDriver(button, clock))
        elif isinstance(button, BthomeButton):
            from mimamori.edge.drivers.bthome import BthomeDriver

            drivers.append(BthomeDriver(button, clock, backend=ble_backend))
    return drivers


def build_household(config: GatewayConfig, clock: Clock, saved: Any) -> Household | None:
    """The home's rules, resumed from ``saved`` (their state as last committed)."""
    h = config.household
    if h is None:
        return None
    return Household(
        h.id,
        h.build_schedule(),
        steps=h.build_steps(),
        grace=timedelta(minutes=h.schedule.grace_min),
        silent_after_s={b.id: b.silent_after_s for b in config.buttons},
        battery_low_pct=h.battery_low_pct,
        now=clock.now(),
        monotonic=clock.monotonic(),
        saved=saved,
    )


def presence_params(config: GatewayConfig) -> PresenceParams:
    p = config.presence
    return PresenceParams(
        p.enter_rssi, p.exit_rssi, p.smoothing, p.leave_after_s, p.report_interval_s
    )


def tag_policy(config: GatewayConfig) -> TagPolicy:
    """The gateway's own lists; without a ``tags`` section no advert passes them."""
    tags = config.tags
    return TagPolicy.of(tags.formats, tags.allow) if tags else TagPolicy()
