"""Escalation steps and people's answers to alerts (mixed into the store, on either engine).

Steps are rows with a due time; a worker takes the due ones (``due_escalations``) and
queues their notifications in the transaction that marks them done
(``complete_escalation``). Answers move those rows, never a timer in memory:

- *handling* (対応します) pauses the chain: the steps still to come move, keeping their
  spacing, so that the next one comes due when the pause ends (later than planned, or
  sooner: an alert nobody resolved in that time escalates again); when none is left,
  the last step is asked again then. Nobody is left believing that someone is on it.
- *decline* (行けない・次の人へ) and a call nobody answered bring the next step to now.
- a call answered "fine" resolves the alert (outcome ``safe``).

Every answer is a row of ``alert_answers``; with the steps taken, the notifications
and their deliveries it makes the alert's timeline (``alert_timeline``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from mimamori.hub.model.alerts import Alert, DueEscalation, NotificationDraft
from mimamori.hub.model.escalation import CallResult, TimelineEntry
from mimamori.hub.store.sql import Db
from mimamori.hub.store.sql_alerts import ALERT_COLUMNS, alert_of, close_alert, queue_drafts
from mimamori.hub.store.sql_base import SqlBase
from mimamori.locking import serialized
from mimamori.protocol.timefmt import from_epoch_ms, to_epoch_ms

# Where an entry sorts among entries of the same millisecond: an answer before the
# step it brought forward, a step before its notifications, the end last.
_ORDER = {"opened": 0, "answer": 1, "step": 2, "notified": 3, "resolved": 4}


class SqlEscalation(SqlBase):
    async def _open_alert(self, db: Db, alert_id: int) -> Alert | None:
        rows = await db.fetch(
            f"SELECT {ALERT_COLUMNS} FROM alerts WHERE id = ? AND state != 'resolved'"
            f"{self._dialect.for_update}",
            (alert_id,),
        )
        return alert_of(rows[0]) if rows else None

    async def _alert_now(self, db: Db, alert_id: int) -> Alert:
        rows = await db.fetch(f"SELECT {ALERT_COLUMNS} FROM alerts WHERE id = ?", (alert_id,))
        return alert_of(rows[0])

    @staticmethod
    async def _answered(
        db: Db, alert_id: int, answer: str, *, at: int, who: str, role: str, note: str
    ) -> None:
        await db.execute(
            "INSERT INTO alert_answers (alert_id, at, who, role, answer, note) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (alert_id, at, who, role, answer, note or None),
        )

    @staticmethod
    async def _again_last(db: Db, alert_id: int, at: int) -> None:
        """No step is left: the last one taken is asked again at ``at``."""
        rows = await db.fetch(
            "SELECT step, round, recipients, action FROM escalations WHERE alert_id = ? "
            "AND state = 'done' ORDER BY step DESC, round DESC LIMIT 1",
            (alert_id,),
        )
        if rows:
            step, rnd, recipients, action = rows[0]
            await db.execute(
                "INSERT INTO escalations (alert_id, step, round, due_at, recipients, state, "
                "action) VALUES (?, ?, ?, ?, ?, 'pending', ?)",
                (alert_id, step, rnd + 1, at, recipients, action),
            )

    async def _next_now(self, db: Db, alert_id: int, at: int) -> None:
        """The next step comes due at ``at`` (else the last is asked again); a pause ends."""
        await db.execute(
            "UPDATE escalations SET state = 'cancelled' WHERE alert_id = ? "
            "AND state = 'pending' AND round > 0",
            (alert_id,),
        )
        rows = await db.fetch(
            "SELECT MIN(step) FROM escalations WHERE alert_id = ? AND state = 'pending'",
            (alert_id,),
        )
        if rows and rows[0][0] is not None:
            await db.execute(
                "UPDATE escalations SET due_at = ? WHERE alert_id = ? AND state = 'pending' "
                "AND step = ? AND due_at > ?",
                (at, alert_id, rows[0][0], at),
            )
        else:
            await self._again_last(db, alert_id, at)
        await db.execute(
            "UPDATE alerts SET state = 'open', handling_until = NULL "
            "WHERE id = ? AND state = 'acknowledged'",
            (alert_id,),
        )

    # -- answers ----------------------------------------------------------------------------

    @serialized
    async def handle_alert(
        self, alert_id: int, *, by: str, role: str, note: str, now: datetime, until: datetime
    ) -> Alert | None:
        """対応します: the chain waits until ``until``, then goes on with its next step.
        None if resolved."""
        at, end = to_epoch_ms(now), to_epoch_ms(until)
        async with self._transaction("handling an alert") as db:
            if await self._open_alert(db, alert_id) is None:
                return None
            await db.execute(
                "UPDATE alerts SET state = 'acknowledged', acked_at = ?, acked_by = ?, "
                "ack_note = ?, handling_until = ? WHERE id = ?",
                (at, by, note, end, alert_id),
            )
            await db.execute(
                "UPDATE escalations SET state = 'cancelled' WHERE alert_id = ? "
                "AND state = 'pending' AND round > 0",
                (alert_id,),
            )
            rows = await db.fetch(
                "SELECT MIN(due_at) FROM escalations WHERE alert_id = ? AND state = 'pending'",
                (alert_id,),
            )
            first = rows[0][0] if rows else None
            if first is None:
                await self._again_last(db, alert_id, end)
            elif first != end:
                await db.execute(
                    "UPDATE escalations SET due_at = due_at + ? "
                    "WHERE alert_id = ? AND state = 'pending'",
                    (end - first, alert_id),
                )
            await self._answered(db, alert_id, "handling", at=at, who=by, role=role, note=note)
            return await self._alert_now(db, alert_id)

    @serialized
    async def decline_alert(
        self, alert_id: int, *, by: str, role: str, note: str, now: datetime
    ) -> Alert | None:
        """行けない・次の人へ: the next step now. None if resolved."""
        at = to_epoch_ms(now)
        async with self._transaction("declining an alert") as db:
            if await self._open_alert(db, alert_id) is None:
                return None
            await self._next_now(db, alert_id, at)
            await self._answered(db, alert_id, "decline", at=at, who=by, role=role, note=note)
            return await self._alert_now(db, alert_id)

    @serialized
    async def record_call(
        self, alert_id: int, result: CallResult, *, by: str, role: str, note: str, now: datetime
    ) -> Alert | None:
        """A call to the person: "fine" resolves (outcome ``safe``); "no answer" and
        "needs help" bring the next step to now. None if resolved."""
        at = to_epoch_ms(now)
        async with self._transaction("recording a call") as db:
            if await self._open_alert(db, alert_id) is None:
                return None
            await self._answered(
                db, alert_id, f"call_{result}", at=at, who=by, role=role, note=note
            )
            if result == "fine":
                await close_alert(
                    db, alert_id, at, by=by, note=note or "call: answered, fine", outcome="safe"
                )
            else:
                await self._next_now(db, alert_id, at)
            return await self._alert_now(db, alert_id)

    # -- steps ------------------------------------------------------------------------------

    @serialized
    async def due_escalations(self, now: datetime, limit: int = 100) -> list[DueEscalation]:
        rows = await self._query(
            "SELECT x.id, x.step, x.round, x.due_at, x.recipients, x.action, "
            + ", ".join(f"a.{c.strip()}" for c in ALERT_COLUMNS.split(","))
            + " FROM escalations x JOIN alerts a ON a.id = x.alert_id "
            "WHERE x.state = 'pending' AND x.due_at <= ? ORDER BY x.due_at, x.id LIMIT ?",
            [to_epoch_ms(now), limit],
        )
        return [
            DueEscalation(
                row[0],
                alert_of(row[6:]),
                row[1],
                row[2],
                from_epoch_ms(row[3]),
                tuple(json.loads(row[4])),
                row[5],
            )
            for row in rows
        ]

    @serialized
    async def complete_escalation(
        self,
        escalation_id: int,
        notifications: Sequence[NotificationDraft],
        repeat_at: datetime | None,
        now: datetime,
    ) -> bool:
        """Queue a step's notifications and mark it done, in one transaction; plan its
        repeat. False (nothing done) when the step is no longer pending."""
        at = to_epoch_ms(now)
        async with self._transaction("completing an escalation step") as db:
            # Locked (PostgreSQL), the alert first and then the step, the order every
            # answer takes (they lock the alert, then change its steps): the other order
            # deadlocked with an answer. A second worker on the same step waits, then
            # finds it done.
            await db.fetch(
                "SELECT id FROM alerts WHERE id = (SELECT alert_id FROM escalations "
                f"WHERE id = ?){self._dialect.for_update}",
                (escalation_id,),
            )
            rows = await db.fetch(
                "SELECT alert_id, step, round, recipients, action FROM escalations "
                f"WHERE id = ? AND state = 'pending'{self._dialect.for_update}",
                (escalation_id,),
            )
            if not rows:
                return False
            alert_id, step, rnd, recipients, action = rows[0]
            await queue_drafts(db, notifications, at)
            await db.execute(
                "UPDATE escalations SET state = 'done', done_at = ? WHERE id = ?",
                (at, escalation_id),
            )
            # A later step replaces the repeats of the earlier ones.
            await db.execute(
                "UPDATE escalations SET state = 'cancelled' WHERE alert_id = ? "
                "AND state = 'pending' AND round > 0 AND step < ?",
                (alert_id, step),
            )
            # The chain goes on: whoever was handling it is no longer thought to be.
            await db.execute(
                "UPDATE alerts SET state = 'open' WHERE id = ? AND state = 'acknowledged' "
                "AND handling_until <= ?",
                (alert_id, at),
            )
            if repeat_at is not None:
                await db.execute(
                    "INSERT INTO escalations (alert_id, step, round, due_at, recipients, "
                    "state, action) VALUES (?, ?, ?, ?, ?, 'pending', ?)",
                    (alert_id, step, rnd + 1, to_epoch_ms(repeat_at), recipients, action),
                )
        return True

    # -- the timeline -----------------------------------------------------------------------

    @serialized
    async def alert_timeline(self, alert_id: int) -> list[TimelineEntry]:
        """Every step of an alert in order: opened, each step taken (who was asked to
        do what), each notification (channel, delivered or failed), each answer, the end."""
        found = await self._query(f"SELECT {ALERT_COLUMNS} FROM alerts WHERE id = ?", [alert_id])
        if not found:
            return []
        alert = alert_of(found[0])
        entries = [TimelineEntry(alert.opened_at, "opened", None, alert.kind)]
        for at, step, rnd, recipients, action in await self._query(
            "SELECT done_at, step, round, recipients, action FROM escalations "
            "WHERE alert_id = ? AND state = 'done' AND done_at IS NOT NULL",
            [alert_id],
        ):
            entries.append(
                TimelineEntry(
                    from_epoch_ms(at), "step", ", ".join(json.loads(recipients)), action,
                    step=step, round=rnd,
                )
            )  # fmt: skip
        for created, sent, recipient, channel, state, error in await self._query(
            "SELECT created_at, sent_at, recipient_id, channel, state, last_error "
            "FROM notifications WHERE alert_id = ?",
            [alert_id],
        ):
            entries.append(
                TimelineEntry(
                    from_epoch_ms(sent or created), "notified", recipient, None,
                    channel="line" if channel < 0 else str(channel), state=state, note=error,
                )
            )  # fmt: skip
        for at, who, answer, note in await self._query(
            "SELECT at, who, answer, note FROM alert_answers WHERE alert_id = ?", [alert_id]
        ):
            entries.append(TimelineEntry(from_epoch_ms(at), "answer", who, answer, note=note))
        if alert.resolved_at is not None:
            entries.append(
                TimelineEntry(
                    alert.resolved_at, "resolved", alert.resolved_by, alert.outcome,
                    note=alert.resolve_note,
                )
            )  # fmt: skip
        return sorted(entries, key=lambda e: (e.at, _ORDER[e.what]))
