"""Check-ins the hub decides itself (mixed into the store, on either engine). A
person's state moves by compare-and-set on its version, in the transaction that keeps
the events, the messages and the reminders it decided: two hub workers, or a restart
in the middle, never decide a step twice and never lose one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from mimamori.hub.model.alerts import NotificationDraft
from mimamori.hub.model.events import StoredEvent
from mimamori.hub.model.reminders import Reminder
from mimamori.hub.store.sql import EventRow
from mimamori.hub.store.sql_base import SqlBase
from mimamori.locking import serialized
from mimamori.protocol.codec import json_text
from mimamori.protocol.events import Event
from mimamori.protocol.timefmt import from_epoch_ms, to_epoch_ms


class SqlCheckins(SqlBase):
    @serialized
    async def line_checkin_states(self) -> dict[str, tuple[int, str]]:
        rows = await self._query("SELECT person_id, version, state FROM line_checkins", [])
        return {str(person): (int(version), str(state)) for person, version, state in rows}

    @serialized
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
        at = to_epoch_ms(now)
        async with self._transaction("saving a LINE check-in") as db:
            if version == 0:
                moved = await db.execute(
                    "INSERT INTO line_checkins (person_id, version, state, updated_at) "
                    "VALUES (?, 1, ?, ?) ON CONFLICT (person_id) DO NOTHING",
                    [person_id, state, at],
                )
            else:
                moved = await db.execute(
                    "UPDATE line_checkins SET version = version + 1, state = ?, updated_at = ? "
                    "WHERE person_id = ? AND version = ?",
                    [state, at, person_id, version],
                )
            if moved != 1:
                return None  # another worker moved it first: nothing of ours is kept
            inserted: set[str] = set()
            if events:
                await db.lock_events()  # events become visible in seqno order
                rows: list[EventRow] = [
                    (e.id, source, e.seq, to_epoch_ms(e.ts), e.kind.value, None,
                     json_text(e.data), at, None)
                    for source, e in events
                ]  # fmt: skip
                inserted = await db.insert_events(rows)
            if notifications:
                await db.executemany(
                    "INSERT INTO notifications (alert_id, recipient_id, channel, dedupe_key, "
                    "title, body, state, attempts, next_at, created_at) "
                    "VALUES (NULL, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) "
                    "ON CONFLICT (dedupe_key) DO NOTHING",
                    [(n.recipient_id, n.channel, n.dedupe_key, n.title, n.body, at, at)
                     for n in notifications],
                )  # fmt: skip
            if reminders:
                await db.executemany(
                    "INSERT INTO reminders (event_id, channel, household_id, gateway_id, at, "
                    "outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (event_id, channel) DO NOTHING",
                    [(r.event_id, r.channel, r.household_id, r.gateway_id, to_epoch_ms(r.at),
                      r.outcome, r.detail) for r in reminders],
                )  # fmt: skip
                await db.executemany(
                    "INSERT INTO reminder_notices (event_id, channel, dedupe_key) "
                    "VALUES (?, ?, ?) ON CONFLICT (event_id, channel, dedupe_key) DO NOTHING",
                    [(r.event_id, r.channel, r.notice) for r in reminders if r.notice],
                )
        received = from_epoch_ms(at)
        return [StoredEvent.of_wire(s, e, received) for s, e in events if e.id in inserted]
