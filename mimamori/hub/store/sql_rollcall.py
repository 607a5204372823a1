"""The safety roll-call (mixed into the store, on either engine): started in one
transaction, read by the events with a cursor that moves by compare-and-set, answered
once per household (``help`` may follow ``safe``, never the other way)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from pydantic import ValidationError

from mimamori.hub.model.alerts import NotificationDraft
from mimamori.hub.model.rollcall import (
    STATUSES,
    Answer,
    Ask,
    Asked,
    Button,
    Heard,
    How,
    Listing,
    ListPage,
    RollCall,
    Visit,
)
from mimamori.hub.store.sql import Db, marks
from mimamori.hub.store.sql_base import SqlBase
from mimamori.locking import serialized
from mimamori.protocol.status import GatewayStatus
from mimamori.protocol.timefmt import from_epoch_ms, to_epoch_ms

_CALL = "id, area, message, started_by, started_at, ended_at, ended_by"
_ASKED = (
    "rollcall_id, household_id, area, support, button, notices, answer, how, answered_at, "
    "seen_at, seen_where, visit, visit_at, visit_by"
)
# The live list's order, word for word the expression of the index in schema.py
# (``rollcall_households_rank``), so that the engines read a page from the index: not
# answered first (0-3), the support list first (0-1, 4-5), then who is not even seen at
# a watch point; among those who answered, help before safe.
RANK = (
    "(CASE WHEN answer IS NULL THEN 0 ELSE 4 END"
    " + CASE WHEN support = 1 THEN 0 ELSE 2 END"
    " + CASE WHEN answer = 'safe' OR (answer IS NULL AND seen_at IS NOT NULL)"
    " THEN 1 ELSE 0 END)"
)
_STATUS = (
    "CASE WHEN answer IS NOT NULL THEN answer WHEN seen_at IS NOT NULL THEN 'seen' "
    "ELSE 'unanswered' END"
)
# A first answer, or help over safe: an answer that would say less is not written.
_ANSWERS = "(answer IS NULL OR (? = 'help' AND answer = 'safe'))"


def _ms(value: int | None) -> datetime | None:
    return None if value is None else from_epoch_ms(value)


def _call(row: Sequence[Any]) -> RollCall:
    id_, area, message, by, started, ended, ended_by = row
    return RollCall(int(id_), area, message, by, from_epoch_ms(started), _ms(ended), ended_by)


def _asked(row: Sequence[Any]) -> Asked:
    (rid, household, area, support, button, notices, answer, how, answered,
     seen, where, visit, visit_at, visit_by) = row  # fmt: skip
    return Asked(
        int(rid), household, area, bool(support), cast(Button, button), int(notices),
        cast(Answer | None, answer), cast(How | None, how), _ms(answered),
        _ms(seen), where, cast(Visit | None, visit), _ms(visit_at), visit_by,
    )  # fmt: skip


class SqlRollCall(SqlBase):
    @serialized
    async def start_rollcall(
        self,
        area: str | None,
        message: str,
        by: str,
        at: datetime,
        *,
        asks: Sequence[Ask],
        notifications: Sequence[NotificationDraft],
    ) -> int:
        at_ms = to_epoch_ms(at)
        async with self._transaction("starting a roll-call") as db:
            # The cursor: presses and sightings stored after this are the roll-call's.
            await db.lock_events()
            last = (await db.fetch("SELECT max(seqno) FROM events"))[0][0] or 0
            [(rollcall_id,)] = await db.fetch(
                "INSERT INTO rollcalls (area, message, started_by, started_at, seqno) "
                "VALUES (?, ?, ?, ?, ?) RETURNING id",
                (area, message, by, at_ms, last),
            )
            await db.executemany(
                "INSERT INTO rollcall_households (rollcall_id, household_id, area, support, "
                "token_hash, button, notices) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (rollcall_id, a.household_id, a.area, int(a.support), a.token_hash,
                     a.button, a.notices)
                    for a in asks
                ],
            )  # fmt: skip
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
        return int(rollcall_id)

    @serialized
    async def rollcalls(self, *, open_only: bool = False) -> list[RollCall]:
        where = "WHERE ended_at IS NULL " if open_only else ""
        rows = await self._query(f"SELECT {_CALL} FROM rollcalls {where}ORDER BY id DESC", [])
        return [_call(row) for row in rows]

    @serialized
    async def rollcall(self, rollcall_id: int) -> tuple[RollCall, int] | None:
        rows = await self._query(
            f"SELECT {_CALL}, seqno FROM rollcalls WHERE id = ?", [rollcall_id]
        )
        return (_call(rows[0][:-1]), int(rows[0][-1])) if rows else None

    @serialized
    async def rollcall_households(
        self, rollcall_id: int, household_ids: Sequence[str] | None = None
    ) -> list[Asked]:
        if household_ids is not None and not household_ids:
            return []
        only = "" if household_ids is None else f" AND household_id IN ({marks(household_ids)})"
        rows = await self._query(
            f"SELECT {_ASKED} FROM rollcall_households WHERE rollcall_id = ?{only} "
            "ORDER BY household_id",
            [rollcall_id, *(household_ids or ())],
        )
        return [_asked(row) for row in rows]

    @serialized
    async def rollcall_page(self, rollcall_id: int, listing: Listing) -> ListPage:
        scope, params = self._scope(listing)
        where = f"WHERE rollcall_id = ?{scope}"
        counted = await self._query(
            f"SELECT {_STATUS}, count(*) FROM rollcall_households {where} GROUP BY {_STATUS}",
            [rollcall_id, *params],
        )
        counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
        counts.update({status: int(n) for status, n in counted})
        if listing.status is not None:
            where += f" AND {_STATUS} = ?"
            params.append(listing.status)
        if listing.among is not None:
            where += f" AND household_id IN ({self._dialect.json_values()})"
            params.append(json.dumps(listing.among))
        if listing.status is None and listing.among is None:
            matching = sum(counts.values())
        else:
            [(n,)] = await self._query(
                f"SELECT count(*) FROM rollcall_households {where}", [rollcall_id, *params]
            )
            matching = int(n)
        rows = await self._query(
            f"SELECT {_ASKED} FROM rollcall_households {where} "
            f"ORDER BY rollcall_id, {RANK}, household_id LIMIT ? OFFSET ?",
            [rollcall_id, *params, listing.limit, listing.offset],
        )
        return ListPage([_asked(row) for row in rows], counts, matching)

    def _scope(self, listing: Listing) -> tuple[str, list[Any]]:
        """The caller's households: their areas', a volunteer's own (one parameter each,
        a JSON array: engines cap a statement's parameters)."""
        sql, params = "", []
        if listing.areas is not None:
            sql += f" AND area IN ({self._dialect.json_values()})"
            params.append(json.dumps(listing.areas))
        if listing.households is not None:
            sql += f" AND household_id IN ({self._dialect.json_values()})"
            params.append(json.dumps(listing.households))
        return sql, params

    @serialized
    async def rollcall_of_token(self, token_hash: str) -> tuple[RollCall, Asked] | None:
        asked = ", ".join(f"h.{c}" for c in _ASKED.split(", "))
        call = ", ".join(f"c.{c}" for c in _CALL.split(", "))
        rows = await self._query(
            f"SELECT {call}, {asked} FROM rollcall_households h "
            "JOIN rollcalls c ON c.id = h.rollcall_id WHERE h.token_hash = ?",
            [token_hash],
        )
        if not rows:
            return None
        n = len(_CALL.split(", "))
        return _call(rows[0][:n]), _asked(rows[0][n:])

    @serialized
    async def rollcall_heard(
        self, rollcall_id: int, cursor: int, upto: int, heard: Sequence[Heard]
    ) -> bool:
        async with self._transaction("recording what a roll-call heard") as db:
            moved = await db.execute(
                "UPDATE rollcalls SET seqno = ? WHERE id = ? AND seqno = ?",
                (upto, rollcall_id, cursor),
            )
            if moved != 1:
                return False  # another worker read these events
            for h in heard:
                if h.answer is not None:
                    await self._answer(db, rollcall_id, h.household_id, h.answer, "button", at=h.at)
                elif h.seen_where is not None:
                    await db.execute(
                        "UPDATE rollcall_households SET seen_at = ?, seen_where = ? "
                        "WHERE rollcall_id = ? AND household_id = ? AND seen_at IS NULL",
                        (to_epoch_ms(h.at), h.seen_where, rollcall_id, h.household_id),
                    )
        return True

    @staticmethod
    async def _answer(
        db: Db, rollcall_id: int, household_id: str, answer: Answer, how: How, *, at: datetime
    ) -> None:
        await db.execute(
            "UPDATE rollcall_households SET answer = ?, how = ?, "
            "answered_at = coalesce(answered_at, ?) "
            f"WHERE rollcall_id = ? AND household_id = ? AND {_ANSWERS}",
            (answer, how, to_epoch_ms(at), rollcall_id, household_id, answer),
        )

    async def _open_row(self, db: Db, rollcall_id: int, household_id: str) -> Answer | None:
        """The household's answer in an open roll-call (locked till the commit)."""
        rows = await db.fetch(
            "SELECT h.answer FROM rollcall_households h JOIN rollcalls c ON c.id = h.rollcall_id "
            "WHERE h.rollcall_id = ? AND h.household_id = ? AND c.ended_at IS NULL"
            f"{self._dialect.for_update}",
            (rollcall_id, household_id),
        )
        if not rows:
            raise LookupError(f"roll-call {rollcall_id} is over or never asked {household_id}")
        return cast(Answer | None, rows[0][0])

    @serialized
    async def rollcall_answer(
        self, rollcall_id: int, household_id: str, answer: Answer, how: How, at: datetime
    ) -> Answer | None:
        async with self._transaction("recording a roll-call answer") as db:
            before = await self._open_row(db, rollcall_id, household_id)
            await self._answer(db, rollcall_id, household_id, answer, how, at=at)
        return before

    @serialized
    async def rollcall_visit(
        self, rollcall_id: int, household_id: str, visit: Visit, *, by: str, role: str, at: datetime
    ) -> None:
        async with self._transaction("recording a roll-call visit") as db:
            await self._open_row(db, rollcall_id, household_id)
            await db.execute(
                "UPDATE rollcall_households SET visit = ?, visit_at = ?, visit_by = ? "
                "WHERE rollcall_id = ? AND household_id = ?",
                (visit, to_epoch_ms(at), by, rollcall_id, household_id),
            )
            if visit != "not_home":
                await self._answer(db, rollcall_id, household_id, visit, "visit", at=at)
            await db.execute(
                "INSERT INTO audit (at, who, role, action, subject, detail) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (to_epoch_ms(at), by, role, "rollcall.visit",
                 f"rollcall:{rollcall_id}/household:{household_id}", visit),
            )  # fmt: skip

    @serialized
    async def claim_rollcall_buttons(self, limit: int) -> list[tuple[int, str]]:
        async with self._transaction("claiming roll-call buttons") as db:
            rows = await db.fetch(
                "UPDATE rollcall_households SET button = 'sending' "
                "WHERE (rollcall_id, household_id) IN (SELECT rollcall_id, household_id "
                "FROM rollcall_households WHERE button = 'pending' AND rollcall_id IN "
                "(SELECT id FROM rollcalls WHERE ended_at IS NULL) LIMIT ?"
                f"{self._dialect.skip_locked}) AND button = 'pending' "
                "RETURNING rollcall_id, household_id",
                (limit,),
            )
        return sorted((int(r), h) for r, h in rows)

    @serialized
    async def rollcall_buttons(self, outcomes: Sequence[tuple[int, str, Button]]) -> None:
        if not outcomes:
            return
        async with self._transaction("recording roll-call buttons") as db:
            await db.executemany(
                "UPDATE rollcall_households SET button = ? WHERE rollcall_id = ? "
                "AND household_id = ?",
                [(outcome, rid, home) for rid, home, outcome in outcomes],
            )

    @serialized
    async def button_gateways(
        self, gateway_ids: Sequence[str]
    ) -> dict[str, tuple[bool | None, dict[str, str]]]:
        if not gateway_ids:
            return {}
        rows = await self._query(
            f"SELECT id, online, status FROM gateways WHERE id IN ({marks(gateway_ids)})",
            list(gateway_ids),
        )
        found: dict[str, tuple[bool | None, dict[str, str]]] = {}
        for gateway_id, online, status in rows:
            drivers: dict[str, str] = {}
            with contextlib.suppress(ValidationError):  # an older hub's status: no drivers
                if status:
                    parsed = GatewayStatus.model_validate_json(status)
                    drivers = {name: d.driver for name, d in parsed.drivers.items()}
            found[gateway_id] = (None if online is None else bool(online)), drivers
        return found

    @serialized
    async def end_rollcall(self, rollcall_id: int, by: str, at: datetime, report: str) -> bool:
        async with self._transaction("ending a roll-call") as db:
            ended = await db.execute(
                "UPDATE rollcalls SET ended_at = ?, ended_by = ?, report = ? "
                "WHERE id = ? AND ended_at IS NULL",
                (to_epoch_ms(at), by, report, rollcall_id),
            )
        return ended == 1

    @serialized
    async def rollcall_report(self, rollcall_id: int) -> str | None:
        rows = await self._query("SELECT report FROM rollcalls WHERE id = ?", [rollcall_id])
        return rows[0][0] if rows else None
