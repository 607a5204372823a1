"""The ports of alerts, escalations, notifications and the audit log (``sql_alerts``
and ``sql_audit`` implement them on both engines)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mimamori.hub.model.alerts import Change
    from mimamori.hub.model.events import StoredEvent
from mimamori.hub.model.alerts import (
    Alert,
    AlertCounts,
    AlertScope,
    AuditEntry,
    Notice,
    NotificationDraft,
    PlanStep,
    QueuedNotification,
)


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

    async def resolve_alert(
        self, alert_id: int, by: str, note: str, now: datetime, outcome: str | None = None
    ) -> Alert | None: ...

    async def queue_notifications(
        self, notifications: Sequence[NotificationDraft], now: datetime
    ) -> None:
        """Queue notifications due now (each once: a dedupe key already queued is kept
        as it is), e.g. a LINE notice's fallback on the recipient's other channels."""
        ...

    async def claim_notifications(
        self, now: datetime, lease_s: float, limit: int = 20
    ) -> list[QueuedNotification]: ...

    async def release_notification_claims(self) -> int:
        """End every lease on a pending notification; returns how many. For the town's
        only delivery worker as it starts: a hub killed mid-send left its leases."""
        ...

    async def record_delivery(
        self, notification_id: int, ok: bool, error: str, now: datetime, retry_at: datetime | None
    ) -> None: ...

    async def notification_log(self, alert_id: int | None = None) -> list[dict[str, Any]]: ...
