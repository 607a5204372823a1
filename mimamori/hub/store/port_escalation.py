"""The port of escalation steps and people's answers to alerts (``sql_escalation``
implements it on both engines)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from mimamori.hub.model.alerts import Alert, DueEscalation, NotificationDraft
from mimamori.hub.model.escalation import CallResult, TimelineEntry


class EscalationStore(Protocol):
    async def due_escalations(self, now: datetime, limit: int = 100) -> list[DueEscalation]: ...

    async def complete_escalation(
        self,
        escalation_id: int,
        notifications: Sequence[NotificationDraft],
        repeat_at: datetime | None,
        now: datetime,
    ) -> bool: ...

    async def handle_alert(
        self, alert_id: int, *, by: str, role: str, note: str, now: datetime, until: datetime
    ) -> Alert | None:
        """対応します: the chain waits until ``until``. None when resolved or unknown."""
        ...

    async def decline_alert(
        self, alert_id: int, *, by: str, role: str, note: str, now: datetime
    ) -> Alert | None:
        """行けない・次の人へ: the next step now. None when resolved or unknown."""
        ...

    async def record_call(
        self, alert_id: int, result: CallResult, *, by: str, role: str, note: str, now: datetime
    ) -> Alert | None: ...

    async def alert_timeline(self, alert_id: int) -> list[TimelineEntry]: ...
