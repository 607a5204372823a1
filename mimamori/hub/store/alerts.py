"""What the store keeps about alerts, escalations and notifications (types only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

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
    alert_id: int
    recipient_id: str
    channel: int  # the index of the URL in the recipient's channels file
    dedupe_key: str
    title: str
    body: str


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
