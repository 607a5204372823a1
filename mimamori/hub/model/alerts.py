"""Alerts and their notices: kinds, severities, the changes rules ask for, and
what the store keeps of them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from types import MappingProxyType
from typing import Any, Literal

from mimamori.protocol.events import DeviceFlag

AlertState = Literal["open", "acknowledged", "resolved"]


@dataclass(frozen=True)
class Alert:
    id: int
    kind: str
    subject: str
    household_id: str | None
    severity: int
    state: AlertState
    detail: dict[str, Any]
    events: int  # how many events raised or updated it
    opened_at: datetime
    updated_at: datetime
    acked_at: datetime | None = None
    acked_by: str | None = None
    ack_note: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolve_note: str | None = None
    person_id: str | None = None
    # While someone handles it ("acknowledged"), the chain waits until then.
    handling_until: datetime | None = None
    outcome: str | None = None  # how it ended (model/escalation.py OUTCOMES)


@dataclass(frozen=True)
class AlertScope:
    households: tuple[str, ...]
    people: tuple[str, ...]

    def covers(self, alert: Alert) -> bool:
        return alert.household_id in self.households or alert.person_id in self.people


@dataclass(frozen=True)
class PlanStep:
    """One step of an escalation policy, as planned when an alert opens."""

    step: int
    after_s: float
    recipients: tuple[str, ...]
    action: str = "notify"  # notify | call | visit (register/schema.py StepAction)


@dataclass(frozen=True)
class DueEscalation:
    id: int
    alert: Alert
    step: int
    round: int  # 0 for the step itself, 1.. for its repeats
    due_at: datetime
    recipients: tuple[str, ...]
    action: str = "notify"


# The channel of a recipient bound to a LINE user (hub/line/): LINE's push, not a URL of
# the channels file. Such a recipient's notices about alerts go there first; the
# channels file's URLs are its fallback (alerts/delivery.py).
LINE_CHANNEL = -1


@dataclass(frozen=True)
class NotificationDraft:
    alert_id: int | None  # None: a notice that is not about an alert (search, outing)
    recipient_id: str
    channel: int  # the index of the URL in the recipient's channels file, or LINE_CHANNEL
    dedupe_key: str
    title: str
    body: str


@dataclass(frozen=True)
class Notice:
    """Notifications decided from one event, not tied to an alert: a sighting during
    a search, "went out / came home". At most one per ``key`` within ``every_s``."""

    key: str
    at: datetime  # the event's time: the throttle counts in it
    every_s: float
    notifications: tuple[NotificationDraft, ...]
    queued_at: datetime  # when the engine decided it: the notifications are due then


@dataclass(frozen=True)
class QueuedNotification:
    id: int
    alert_id: int | None
    recipient_id: str
    channel: int
    dedupe_key: str
    title: str
    body: str
    attempts: int


@dataclass(frozen=True)
class AlertCounts:
    opened: list[Alert]
    updated: list[Alert]
    resolved: list[Alert]
    stale: bool = False  # another worker applied these events first: nothing was done


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    who: str
    role: str
    action: str  # e.g. "view.location", "alert.ack"
    subject: str  # e.g. "person:p-1", "alert:12"
    detail: str | None


class Severity(IntEnum):
    INFO = 1
    WARNING = 2
    CRITICAL = 3


class AlertKind:
    MISSED = "checkin_missed"
    SOS = "sos"
    CONSULT = "consult"
    DEVICE_SILENT = "device_silent"
    BATTERY_LOW = "battery_low"
    MAINS_LOST = "mains_lost"
    HOME_OFFLINE = "home_offline"
    OUTSIDE_AREA = "outside_area"  # a person seen outside their usual area
    UNUSUAL_HOUR = "unusual_hour"  # ... or out at an hour they usually are not
    GATEWAY_CLOCK = "gateway_clock"  # a gateway's clock is off: its times are evidence only
    WATCHPOINT_OFFLINE = "watchpoint_offline"  # a watch point is down: for the technician
    RECEIVER_DEAF = "receiver_deaf"  # a receiver hears nothing for too long (alerts/hearing.py)
    OUTBOX_GROWING = "outbox_growing"  # a watch point's events wait unconfirmed (gateway_health)
    GATEWAY_RESTARTS = "gateway_restarts"  # a watch point restarts (or reconnects) in a loop
    DISK_LOW = "disk_low"  # a gateway's data dir is filling up (gateway_health)
    # A partner's report out of hours (issue 16, hub/cases/routing.py): it follows the
    # night route until someone takes the case. Its detail names the case, never the home.
    CASE_REPORT = "case_report"


@dataclass(frozen=True)
class FlagAlert:
    """The alert a device flag opens while it is up (``protocol.events.DEVICE_FLAGS``)."""

    kind: str
    severity: Severity
    cleared: str | None  # why it closes itself when the flag's clearing event comes


# One line per device flag: the hub's judgement of it. Its words for people are in
# alerts/messages.py; tests/protocol/test_device_flags.py checks both cover every flag.
FLAG_ALERTS: Mapping[DeviceFlag, FlagAlert] = MappingProxyType(
    {
        DeviceFlag.SILENT: FlagAlert(
            AlertKind.DEVICE_SILENT, Severity.WARNING, "the device was heard again"
        ),
        DeviceFlag.MAINS_LOST: FlagAlert(
            AlertKind.MAINS_LOST, Severity.WARNING, "mains power is back"
        ),
        DeviceFlag.BATTERY_LOW: FlagAlert(AlertKind.BATTERY_LOW, Severity.INFO, None),
    }
)


@dataclass(frozen=True)
class Raise:
    kind: str
    subject: str
    household_id: str | None
    severity: Severity
    at: datetime
    detail: dict[str, Any] = field(default_factory=dict)
    person_id: str | None = None  # an alert about a person (outside the usual area)
    # Steps up to the first with this action come due now, and a pause ends: the
    # ladder's level 2 (72 h) always reaches the visit (民生委員), handled or not.
    reach: str | None = None
    # The steps a new alert follows, chosen by kind and time (alerts/routing.py);
    # None: the plan's (``plans`` of the store's ``apply_alert_changes``).
    steps: tuple[PlanStep, ...] | None = None

    @property
    def plan(self) -> str:
        """Whose escalation plan the alert follows: the person's, else the household's."""
        return f"person:{self.person_id}" if self.person_id else (self.household_id or "")


@dataclass(frozen=True)
class Clear:
    kind: str
    subject: str
    at: datetime
    note: str  # why it closed by itself, for the people who read the alert


Change = Raise | Clear
