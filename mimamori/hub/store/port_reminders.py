"""The port of reminders for the person (``sql_reminders`` implements it on both
engines): the cursor through the events, what was done about each missed check-in,
and what a home gateway's last status says it can be told."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from mimamori.hub.model.alerts import NotificationDraft
from mimamori.hub.model.reminders import Outcome, Reminder


class ReminderStore(Protocol):
    async def reminder_cursor(self) -> int:
        """The ``seqno`` of the last event the reminders have looked at."""
        ...

    async def record_reminders(
        self,
        cursor: int,
        upto: int,
        reminders: Sequence[Reminder],
        notifications: Sequence[NotificationDraft],
        at: datetime,
    ) -> bool:
        """Write the reminders, queue the person's notifications and move the cursor
        from ``cursor`` to ``upto``, in one transaction; False (nothing written) when
        another hub worker moved the cursor first."""
        ...

    async def reminder_sent(
        self, event_id: str, channel: str, outcome: Outcome, detail: str
    ) -> None:
        """The outcome of a reminder that was claimed (``sending``) and then tried."""
        ...

    async def reminders_of(
        self, household_ids: Sequence[str], since: datetime, until: datetime
    ) -> list[Reminder]:
        """The reminders of these households decided in [since, until], oldest first."""
        ...

    async def gateway_drivers(self, gateway_id: str) -> tuple[bool | None, dict[str, str]]:
        """Whether the gateway is online (None: never heard of) and its drivers by id,
        each with its kind (``serial_button``, ``bthome``...), from its last status."""
        ...
