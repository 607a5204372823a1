"""What the store keeps about alerts, escalations, notifications and the audit log
(types and the ports; SQLite implements them in ``sqlite_alerts`` and ``sqlite_audit``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from ..alerts.rules import Change
    from .base import StoredEvent

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


@dataclass(frozen=True)
class DueEscalation:
    id: int
    alert: Alert
    step: int
    round: int  # 0 for the step itself, 1.. for its repeats
    due_at: datetime
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class NotificationDraft:
    alert_id: int | None  # None: a notice that is not about an alert (search, outing)
    recipient_id: str
    channel: int  # the index of the URL in the recipient's channels file
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


class AuditStore(Protocol):
    async def secret(self, name: str) -> bytes:
        """A random secret of the hub, made the first time it is asked for."""
        ...

    async def audit(
        self, at: datetime, *, who: str, role: str, action: str, subject: str, detail: str = ""
    ) -> None: ...

    async def audit_log(self, since: datetime, limit: int) -> list[AuditEntry]: ...


class AlertStore(Protocol):
    """The part of the store port that keeps alerts, escalations and notifications."""

    async def events_for_alerts(self, limit: int) -> tuple[int, int, list[StoredEvent]]:
        """(the cursor, the seqno of the last event returned, the events after the cursor)."""
        ...

    async def apply_alert_changes(
        self,
        changes: Sequence[Change],
        cursor: int,
        plans: Mapping[str, Sequence[PlanStep]],
        notices: Sequence[Notice] = (),
        *,
        since: int | None = None,
    ) -> AlertCounts:
        """Apply the rules' changes, queue the notices (each unless its key was used
        within ``every_s``) and move the cursor, in one transaction. With ``since``
        only if the cursor is still there (else ``stale``, nothing done)."""
        ...

    async def alerts(
        self,
        scope: AlertScope | None,
        include_resolved: bool,
        limit: int = 500,
    ) -> list[Alert]:
        """Alerts about these households or people; ``scope`` None: all of them."""
        ...

    async def alert(self, alert_id: int) -> Alert | None: ...

    async def acknowledge_alert(
        self, alert_id: int, by: str, note: str, now: datetime
    ) -> Alert | None: ...

    async def resolve_alert(
        self, alert_id: int, by: str, note: str, now: datetime
    ) -> Alert | None: ...

    async def due_escalations(self, now: datetime, limit: int = 100) -> list[DueEscalation]: ...

    async def complete_escalation(
        self,
        escalation_id: int,
        notifications: Sequence[NotificationDraft],
        repeat_at: datetime | None,
        now: datetime,
    ) -> bool: ...

    async def claim_notifications(
        self, now: datetime, lease_s: float, limit: int = 20
    ) -> list[QueuedNotification]: ...

    async def record_delivery(
        self, notification_id: int, ok: bool, error: str, now: datetime, retry_at: datetime | None
    ) -> None: ...

    async def notification_log(self, alert_id: int | None = None) -> list[dict[str, Any]]: ...
