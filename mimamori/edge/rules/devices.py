"""Check-in device health: silent / back, battery low, mains power lost / back.

Pure logic over presses and device reports and a clock; no I/O. Every frame from a
device is a sign of life. A device unheard for its ``silent_after_s`` raises
``device.silent`` once (decided on a timer: a device that lost power sends nothing
more); the next frame raises ``device.back``. Battery low fires once and re-arms when
the battery reads ``REARM_PCT`` points above the threshold (a new battery), so a
reading that wobbles around the threshold does not repeat. Mains lost / back follow
what the device reports.

The flags are persisted with the events they cause (see ``household.py``), so a
restart repeats none of them. Silence timers restart at boot: a device that was
fine gets its full ``silent_after_s`` again, one already reported silent is not
reported twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mimamori.edge.observations import DeviceReport, Press
from mimamori.protocol.events import DEVICE_FLAGS, DeviceData, DeviceFlag, EventDraft

REARM_PCT = 10


@dataclass(slots=True)
class _Device:
    silent_after_s: float
    last_at: float
    raised: set[DeviceFlag] = field(default_factory=set)  # the flags that are up
    battery_pct: int | None = None


class DeviceHealth:
    def __init__(
        self,
        silent_after_s: dict[str, float],
        battery_low_pct: int,
        now: float,
        state: dict[str, Any] | None = None,
    ) -> None:
        self.battery_low_pct = battery_low_pct
        saved = state or {}
        self._devices: dict[str, _Device] = {}
        for device, after in silent_after_s.items():
            flags = saved.get(device, {})
            raised = {flag for flag in DEVICE_FLAGS if flags.get(flag.value)}
            self._devices[device] = _Device(after, now, raised)

    def to_json(self) -> dict[str, Any]:
        """The flags of each device, saved with the events they caused."""
        return {name: _flags(d) for name, d in self._devices.items()}

    def health(self) -> dict[str, dict[str, Any]]:
        """Per device, for the status message (``status.DeviceHealthStatus``)."""
        return {
            name: {**_flags(d), "battery_pct": d.battery_pct} for name, d in self._devices.items()
        }

    def observe(self, obs: Press | DeviceReport) -> list[EventDraft]:
        d = self._devices.get(obs.device)
        if d is None:
            return []
        d.last_at = obs.at
        drafts: list[EventDraft] = []

        def turn(flag: DeviceFlag, up: bool) -> None:
            """Raise or lower ``flag``; the event ``DEVICE_FLAGS`` says, when it changes."""
            if up == (flag in d.raised):
                return
            events = DEVICE_FLAGS[flag]
            kind = events.raised if up else events.cleared
            if up:
                d.raised.add(flag)
            else:
                d.raised.discard(flag)
            if kind is not None:
                data = DeviceData(device=obs.device, battery_pct=d.battery_pct)
                drafts.append(EventDraft(kind, obs.ts, _json(data)))

        turn(DeviceFlag.SILENT, False)  # any frame is a sign of life
        if isinstance(obs, DeviceReport):
            if obs.battery_pct is not None:
                d.battery_pct = obs.battery_pct
                if obs.battery_pct <= self.battery_low_pct:
                    turn(DeviceFlag.BATTERY_LOW, True)
                elif obs.battery_pct >= self.battery_low_pct + REARM_PCT:
                    turn(DeviceFlag.BATTERY_LOW, False)
            if obs.mains is not None:
                turn(DeviceFlag.MAINS_LOST, not obs.mains)
        return drafts

    def expire(self, now: float, ts: datetime) -> list[EventDraft]:
        drafts: list[EventDraft] = []
        for name, d in self._devices.items():
            if DeviceFlag.SILENT not in d.raised and now - d.last_at >= d.silent_after_s:
                d.raised.add(DeviceFlag.SILENT)
                data = DeviceData(
                    device=name, battery_pct=d.battery_pct, silent_s=int(now - d.last_at)
                )
                drafts.append(EventDraft(DEVICE_FLAGS[DeviceFlag.SILENT].raised, ts, _json(data)))
        return drafts


def _flags(d: _Device) -> dict[str, bool]:
    return {flag.value: flag in d.raised for flag in DEVICE_FLAGS}


def _json(data: DeviceData) -> dict[str, Any]:
    return data.model_dump(mode="json", exclude_none=True)
