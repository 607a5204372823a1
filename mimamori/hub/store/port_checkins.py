"""The port of check-ins the hub decides itself (``sql_checkins`` implements it on both
engines): each person's check-in-by-LINE state, moved by compare-and-set together with
the events, the messages and the reminders it decided, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from mimamori.hub.model.alerts import NotificationDraft
from mimamori.hub.model.events import StoredEvent
from mimamori.hub.model.reminders import Reminder
from mimamori.protocol.events import Event


class CheckinStore(Protocol):
    async def line_checkin_states(self) -> dict[str, tuple[int, str]]:
        """Every person's kept state: person id -> (version, the state's JSON)."""
        ...

    async def save_line_checkin(
        self,
        person_id: str,
        version: int,
        state: str,
        *,
        events: Sequence[tuple[str, Event]],
        notifications: Sequence[NotificationDraft],
        reminders: Sequence[Reminder],
        now: datetime,
    ) -> list[StoredEvent] | None:
        """Replace the person's state of ``version`` (0: none yet) with ``state`` and
        keep what it decided: events ``(source, event)`` (once each, by id),
        notifications (once each, by dedupe key), reminders. None when the state moved
        meanwhile (another hub worker decided): nothing is kept. Else the new events."""
        ...
