"""LINE's part of the store (``port_line.py``) on the ``sql.Db`` port: one SQL for both
engines. Each change is one transaction; what several hub workers may do at once (two
tries of one code, two workers on one event) is settled by the row itself: a code is
used by the one UPDATE that finds it unused, an event is leased like a notification."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from mimamori.hub.model.line import (
    LineBinding,
    LineUsage,
    PendingLineEvent,
    Redeemed,
    Redemption,
)
from mimamori.hub.store.sql import marks
from mimamori.hub.store.sql_base import SqlBase
from mimamori.locking import serialized
from mimamori.protocol.timefmt import from_epoch_ms, to_epoch_ms

_BINDING = "recipient_id, line_user_id, state, bound_at, changed_at"


class SqlLine(SqlBase):
    # -- linking --------------------------------------------------------------------------

    @serialized
    async def add_line_code(
        self, code_hash: str, recipient_id: str, now: datetime, expires_at: datetime
    ) -> bool:
        async with self._transaction("keeping a LINE linking code") as db:
            await db.execute(
                "DELETE FROM line_codes WHERE recipient_id = ? AND used_at IS NULL",
                (recipient_id,),
            )
            rows = await db.fetch(
                "INSERT INTO line_codes (code_hash, recipient_id, created_at, expires_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (code_hash) DO NOTHING RETURNING code_hash",
                (code_hash, recipient_id, to_epoch_ms(now), to_epoch_ms(expires_at)),
            )
        return bool(rows)

    @serialized
    async def redeem_line_code(
        self,
        code_hash: str,
        line_user_id: str,
        now: datetime,
        *,
        max_failures: int,
        window: timedelta,
    ) -> Redemption:
        at, since = to_epoch_ms(now), to_epoch_ms(now - window)
        async with self._transaction("redeeming a LINE linking code") as db:
            tries = await db.fetch(
                "SELECT failures FROM line_attempts WHERE line_user_id = ? AND first_at > ?",
                (line_user_id, since),
            )
            if tries and tries[0][0] >= max_failures:
                return Redemption("too_many")
            used = await db.fetch(
                "UPDATE line_codes SET used_at = ?, used_by = ? WHERE code_hash = ? "
                "AND used_at IS NULL AND expires_at > ? RETURNING recipient_id",
                (at, line_user_id, code_hash, at),
            )
            if used:
                recipient_id = str(used[0][0])
                await db.execute(
                    f"INSERT INTO line_bindings ({_BINDING}) VALUES (?, ?, 'bound', ?, ?) "
                    "ON CONFLICT (recipient_id) DO UPDATE SET line_user_id = "
                    "excluded.line_user_id, state = 'bound', bound_at = excluded.bound_at, "
                    "changed_at = excluded.changed_at",
                    (recipient_id, line_user_id, at, at),
                )
                await db.execute(
                    "DELETE FROM line_attempts WHERE line_user_id = ?", (line_user_id,)
                )
                return Redemption("bound", recipient_id)
            found = await db.fetch(
                "SELECT used_at FROM line_codes WHERE code_hash = ?", (code_hash,)
            )
            outcome: Redeemed = (
                "wrong" if not found else ("used" if found[0][0] is not None else "expired")
            )
            # A try counts within the window from the first failure; after it, anew.
            await db.execute(
                "INSERT INTO line_attempts (line_user_id, failures, first_at) VALUES (?, 1, ?) "
                "ON CONFLICT (line_user_id) DO UPDATE SET "
                "failures = CASE WHEN line_attempts.first_at > ? "
                "THEN line_attempts.failures + 1 ELSE 1 END, "
                "first_at = CASE WHEN line_attempts.first_at > ? "
                "THEN line_attempts.first_at ELSE excluded.first_at END",
                (line_user_id, at, since, since),
            )
        return Redemption(outcome)

    @serialized
    async def unbind_line_user(self, line_user_id: str, now: datetime) -> list[str]:
        async with self._transaction("ending a LINE user's bindings") as db:
            rows = await db.fetch(
                "UPDATE line_bindings SET state = 'unfollowed', changed_at = ? "
                "WHERE line_user_id = ? AND state = 'bound' RETURNING recipient_id",
                (to_epoch_ms(now), line_user_id),
            )
        return sorted(str(row[0]) for row in rows)

    @serialized
    async def line_bindings(self) -> list[LineBinding]:
        rows = await self._query(f"SELECT {_BINDING} FROM line_bindings ORDER BY 1", [])
        return [
            LineBinding(rid, user, state, from_epoch_ms(bound), from_epoch_ms(changed))
            for rid, user, state, bound, changed in rows
        ]

    @serialized
    async def line_user_of(self, recipient_id: str) -> str | None:
        rows = await self._query(
            "SELECT line_user_id FROM line_bindings WHERE recipient_id = ? AND state = 'bound'",
            [recipient_id],
        )
        return str(rows[0][0]) if rows else None

    @serialized
    async def line_bound(self, recipient_ids: Sequence[str]) -> set[str]:
        if not recipient_ids:
            return set()
        rows = await self._query(
            f"SELECT recipient_id FROM line_bindings WHERE recipient_id IN "
            f"({marks(recipient_ids)}) AND state = 'bound'",
            list(recipient_ids),
        )
        return {str(row[0]) for row in rows}

    @serialized
    async def line_recipients_of(self, line_user_id: str) -> set[str]:
        rows = await self._query(
            "SELECT recipient_id FROM line_bindings WHERE line_user_id = ? AND state = 'bound'",
            [line_user_id],
        )
        return {str(row[0]) for row in rows}

    # -- the webhook's events -------------------------------------------------------------

    @serialized
    async def add_line_events(
        self, events: Sequence[tuple[str, str]], now: datetime
    ) -> tuple[int, int]:
        kept = 0
        async with self._transaction("keeping LINE webhook events") as db:
            for event_id, body in events:
                rows = await db.fetch(
                    "INSERT INTO line_events (event_id, body, state, received_at) "
                    "VALUES (?, ?, 'pending', ?) ON CONFLICT (event_id) DO NOTHING RETURNING id",
                    (event_id, body, to_epoch_ms(now)),
                )
                kept += len(rows)
        return kept, len(events) - kept

    @serialized
    async def claim_line_events(
        self, now: datetime, lease_s: float, limit: int = 20
    ) -> list[PendingLineEvent]:
        at = to_epoch_ms(now)
        claimable = "state = 'pending' AND (claimed_until IS NULL OR claimed_until <= ?)"
        async with self._transaction("claiming LINE webhook events") as db:
            rows = await db.fetch(
                "UPDATE line_events SET claimed_until = ? WHERE id IN (SELECT id FROM "
                f"line_events WHERE {claimable} ORDER BY id LIMIT ?{self._dialect.skip_locked})"
                f" AND {claimable} RETURNING id, event_id, body, attempts",
                (at + int(lease_s * 1000), at, limit, at),
            )
        return [PendingLineEvent(*row) for row in sorted(rows)]

    @serialized
    async def finish_line_event(self, row_id: int, error: str | None, now: datetime) -> None:
        async with self._transaction("finishing a LINE webhook event") as db:
            await db.execute(
                "UPDATE line_events SET state = ?, attempts = attempts + 1, error = ?, "
                "claimed_until = NULL WHERE id = ?",
                ("done" if error is None else "failed", error, row_id),
            )

    @serialized
    async def purge_line_events(self, before: datetime) -> int:
        at = to_epoch_ms(before)
        async with self._transaction("purging LINE webhook events") as db:
            purged = await db.execute(
                "DELETE FROM line_events WHERE state != 'pending' AND received_at < ?", (at,)
            )
            await db.execute("DELETE FROM line_codes WHERE expires_at < ?", (at,))
            await db.execute("DELETE FROM line_attempts WHERE first_at < ?", (at,))
        return purged

    # -- the monthly count ----------------------------------------------------------------

    @serialized
    async def count_line_push(self, month: str, allowance: int) -> tuple[LineUsage, bool]:
        async with self._transaction("counting a LINE message") as db:
            rows = await db.fetch(
                "INSERT INTO line_usage (month, pushed, warned) VALUES (?, 1, 0) "
                "ON CONFLICT (month) DO UPDATE SET pushed = line_usage.pushed + 1 "
                "RETURNING pushed",
                (month,),
            )
            usage = LineUsage(month, int(rows[0][0]), allowance)
            crossed = False
            if usage.warning:
                warned = await db.fetch(
                    "UPDATE line_usage SET warned = 1 WHERE month = ? AND warned = 0 "
                    "RETURNING month",
                    (month,),
                )
                crossed = bool(warned)
        return usage, crossed

    @serialized
    async def line_usage(self, month: str, allowance: int) -> LineUsage:
        rows = await self._query("SELECT pushed FROM line_usage WHERE month = ?", [month])
        return LineUsage(month, int(rows[0][0]) if rows else 0, allowance)
