"""Alerts, escalations and the notification queue (mixed into the store, on either engine).

Nothing lives in memory: the alert rules follow the events table with a cursor,
escalation steps are rows with a due time, notifications are rows with a state. Each
change is one transaction, so a hub killed at any moment neither loses nor repeats
a step: a step's notifications are queued in the same transaction that marks the
step done, and the queue's dedupe key makes a second queuing a no-op.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from mimamori.hub.model.alerts import (
    Alert,
    AlertCounts,
    AlertScope,
    Change,
    Clear,
    Notice,
    NotificationDraft,
    PlanStep,
    QueuedNotification,
    Raise,
)
from mimamori.hub.model.events import StoredEvent
from mimamori.hub.store.sql import Db, marks
from mimamori.hub.store.sql_base import SqlBase
from mimamori.locking import serialized
from mimamori.protocol.timefmt import from_epoch_ms, from_epoch_ms_or_none, to_epoch_ms

ALERT_COLUMNS = (
    "id, kind, subject, household_id, severity, state, detail, events, opened_at, updated_at, "
    "acked_at, acked_by, ack_note, resolved_at, resolved_by, resolve_note, person_id, "
    "handling_until, outcome"
)


def alert_of(row: Sequence[Any]) -> Alert:
    """An alert from a row of ``ALERT_COLUMNS``."""
    (aid, kind, subject, home, severity, state, detail, events, opened, updated) = row[:10]
    acked_at, acked_by, ack_note, resolved_at, resolved_by, resolve_note, person = row[10:17]
    handling_until, outcome = row[17:19]
    return Alert(
        aid, kind, subject, home, severity, state, json.loads(detail), events,
        from_epoch_ms(opened), from_epoch_ms(updated),
        from_epoch_ms_or_none(acked_at), acked_by, ack_note,
        from_epoch_ms_or_none(resolved_at), resolved_by, resolve_note, person,
        from_epoch_ms_or_none(handling_until), outcome,
    )  # fmt: skip


async def close_alert(
    db: Db, alert_id: int, at: int, *, by: str, note: str, outcome: str | None
) -> None:
    """Resolve an alert and cancel every step still to come."""
    await db.execute(
        "UPDATE alerts SET state = 'resolved', resolved_at = ?, resolved_by = ?, "
        "resolve_note = ?, outcome = ? WHERE id = ?",
        (at, by, note, outcome, alert_id),
    )
    await db.execute(
        "UPDATE escalations SET state = 'cancelled' WHERE alert_id = ? AND state = 'pending'",
        (alert_id,),
    )


async def reach(db: Db, alert_id: int, action: str, at: int) -> None:
    """Every step up to the first still to come that asks ``action`` comes due at
    ``at``, and a pause ends: the ladder's level 2 reaches the visit, handled or not."""
    rows = await db.fetch(
        "SELECT MIN(step) FROM escalations WHERE alert_id = ? AND state = 'pending' "
        "AND round = 0 AND action = ?",
        (alert_id, action),
    )
    if not rows or rows[0][0] is None:
        return
    await db.execute(
        "UPDATE escalations SET due_at = ? WHERE alert_id = ? AND state = 'pending' "
        "AND round = 0 AND step <= ? AND due_at > ?",
        (at, alert_id, rows[0][0], at),
    )
    await db.execute(
        "UPDATE alerts SET state = 'open', handling_until = NULL "
        "WHERE id = ? AND state = 'acknowledged'",
        (alert_id,),
    )


async def queue_drafts(db: Db, notifications: Sequence[NotificationDraft], at: int) -> None:
    await db.executemany(
        "INSERT INTO notifications (alert_id, recipient_id, channel, dedupe_key, title, "
        "body, state, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) "
        "ON CONFLICT (dedupe_key) DO NOTHING",
        [
            (n.alert_id, n.recipient_id, n.channel, n.dedupe_key, n.title, n.body, at, at)
            for n in notifications
        ],
    )


class SqlAlerts(SqlBase):
    async def _one_alert(
        self, db: Db, where: str, params: Sequence[Any], lock: str = ""
    ) -> Alert | None:
        rows = await db.fetch(f"SELECT {ALERT_COLUMNS} FROM alerts WHERE {where}{lock}", params)
        return alert_of(rows[0]) if rows else None

    # -- from events to alerts ------------------------------------------------------------

    @serialized
    async def events_for_alerts(self, limit: int) -> tuple[int, int, list[StoredEvent]]:
        """Events the alert rules have not seen yet, oldest first: the cursor they
        follow, the last one's seqno (the cursor once they are applied), the events."""
        rows = await self._query(
            "SELECT c.last_rowid, e.seqno, e.id, e.gateway_id, e.seq, e.ts, e.kind, e.data, "
            "e.received_at FROM alert_cursor c LEFT JOIN events e ON e.seqno > c.last_rowid "
            "ORDER BY e.seqno LIMIT ?",
            [limit],
        )
        since = int(rows[0][0]) if rows else 0
        events = [
            StoredEvent(eid, gw, seq, from_epoch_ms(ts), kind, json.loads(data), from_epoch_ms(rec))
            for _since, _seqno, eid, gw, seq, ts, kind, data, rec in rows
            if eid is not None
        ]
        return since, (rows[-1][1] if events else 0), events

    @serialized
    async def apply_alert_changes(
        self,
        changes: Sequence[Change],
        cursor: int,
        plans: Mapping[str, Sequence[PlanStep]],
        notices: Sequence[Notice] = (),
        *,
        since: int | None = None,
    ) -> AlertCounts:
        """Apply what the rules decided, queue the notices and move the cursor, in one
        transaction.

        A new alert gets the escalation steps of its plan (``plans``, by ``Raise.plan``).
        With ``since`` (the cursor the events were read after), nothing is applied
        when the cursor moved meanwhile: another hub worker applied them first.
        """
        counts = AlertCounts([], [], [])
        async with self._transaction("applying alert changes") as db:
            if since is not None and cursor:
                # First, so its row lock makes a second worker's apply wait, then
                # find the cursor moved: each batch of events is applied once.
                moved = await db.execute(
                    "UPDATE alert_cursor SET last_rowid = ? WHERE id = 1 AND last_rowid = ?",
                    (cursor, since),
                )
                if not moved:
                    return AlertCounts([], [], [], stale=True)
            for change in changes:
                if isinstance(change, Raise):
                    await self._raise(db, change, plans, counts)
                else:
                    await self._clear(db, change, counts)
            for notice in notices:
                await self._notice(db, notice)
            if cursor and since is None:
                await db.execute("UPDATE alert_cursor SET last_rowid = ? WHERE id = 1", (cursor,))
        return counts

    async def _raise(
        self,
        db: Db,
        change: Raise,
        plans: Mapping[str, Sequence[PlanStep]],
        counts: AlertCounts,
    ) -> None:
        at = to_epoch_ms(change.at)
        where = "kind = ? AND subject = ? AND state != 'resolved'"
        found = await self._one_alert(db, where, (change.kind, change.subject))
        if found is not None:
            detail = {**found.detail, **change.detail}
            greatest = self._dialect.greatest
            await db.execute(
                f"UPDATE alerts SET severity = {greatest('severity', '?')}, detail = ?, "
                f"events = events + 1, updated_at = {greatest('updated_at', '?')} WHERE id = ?",
                (int(change.severity), json.dumps(detail), at, found.id),
            )
            if change.reach:
                await reach(db, found.id, change.reach, at)
            updated = await self._one_alert(db, "id = ?", (found.id,))
            assert updated is not None
            counts.updated.append(updated)
            return
        rows = await db.fetch(
            "INSERT INTO alerts (kind, subject, household_id, person_id, severity, state, "
            "detail, events, opened_at, updated_at) VALUES (?, ?, ?, ?, ?, 'open', ?, 1, ?, ?) "
            "RETURNING id",
            (change.kind, change.subject, change.household_id, change.person_id,
             int(change.severity), json.dumps(change.detail), at, at),
        )  # fmt: skip
        alert_id = rows[0][0]
        steps = change.steps if change.steps is not None else plans.get(change.plan, ())
        await db.executemany(
            "INSERT INTO escalations (alert_id, step, round, due_at, recipients, state, action) "
            "VALUES (?, ?, 0, ?, ?, 'pending', ?)",
            [
                (alert_id, s.step, at + int(s.after_s * 1000), json.dumps(list(s.recipients)),
                 s.action)
                for s in steps
            ],
        )  # fmt: skip
        if change.reach:
            await reach(db, alert_id, change.reach, at)
        opened = await self._one_alert(db, "id = ?", (alert_id,))
        assert opened is not None
        counts.opened.append(opened)

    @staticmethod
    async def _notice(db: Db, notice: Notice) -> None:
        at = to_epoch_ms(notice.at)
        rows = await db.fetch("SELECT last_at FROM notice_throttle WHERE key = ?", (notice.key,))
        row = rows[0] if rows else None
        if row is not None and abs(at - row[0]) < notice.every_s * 1000:
            return
        await db.execute(
            "INSERT INTO notice_throttle (key, last_at) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET last_at = excluded.last_at",
            (notice.key, at),
        )
        await queue_drafts(db, notice.notifications, to_epoch_ms(notice.queued_at))

    async def _clear(self, db: Db, change: Clear, counts: AlertCounts) -> None:
        where = "kind = ? AND subject = ? AND state != 'resolved'"
        found = await self._one_alert(db, where, (change.kind, change.subject))
        if found is None:
            return
        at = max(to_epoch_ms(change.at), to_epoch_ms(found.opened_at))
        await close_alert(db, found.id, at, by="automatic", note=change.note, outcome=None)
        resolved = await self._one_alert(db, "id = ?", (found.id,))
        assert resolved is not None
        counts.resolved.append(resolved)

    # -- lifecycle ----------------------------------------------------------------------

    @serialized
    async def alerts(
        self, scope: AlertScope | None, include_resolved: bool, limit: int = 500
    ) -> list[Alert]:
        """Alerts about these households or people (None: all), newest first."""
        where: list[str] = ["1 = 1"]
        params: list[Any] = []
        if scope is not None:
            homes, people = scope.households, scope.people
            where.append(f"(household_id IN ({marks(homes)}) OR person_id IN ({marks(people)}))")
            params += [*homes, *people]
        if not include_resolved:
            where.append("state != 'resolved'")
        rows = await self._query(
            f"SELECT {ALERT_COLUMNS} FROM alerts WHERE {' AND '.join(where)} "
            "ORDER BY state = 'resolved', severity DESC, opened_at DESC LIMIT ?",
            [*params, limit],
        )
        return [alert_of(row) for row in rows]

    @serialized
    async def alert(self, alert_id: int) -> Alert | None:
        rows = await self._query(f"SELECT {ALERT_COLUMNS} FROM alerts WHERE id = ?", [alert_id])
        return alert_of(rows[0]) if rows else None

    @serialized
    async def resolve_alert(
        self, alert_id: int, by: str, note: str, now: datetime, outcome: str | None = None
    ) -> Alert | None:
        """Open or acknowledged -> resolved, with how it ended. None if already
        resolved or unknown."""
        async with self._transaction("resolving an alert") as db:
            found = await self._one_alert(
                db, "id = ? AND state != 'resolved'", (alert_id,), self._dialect.for_update
            )
            if found is not None:
                await close_alert(db, alert_id, to_epoch_ms(now), by=by, note=note, outcome=outcome)
        return await self.alert(alert_id) if found else None

    # -- the notification queue -------------------------------------------------------------

    @serialized
    async def queue_notifications(
        self, notifications: Sequence[NotificationDraft], now: datetime
    ) -> None:
        async with self._transaction("queuing notifications") as db:
            await queue_drafts(db, notifications, to_epoch_ms(now))

    @serialized
    async def claim_notifications(
        self, now: datetime, lease_s: float, limit: int = 20
    ) -> list[QueuedNotification]:
        """Due notifications, leased for ``lease_s`` so a second worker skips them."""
        at = to_epoch_ms(now)
        claimable = "state = 'pending' AND (claimed_until IS NULL OR claimed_until <= ?)"
        async with self._transaction("claiming notifications") as db:
            # Rows another worker is claiming are skipped (PostgreSQL), and the claim
            # is checked again on the row itself: a notification has one holder.
            rows = await db.fetch(
                "UPDATE notifications SET claimed_until = ? WHERE id IN (SELECT id FROM "
                f"notifications WHERE {claimable} AND next_at <= ? ORDER BY next_at LIMIT ?"
                f"{self._dialect.skip_locked}) AND {claimable} "
                "RETURNING id, alert_id, recipient_id, channel, dedupe_key, title, body, attempts",
                (at + int(lease_s * 1000), at, at, limit, at),
            )
        return [QueuedNotification(*row) for row in sorted(rows)]

    @serialized
    async def release_notification_claims(self) -> int:
        """End every lease on a pending notification (a hub killed mid-send left them);
        returns how many. Only for the town's one delivery worker, as it starts."""
        async with self._transaction("releasing notification claims") as db:
            return await db.execute(
                "UPDATE notifications SET claimed_until = NULL "
                "WHERE state = 'pending' AND claimed_until IS NOT NULL"
            )

    @serialized
    async def record_delivery(
        self, notification_id: int, ok: bool, error: str, now: datetime, retry_at: datetime | None
    ) -> None:
        """One attempt's outcome: sent; or failed, to retry at ``retry_at`` (None: give up)."""
        at = to_epoch_ms(now)
        state = "sent" if ok else ("pending" if retry_at is not None else "failed")
        async with self._transaction("recording a delivery") as db:
            await db.execute(
                "INSERT INTO deliveries (notification_id, at, ok, error) VALUES (?, ?, ?, ?)",
                (notification_id, at, 1 if ok else 0, error or None),
            )
            await db.execute(
                "UPDATE notifications SET state = ?, attempts = attempts + 1, last_error = ?, "
                "next_at = ?, claimed_until = NULL, sent_at = ? WHERE id = ?",
                (
                    state,
                    None if ok else error,
                    to_epoch_ms(retry_at) if retry_at else at,
                    at if ok else None,
                    notification_id,
                ),
            )

    @serialized
    async def notification_log(self, alert_id: int | None = None) -> list[dict[str, Any]]:
        """Notifications (with state, attempts and the last error), newest first."""
        where = "WHERE alert_id = ?" if alert_id is not None else ""
        rows = await self._query(
            "SELECT id, alert_id, recipient_id, channel, state, attempts, last_error, "
            f"created_at, sent_at FROM notifications {where} ORDER BY id DESC LIMIT 500",
            [alert_id] if alert_id is not None else [],
        )
        keys = ("id", "alert_id", "recipient_id", "channel", "state", "attempts", "last_error")
        return [
            {
                **dict(zip(keys, row[:7], strict=True)),
                "created_at": from_epoch_ms_or_none(row[7]),
                "sent_at": from_epoch_ms_or_none(row[8]),
            }
            for row in rows
        ]
