"""Contact confirmations (mixed into the store, on either engine): the requests sent
to contacts and their answers, decided by following the register's audit with a
cursor that moves by compare-and-set, so two hub workers never ask twice."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mimamori.hub.model.alerts import NotificationDraft
from mimamori.hub.model.confirmations import Ask, Confirmation, RegisterChange
from mimamori.hub.store.sql import Db, marks
from mimamori.hub.store.sql_base import SqlBase
from mimamori.locking import serialized
from mimamori.protocol.timefmt import from_epoch_ms, from_epoch_ms_or_none, to_epoch_ms

_COLUMNS = "contact_id, people, contact_version, asked_at, asked_by, confirmed_at"


def _confirmation(row: Sequence[Any]) -> Confirmation:
    contact, people, version, asked_at, asked_by, confirmed_at = row
    return Confirmation(
        contact,
        tuple(json.loads(people)),
        int(version),
        from_epoch_ms(asked_at),
        asked_by,
        from_epoch_ms_or_none(confirmed_at),
    )


class SqlConfirmations(SqlBase):
    @serialized
    async def register_changes_to_confirm(self, limit: int) -> tuple[int, list[RegisterChange]]:
        cursor = int((await self._query("SELECT version FROM confirm_cursor", []))[0][0])
        rows = await self._query(
            "SELECT register_version, via, who, entity, entity_id, action, before_doc, "
            "after_doc FROM register_audit WHERE register_version > ? "
            "ORDER BY register_version, id LIMIT ?",
            [cursor, limit],
        )
        return cursor, [RegisterChange(int(r[0]), *r[1:]) for r in rows]

    @serialized
    async def ask_contacts(
        self,
        cursor: int,
        upto: int,
        asks: Sequence[Ask],
        notifications: Sequence[NotificationDraft],
        at: datetime,
    ) -> bool:
        at_ms = to_epoch_ms(at)
        async with self._transaction("asking contacts to confirm") as db:
            moved = await db.execute(
                "UPDATE confirm_cursor SET version = ? WHERE version = ?", [upto, cursor]
            )
            if moved != 1:
                return False  # another worker took these changes
            for ask in asks:
                await db.execute(
                    "DELETE FROM contact_confirmations WHERE contact_id = ?", [ask.contact_id]
                )
                await db.execute(
                    f"INSERT INTO contact_confirmations (token_hash, {_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, NULL)",
                    [
                        ask.token_hash,
                        ask.contact_id,
                        json.dumps(list(ask.people)),
                        ask.contact_version,
                        at_ms,
                        ask.asked_by,
                    ],
                )
            if notifications:
                await db.executemany(
                    "INSERT INTO notifications (alert_id, recipient_id, channel, dedupe_key, "
                    "title, body, state, attempts, next_at, created_at) "
                    "VALUES (NULL, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
                    [
                        (n.recipient_id, n.channel, n.dedupe_key, n.title, n.body, at_ms, at_ms)
                        for n in notifications
                    ],
                )
        return True

    @serialized
    async def contact_confirmations(
        self, contact_ids: Sequence[str] | None = None
    ) -> list[Confirmation]:
        if contact_ids is None:
            rows = await self._query(
                f"SELECT {_COLUMNS} FROM contact_confirmations ORDER BY contact_id", []
            )
        elif not contact_ids:
            return []
        else:
            rows = await self._query(
                f"SELECT {_COLUMNS} FROM contact_confirmations "
                f"WHERE contact_id IN ({marks(contact_ids)}) ORDER BY contact_id",
                list(contact_ids),
            )
        return [_confirmation(r) for r in rows]

    @serialized
    async def confirm_contact(
        self, token_hash: str, at: datetime, *, asked_after: datetime
    ) -> Confirmation | None:
        await self._db.execute(
            "UPDATE contact_confirmations SET confirmed_at = ? "
            "WHERE token_hash = ? AND confirmed_at IS NULL AND asked_at > ?",
            [to_epoch_ms(at), token_hash, to_epoch_ms(asked_after)],
        )
        return await self._by_token(token_hash)

    @serialized
    async def confirmation_of(self, token_hash: str) -> Confirmation | None:
        return await self._by_token(token_hash)

    async def _by_token(self, token_hash: str) -> Confirmation | None:
        rows = await self._query(
            f"SELECT {_COLUMNS} FROM contact_confirmations WHERE token_hash = ?", [token_hash]
        )
        return _confirmation(rows[0]) if rows else None


async def unname_person(db: Db, person_id: str) -> int:
    """A forget's part (``sql_privacy``, in its transaction): take the person out of
    the requests sent to contacts (which name the people a contact was asked about);
    a request that named only them goes. How many changed."""
    rows = await db.fetch("SELECT contact_id, people FROM contact_confirmations", [])
    changed = 0
    for contact_id, people in rows:
        named = json.loads(people)
        if person_id not in named:
            continue
        kept = [p for p in named if p != person_id]
        if kept:
            await db.execute(
                "UPDATE contact_confirmations SET people = ? WHERE contact_id = ?",
                [json.dumps(kept), contact_id],
            )
        else:
            await db.execute("DELETE FROM contact_confirmations WHERE contact_id = ?", [contact_id])
        changed += 1
    return changed
