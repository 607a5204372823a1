"""Is the gateway still doing its work? The answer decides whether systemd's watchdog
is fed (see ``watchdog.py``); a daemon that stops feeding it is killed and restarted.

Pure logic over a monotonic clock: the daemon reports what it sees, and ``problems``
names whatever has stalled. Three things must be alive:

* every receiver: it delivered something (an advert, a heartbeat, a state change),
  or its status moved (counters, last frame), within its limit. A receiver that
  has declared itself *down* is alive: its loop is running and has said what is
  wrong (a cable out, a board silent), and a restart cannot plug a cable back in;
  restarting for it would only churn. What the watchdog catches is a driver that
  stopped without noticing: up, yet nothing at all for far longer than its own
  silence detection allows. Buttons are not watched: a silent button is a
  household signal (``device.silent``), not a fault of the daemon.
* the rules loop, which wakes every second to expire presence and check-ins;
* the outbox: while the broker is connected and events wait, batches go out.
"""

from __future__ import annotations

from dataclasses import dataclass

from mimamori.edge.config import BleReceiver, GatewayConfig, HciReceiver, SerialReceiver
from mimamori.protocol.status import DriverStatus

# The rules loop sweeps every second; this long without a pass means it is stuck.
RULES_STALL_S = 30.0
# A BLE driver restarts its scanner after watchdog_s of quiet (each restart moves its
# counters); a stop and a start may each take up to 15 s before BlueZ is given up on.
BLE_RESTART_SLACK_S = 30.0
# An HCI controller is set up again after watchdog_s of quiet: six commands, each
# answered within 2 s (hci_uart.COMMAND_TIMEOUT_S) or the receiver is declared down.
HCI_RESTART_SLACK_S = 15.0


def receiver_limits(config: GatewayConfig) -> dict[str, float]:
    """How long each receiver may show no sign of life: twice what its own driver
    waits before it declares the receiver down (serial) or restarts the scan (BLE, HCI)."""
    limits: dict[str, float] = {}
    for receiver in config.receivers:
        if isinstance(receiver, SerialReceiver):
            limits[receiver.id] = 2 * receiver.silent_after_s
        elif isinstance(receiver, BleReceiver):
            limits[receiver.id] = 2 * receiver.watchdog_s + BLE_RESTART_SLACK_S
        elif isinstance(receiver, HciReceiver):
            limits[receiver.id] = 2 * receiver.watchdog_s + HCI_RESTART_SLACK_S
    return limits


@dataclass
class _Pulse:
    signature: object
    changed_at: float


class Liveness:
    def __init__(self, limits: dict[str, float], *, outbox_stall_s: float, now: float) -> None:
        """``limits``: for each watched driver id, how long it may show no sign of life."""
        self.limits = dict(limits)
        self.outbox_stall_s = outbox_stall_s
        self._heard: dict[str, float] = dict.fromkeys(limits, now)
        self._started = now
        self._pulses: dict[str, _Pulse] = {}
        self._rules_at = now
        self._outbox = _Pulse(None, now)

    def heard(self, driver_id: str, now: float) -> None:
        """A driver delivered an observation."""
        if driver_id in self._heard:
            self._heard[driver_id] = now

    def rules_ran(self, now: float) -> None:
        self._rules_at = now

    def _driver_problem(self, driver_id: str, status: DriverStatus, now: float) -> str | None:
        limit = self.limits.get(driver_id)
        if limit is None or status.state == "down":
            return None
        signature = (status.state, status.last_frame, sorted(status.counters.items()))
        pulse = self._pulses.get(driver_id)
        if pulse is None:  # first look: as if it had last moved at the start
            self._pulses[driver_id] = pulse = _Pulse(signature, self._started)
        elif pulse.signature != signature:
            self._pulses[driver_id] = pulse = _Pulse(signature, now)
        last = max(self._heard[driver_id], pulse.changed_at)
        if now - last > limit:
            quiet = now - last
            return f"receiver {driver_id}: no sign of life for {quiet:.0f} s (limit {limit:g} s)"
        return None

    def _outbox_problem(self, now: float, connected: bool, depth: int, sent: int) -> str | None:
        pulse = self._outbox
        if not connected or depth == 0 or pulse.signature != sent:
            self._outbox = _Pulse(sent, now)
            return None
        if now - pulse.changed_at > self.outbox_stall_s:
            return (
                f"outbox: {depth} event(s) waiting, nothing acknowledged for "
                f"{now - pulse.changed_at:.0f} s while connected"
            )
        return None

    def problems(
        self,
        now: float,
        drivers: dict[str, DriverStatus],
        *,
        connected: bool,
        outbox_depth: int,
        batches_sent: int,
    ) -> list[str]:
        """What has stalled, one line each; empty while everything is alive."""
        found = [
            problem
            for driver_id, status in drivers.items()
            if (problem := self._driver_problem(driver_id, status, now)) is not None
        ]
        if now - self._rules_at > RULES_STALL_S:
            found.append(f"rules: no pass for {now - self._rules_at:.0f} s")
        outbox = self._outbox_problem(now, connected, outbox_depth, batches_sent)
        if outbox is not None:
            found.append(outbox)
        return found
