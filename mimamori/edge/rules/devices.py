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

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mimamori.edge.observations import DeviceReport, Press
from mimamori.protocol.events import DeviceData, EventDraft, EventKind

REARM_PCT = 10


@dataclass(slots=True)
class _Device:
    silent_after_s: float
    last_at: float
    silent: bool = False
    battery_low: bool = False
    mains_lost: bool = False
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
            self._devices[device] = _Device(
                after,
                now,
                silent=bool(flags.get("silent", False)),
                battery_low=bool(flags.get("battery_low", False)),
                mains_lost=bool(flags.get("mains_lost", False)),
            )

    def to_json(self) -> dict[str, Any]:
        return {
            name: {"silent": d.silent, "battery_low": d.battery_low, "mains_lost": d.mains_lost}
            for name, d in self._devices.items()
        }

    def health(self) -> dict[str, dict[str, Any]]:
        """Per device, for the status message."""
        return {
            name: {
                "silent": d.silent,
                "battery_low": d.battery_low,
                "mains_lost": d.mains_lost,
                "battery_pct": d.battery_pct,
            }
            for name, d in self._devices.items()
        }

    def observe(self, obs: Press | DeviceReport) -> list[EventDraft]:
        d = self._devices.get(obs.device)
        if d is None:
            return []
        d.last_at = obs.at
        drafts: list[EventDraft] = []

        def emit(kind: EventKind, **extra: Any) -> None:
            data = DeviceData(device=obs.device, battery_pct=d.battery_pct, **extra)
            drafts.append(EventDraft(kind, obs.ts, data.model_dump(mode="json", exclude_none=True)))

        if d.silent:
            d.silent = False
            emit(EventKind.DEVICE_BACK)
        if isinstance(obs, DeviceReport):
            if obs.battery_pct is not None:
                d.battery_pct = obs.battery_pct
                if not d.battery_low and obs.battery_pct <= self.battery_low_pct:
                    d.battery_low = True
                    emit(EventKind.DEVICE_BATTERY_LOW)
                elif d.battery_low and obs.battery_pct >= self.battery_low_pct + REARM_PCT:
                    d.battery_low = False
            if obs.mains is False and not d.mains_lost:
                d.mains_lost = True
                emit(EventKind.DEVICE_MAINS_LOST)
            elif obs.mains is True and d.mains_lost:
                d.mains_lost = False
                emit(EventKind.DEVICE_MAINS_BACK)
        return drafts

    def expire(self, now: float, ts: datetime) -> list[EventDraft]:
        drafts: list[EventDraft] = []
        for name, d in self._devices.items():
            if not d.silent and now - d.last_at >= d.silent_after_s:
                d.silent = True
                data = DeviceData(
                    device=name, battery_pct=d.battery_pct, silent_s=int(now - d.last_at)
                )
                drafts.append(
                    EventDraft(
                        EventKind.DEVICE_SILENT, ts, data.model_dump(mode="json", exclude_none=True)
                    )
                )
        return drafts
