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

from mimamori.hub.model.alerts import FLAG_ALERTS, AlertKind, Change, Clear, Raise, Severity
from mimamori.hub.model.events import (
    GATEWAY_CLOCK_OK,
    GATEWAY_CLOCK_WRONG,
    GATEWAY_OFFLINE,
    GATEWAY_ONLINE,
    ClockData,
    OfflineData,
    StoredEvent,
)
from mimamori.hub.register.registry import Registry
from mimamori.protocol.events import (
    CHECKIN_KINDS,
    CLEARED_BY,
    RAISED_BY,
    CheckinData,
    DeviceData,
    EventKind,
    MissedData,
)
from mimamori.protocol.timefmt import format_ts


def decide(event: StoredEvent, registry: Registry) -> list[Change]:  # noqa: PLR0911 (a table)
    if event.kind in (GATEWAY_CLOCK_WRONG, GATEWAY_CLOCK_OK):
        return _clock(event)
    home = registry.household_of_gateway.get(event.gateway_id)
    if home is None:
        return []  # alerts about people out and about are decided in people.py
    subject = f"household:{home}"
    kind, at = event.kind, event.received_at
    if kind == EventKind.CHECKIN_SOS:
        device = event.data_as(CheckinData).device
        return [
            Raise(AlertKind.SOS, subject, home, Severity.CRITICAL, at, {"device": device}),
            Clear(AlertKind.MISSED, subject, at, "SOS pressed: the person is there"),
        ]
    if kind in CHECKIN_KINDS:
        changes: list[Change] = [Clear(AlertKind.MISSED, subject, at, "checked in")]
        if kind == EventKind.CHECKIN_CONSULT:
            changes.append(Raise(AlertKind.CONSULT, subject, home, Severity.WARNING, at))
        return changes
    if kind == EventKind.CHECKIN_MISSED:
        missed = event.data_as(MissedData)
        if missed.level < 1:
            return []  # for the person, not for anyone else: alerts/reminders.py
        severity = Severity.CRITICAL if missed.level >= 2 else Severity.WARNING
        detail = {"level": missed.level, "due": format_ts(missed.due)}
        # Level 2 (three days, Kurobe's 社協) always sends the 民生委員, handled or not.
        reach = "visit" if missed.level >= 2 else None
        return [Raise(AlertKind.MISSED, subject, home, severity, at, detail, reach=reach)]
    if kind in RAISED_BY:
        alert = FLAG_ALERTS[RAISED_BY[EventKind(kind)]]
        health = event.data_as(DeviceData)
        detail = {"device": health.device, "battery_pct": health.battery_pct}
        return [Raise(alert.kind, f"{subject}/{health.device}", home, alert.severity, at, detail)]
    if kind in CLEARED_BY:
        alert = FLAG_ALERTS[CLEARED_BY[EventKind(kind)]]
        device_id = event.data_as(DeviceData).device
        return [Clear(alert.kind, f"{subject}/{device_id}", at, alert.cleared or "cleared")]
    if kind == GATEWAY_OFFLINE:
        detail = {"gateway": event.gateway_id, "reason": event.data_as(OfflineData).reason}
        return [Raise(AlertKind.HOME_OFFLINE, subject, home, Severity.WARNING, at, detail)]
    if kind == GATEWAY_ONLINE:
        return [Clear(AlertKind.HOME_OFFLINE, subject, at, "the home gateway is back online")]
    return []


def _clock(event: StoredEvent) -> list[Change]:
    subject, at = f"gateway:{event.gateway_id}", event.received_at
    if event.kind == GATEWAY_CLOCK_OK:
        return [Clear(AlertKind.GATEWAY_CLOCK, subject, at, "the gateway's clock is right again")]
    detail = {"gateway": event.gateway_id, "offset_s": event.data_as(ClockData).offset_s}
    return [Raise(AlertKind.GATEWAY_CLOCK, subject, None, Severity.INFO, at, detail)]
