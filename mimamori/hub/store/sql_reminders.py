"""Reminders for the person (mixed into the store, on either engine): decided by
following the events with a cursor that moves by compare-and-set, so two hub workers
never remind the person twice of one missed check-in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from pydantic import ValidationError

from mimamori.hub.model.alerts import NotificationDraft
from mimamori.hub.model.reminders import Delivery, Outcome, Reminder
from mimamori.hub.store.sql import marks
from mimamori.hub.store.sql_base import SqlBase
from mimamori.locking import serialized
from mimamori.protocol.status import GatewayStatus
from mimamori.protocol.timefmt import from_epoch_ms, to_epoch_ms

_COLUMNS = "event_id, channel, household_id, gateway_id, at, outcome, detail"


def _reminder(row: Sequence[Any]) -> Reminder:
    event_id, channel, household, gateway, at, outcome, detail = row
    return Reminder(
        event_id, channel, household, gateway, from_epoch_ms(at), cast(Outcome, outcome), detail
    )


def _delivery(states: set[str]) -> Delivery | None:
    """A reminder's notifications as one: reached if any channel took one, still
    being tried while any is pending, failed only when all were given up."""
    if "sent" in states:
        return "delivered"
    if "pending" in states:
        return "trying"
    return "failed" if states else None


class SqlReminders(SqlBase):
    @serialized
    async def reminder_cursor(self) -> int:
        return int((await self._query("SELECT seqno FROM reminder_cursor", []))[0][0])

    @serialized
    async def record_reminders(
        self,
        cursor: int,
        upto: int,
        reminders: Sequence[Reminder],
        notifications: Sequence[NotificationDraft],
        at: datetime,
    ) -> bool:
        at_ms = to_epoch_ms(at)
        async with self._transaction("recording reminders") as db:
            moved = await db.execute(
                "UPDATE reminder_cursor SET seqno = ? WHERE seqno = ?", [upto, cursor]
            )
            if moved != 1:
                return False  # another worker took these events
            if reminders:
                await db.executemany(
                    f"INSERT INTO reminders ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (event_id, channel) DO NOTHING",
                    [
                        (r.event_id, r.channel, r.household_id, r.gateway_id,
                         to_epoch_ms(r.at), r.outcome, r.detail)
                        for r in reminders
                    ],
                )  # fmt: skip
                await db.executemany(
                    "INSERT INTO reminder_notices (event_id, channel, dedupe_key) "
                    "VALUES (?, ?, ?) ON CONFLICT (event_id, channel, dedupe_key) DO NOTHING",
                    [(r.event_id, r.channel, r.notice) for r in reminders if r.notice],
                )
            if notifications:
                await db.executemany(
                    "INSERT INTO notifications (alert_id, recipient_id, channel, dedupe_key, "
                    "title, body, state, attempts, next_at, created_at) "
                    "VALUES (NULL, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) "
                    "ON CONFLICT (dedupe_key) DO NOTHING",
                    [
                        (n.recipient_id, n.channel, n.dedupe_key, n.title, n.body, at_ms, at_ms)
                        for n in notifications
                    ],
                )
        return True

    @serialized
    async def reminder_sent(
        self, event_id: str, channel: str, outcome: Outcome, detail: str
    ) -> None:
        async with self._transaction("recording a reminder's outcome") as db:
            await db.execute(
                "UPDATE reminders SET outcome = ?, detail = ? WHERE event_id = ? AND channel = ?",
                [outcome, detail, event_id, channel],
            )

    @serialized
    async def reminders_of(
        self, household_ids: Sequence[str], since: datetime, until: datetime
    ) -> list[Reminder]:
        if not household_ids:
            return []
        # One query for the page, each reminder with its notifications' states (none
        # for the button or a reminder recorded before the link was kept).
        columns = ", ".join(f"r.{c}" for c in _COLUMNS.split(", "))
        rows = await self._query(
            f"SELECT {columns}, n.state FROM reminders r "
            "LEFT JOIN reminder_notices k ON k.event_id = r.event_id AND k.channel = r.channel "
            "LEFT JOIN notifications n ON n.dedupe_key = k.dedupe_key "
            f"WHERE r.household_id IN ({marks(household_ids)}) "
            "AND r.at >= ? AND r.at <= ? ORDER BY r.at, r.event_id, r.channel",
            [*household_ids, to_epoch_ms(since), to_epoch_ms(until)],
        )
        found: dict[tuple[str, str], tuple[Reminder, set[str]]] = {}
        for row in rows:
            key = (row[0], row[1])  # event_id, channel
            if key not in found:
                found[key] = (_reminder(row[:-1]), set())
            if row[-1] is not None:
                found[key][1].add(row[-1])
        return [replace(r, delivery=_delivery(states)) for r, states in found.values()]

    @serialized
    async def gateway_drivers(self, gateway_id: str) -> tuple[bool | None, dict[str, str]]:
        rows = await self._query("SELECT online, status FROM gateways WHERE id = ?", [gateway_id])
        if not rows:
            return None, {}
        online, status = rows[0]
        drivers: dict[str, str] = {}
        if status:
            try:
                drivers = {
                    name: d.driver
                    for name, d in GatewayStatus.model_validate_json(status).drivers.items()
                }
            except ValidationError:  # stored by an older hub: it knows no drivers then
                drivers = {}
        return (None if online is None else bool(online)), drivers
