"""The "not seen for N days" rule's reports (issue 16; ``hub/cases/not_seen.py``),
mixed into the store on either engine: the report joins or opens its household's
case like a partner's, and the absence is marked in the same transaction, so it is
filed once, whichever sweep or worker gets there first."""

from __future__ import annotations

from datetime import datetime

from mimamori.errors import StoreError
from mimamori.hub.model.cases import ReportDraft
from mimamori.hub.store.sql_cases import SqlCases
from mimamori.locking import serialized
from mimamori.protocol.timefmt import from_epoch_ms, to_epoch_ms

NOT_SEEN = "not_seen"  # the rule: the "partner" of its reports (no partners row)


class SqlNotSeen(SqlCases):
    @serialized
    async def not_seen_marks(self) -> dict[str, datetime]:
        rows = await self._query(
            "SELECT person_id, max(last_seen) FROM not_seen_filed GROUP BY person_id", []
        )
        return {person: from_epoch_ms(last) for person, last in rows}

    @serialized
    async def file_not_seen(
        self, person_id: str, last_seen: datetime, report: ReportDraft, area: str, at: datetime
    ) -> int | None:
        try:
            return await self._not_seen(person_id, last_seen, report, area, at)
        except StoreError:  # a report of the same home opened its case first: join it
            return await self._not_seen(person_id, last_seen, report, area, at)

    async def _not_seen(
        self, person_id: str, last_seen: datetime, report: ReportDraft, area: str, at: datetime
    ) -> int | None:
        at_ms = to_epoch_ms(at)
        async with self._transaction("filing a person not seen") as db:
            marked = await db.execute(
                "INSERT INTO not_seen_filed (person_id, last_seen, filed_at) VALUES (?, ?, ?) "
                "ON CONFLICT (person_id, last_seen) DO NOTHING",
                [person_id, to_epoch_ms(last_seen), at_ms],
            )
            if marked != 1:
                return None  # filed already (another sweep, another worker, before a restart)
            case_id = await self._open_case(db, report, area, at_ms)
            await self._report(db, case_id, at_ms, (NOT_SEEN, NOT_SEEN, None), report)
            await db.execute(
                "UPDATE not_seen_filed SET case_id = ? WHERE person_id = ? AND last_seen = ?",
                [case_id, person_id, to_epoch_ms(last_seen)],
            )
        return case_id
