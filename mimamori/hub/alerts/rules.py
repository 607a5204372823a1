"""Which events open, update or close alerts: pure logic over one stored event.

One open alert per (kind, subject). A repeated event updates the open alert (count,
severity, detail) instead of opening another. Some events close an alert on their
own (a check-in closes a missed check-in; a device that is back closes its silence)
and say so in the resolution note.

Subjects are households (``household:hh-1``) or one device of a household
(``household:hh-1/door``): alerts about homes follow the household's escalation policy.
A gateway whose clock is wrong is ``gateway:ID``: a technician's matter, with no plan.

An alert is opened, and its escalation runs, at the hub's receive time
(``received_at``), never at the gateway's: a clock an hour ahead must not delay an SOS
by an hour (docs/protocol.md, "Whose time").
"""

from __future__ import annotations

from mimamori.hub.model.alerts import AlertKind, Change, Clear, Raise, Severity
from mimamori.hub.model.events import (
    GATEWAY_CLOCK_OK,
    GATEWAY_CLOCK_WRONG,
    GATEWAY_OFFLINE,
    GATEWAY_ONLINE,
    StoredEvent,
)
from mimamori.hub.register.registry import Registry
from mimamori.protocol.events import CHECKIN_KINDS, EventKind

_DEVICE_RAISES = {
    EventKind.DEVICE_SILENT: (AlertKind.DEVICE_SILENT, Severity.WARNING),
    EventKind.DEVICE_BATTERY_LOW: (AlertKind.BATTERY_LOW, Severity.INFO),
    EventKind.DEVICE_MAINS_LOST: (AlertKind.MAINS_LOST, Severity.WARNING),
}


_DEVICE_CLEARS = {
    EventKind.DEVICE_BACK: (AlertKind.DEVICE_SILENT, "the device was heard again"),
    EventKind.DEVICE_MAINS_BACK: (AlertKind.MAINS_LOST, "mains power is back"),
}


def decide(event: StoredEvent, registry: Registry) -> list[Change]:  # noqa: PLR0911 (a table)
    if event.kind in (GATEWAY_CLOCK_WRONG, GATEWAY_CLOCK_OK):
        return _clock(event)
    home = registry.household_of_gateway.get(event.gateway_id)
    if home is None:
        return []  # alerts about people out and about are decided in people.py
    subject = f"household:{home}"
    kind, data, at = event.kind, event.data, event.received_at
    if kind == EventKind.CHECKIN_SOS:
        return [
            Raise(
                AlertKind.SOS, subject, home, Severity.CRITICAL, at, {"device": data.get("device")}
            ),
            Clear(AlertKind.MISSED, subject, at, "SOS pressed: the person is there"),
        ]
    if kind in CHECKIN_KINDS:
        changes: list[Change] = [Clear(AlertKind.MISSED, subject, at, "checked in")]
        if kind == EventKind.CHECKIN_CONSULT:
            changes.append(Raise(AlertKind.CONSULT, subject, home, Severity.WARNING, at))
        return changes
    if kind == EventKind.CHECKIN_MISSED:
        level = int(data.get("level", 0))
        if level < 1:
            return []  # the reminder is for the person, not for anyone else
        severity = Severity.CRITICAL if level >= 2 else Severity.WARNING
        detail = {"level": level, "due": data.get("due")}
        return [Raise(AlertKind.MISSED, subject, home, severity, at, detail)]
    if kind in _DEVICE_RAISES:
        alert, severity = _DEVICE_RAISES[EventKind(kind)]
        device = str(data.get("device", ""))
        detail = {"device": device, "battery_pct": data.get("battery_pct")}
        return [Raise(alert, f"{subject}/{device}", home, severity, at, detail)]
    if kind in _DEVICE_CLEARS:
        alert, note = _DEVICE_CLEARS[EventKind(kind)]
        return [Clear(alert, f"{subject}/{data.get('device', '')}", at, note)]
    if kind == GATEWAY_OFFLINE:
        detail = {"gateway": event.gateway_id, "reason": data.get("reason")}
        return [Raise(AlertKind.HOME_OFFLINE, subject, home, Severity.WARNING, at, detail)]
    if kind == GATEWAY_ONLINE:
        return [Clear(AlertKind.HOME_OFFLINE, subject, at, "the home gateway is back online")]
    return []


def _clock(event: StoredEvent) -> list[Change]:
    subject, at = f"gateway:{event.gateway_id}", event.received_at
    if event.kind == GATEWAY_CLOCK_OK:
        return [Clear(AlertKind.GATEWAY_CLOCK, subject, at, "the gateway's clock is right again")]
    detail = {"gateway": event.gateway_id, "offset_s": event.data.get("offset_s")}
    return [Raise(AlertKind.GATEWAY_CLOCK, subject, None, Severity.INFO, at, detail)]
