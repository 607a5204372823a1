"""Partners and cases (mixed into the store, on either engine; issue 16). A report
joins the open case of its household, or of its address in the area, or opens one:
one open case per home (partial unique indexes), so two reports that race open one
case, and the loser of the race joins it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from mimamori.errors import StoreError
from mimamori.hub.model.cases import (
    LINK_RECIPIENT,
    Case,
    CaseState,
    Noticed,
    Partner,
    PartnerKind,
    PartnerLink,
    ReportDraft,
    Step,
    TimelineEntry,
    Triage,
    case_photo_owner,
    link_recipient,
)
from mimamori.hub.store.port_cases import BatchFiled, BatchLine, CaseChange, Reporter
from mimamori.hub.store.sql import Db, marks
from mimamori.hub.store.sql_alerts import queue_drafts
from mimamori.hub.store.sql_base import SqlBase
from mimamori.hub.store.sql_photos import insert_photo
from mimamori.locking import serialized
from mimamori.protocol.timefmt import from_epoch_ms, from_epoch_ms_or_none, to_epoch_ms

PUBLIC = "public"  # the town's public form: the reporter and the "partner" of its reports
_PARTNER = "id, name, kind, areas, created_at"
_LINK = "id, partner_id, label, channel IS NOT NULL, lang, created_at, revoked_at, bulletins"
_CASE = (
    "c.id, c.area, c.household_id, c.address, c.state, c.triage, c.outcome, c.assigned_to, "
    "c.opened_at, c.updated_at, "
    "(SELECT count(*) FROM case_timeline t WHERE t.case_id = c.id AND t.step = 'report')"
)
_ORDER = "CASE c.state WHEN 'new' THEN 0 WHEN 'triaged' THEN 1 ELSE 2 END, c.opened_at DESC"


def _partner(row: Sequence[Any]) -> Partner:
    pid, name, kind, areas, created = row
    return Partner(pid, name, PartnerKind(kind), tuple(json.loads(areas)), from_epoch_ms(created))


def _link(row: Sequence[Any]) -> PartnerLink:
    lid, pid, label, has, lang, created, revoked, bulletins = row
    return PartnerLink(
        int(lid),
        pid,
        label,
        bool(has),
        lang,
        from_epoch_ms(created),
        from_epoch_ms_or_none(revoked),
        bool(bulletins),
    )


def _case(row: Sequence[Any]) -> Case:
    cid, area, home, address, state, triage, outcome, assigned, opened, updated, n = row
    return Case(
        int(cid),
        area,
        home,
        address,
        CaseState(state),
        Triage(triage) if triage else None,
        outcome,
        assigned,
        from_epoch_ms(opened),
        from_epoch_ms(updated),
        int(n),
    )


class SqlCases(SqlBase):
    @serialized
    async def add_partner(self, partner: Partner) -> bool:
        changed = await self._db.execute(
            f"INSERT INTO partners ({_PARTNER}) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            [
                partner.id,
                partner.name,
                partner.kind.value,
                json.dumps(list(partner.areas)),
                to_epoch_ms(partner.created_at),
            ],
        )
        return changed == 1

    @serialized
    async def partners(self) -> list[Partner]:
        return [
            _partner(r)
            for r in await self._query(f"SELECT {_PARTNER} FROM partners ORDER BY id", [])
        ]

    @serialized
    async def partner(self, partner_id: str) -> Partner | None:
        rows = await self._query(f"SELECT {_PARTNER} FROM partners WHERE id = ?", [partner_id])
        return _partner(rows[0]) if rows else None

    @serialized
    async def add_partner_link(
        self,
        partner_id: str,
        label: str,
        *,
        channel: str | None,
        lang: str,
        token_hash: str,
        at: datetime,
    ) -> PartnerLink:
        rows = await self._db.fetch(
            "INSERT INTO partner_links (partner_id, label, channel, lang, token_hash, "
            f"created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING {_LINK}",
            [partner_id, label, channel, lang, token_hash, to_epoch_ms(at)],
        )
        return _link(rows[0])

    @serialized
    async def partner_links(self, partner_id: str) -> list[PartnerLink]:
        rows = await self._query(
            f"SELECT {_LINK} FROM partner_links WHERE partner_id = ? ORDER BY id", [partner_id]
        )
        return [_link(r) for r in rows]

    @serialized
    async def partner_link(self, link_id: int) -> PartnerLink | None:
        rows = await self._query(f"SELECT {_LINK} FROM partner_links WHERE id = ?", [link_id])
        return _link(rows[0]) if rows else None

    @serialized
    async def partner_link_of(self, token_hash: str) -> PartnerLink | None:
        rows = await self._query(
            f"SELECT {_LINK} FROM partner_links WHERE token_hash = ?", [token_hash]
        )
        return _link(rows[0]) if rows else None

    @serialized
    async def revoke_partner_link(self, partner_id: str, link_id: int, at: datetime) -> bool:
        async with self._transaction("revoking a partner link") as db:
            changed = await db.execute(
                "UPDATE partner_links SET revoked_at = ? "
                "WHERE id = ? AND partner_id = ? AND revoked_at IS NULL",
                [to_epoch_ms(at), link_id, partner_id],
            )
            if changed == 1:  # its LINE goes with it: a stopped link reaches no one
                recipient = [link_recipient(link_id)]
                await db.execute("DELETE FROM line_bindings WHERE recipient_id = ?", recipient)
                await db.execute(
                    "DELETE FROM line_codes WHERE recipient_id = ? AND used_at IS NULL", recipient
                )
        return changed == 1

    @serialized
    async def file_report(
        self, link: PartnerLink, report: ReportDraft, area: str, at: datetime
    ) -> int:
        try:
            return await self._file(link, report, area, at)
        except StoreError:
            # Another report of the same home opened its case first (the unique index
            # refused ours): this one joins it.
            return await self._file(link, report, area, at)

    async def _file(self, link: PartnerLink, report: ReportDraft, area: str, at: datetime) -> int:
        at_ms = to_epoch_ms(at)
        async with self._transaction("filing a report") as db:
            case_id = await self._open_case(db, report, area, at_ms)
            await self._report(db, case_id, at_ms, (link.partner_id, link.label, link.id), report)
        return case_id

    async def _report(
        self, db: Db, case_id: int, at_ms: int, by: tuple[str, str, int | None], report: ReportDraft
    ) -> None:
        partner_id, label, link_id = by
        photo = report.photo
        if photo is not None:  # the report's photo, owned by its case, in its transaction
            photo = replace(photo, person_id=case_photo_owner(case_id))
            await insert_photo(db, photo)
        lat, lon = report.pin if report.pin is not None else (None, None)
        await db.execute(
            "INSERT INTO case_timeline (case_id, at, step, who, text, noticed, partner_id, "
            "link_id, photo, lat, lon) VALUES (?, ?, 'report', ?, ?, ?, ?, ?, ?, ?, ?)",
            [case_id, at_ms, label, report.note, report.noticed.value, partner_id, link_id,
             photo.id if photo else None, lat, lon],
        )  # fmt: skip

    @serialized
    async def file_batch(
        self, partner_id: str, label: str, lines: Sequence[BatchLine], at: datetime
    ) -> BatchFiled:
        try:
            return await self._batch(partner_id, label, lines, at)
        except StoreError:  # a report of the same home opened its case first: join it
            return await self._batch(partner_id, label, lines, at)

    async def _batch(
        self, partner_id: str, label: str, lines: Sequence[BatchLine], at: datetime
    ) -> BatchFiled:
        at_ms, cases, already = to_epoch_ms(at), [], 0
        async with self._transaction("filing a batch of reports") as db:
            for line in lines:
                # The key first: a line filed before (or by a concurrent upload, which
                # this insert waits for) is counted, not filed again.
                claimed = await db.execute(
                    "INSERT INTO batch_lines (partner_id, line_key, filed_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (partner_id, line_key) DO NOTHING",
                    [partner_id, line.key, at_ms],
                )
                if claimed != 1:
                    already += 1
                    continue
                case_id = await self._open_case(db, line.report, line.area, at_ms)
                await self._report(db, case_id, at_ms, (partner_id, label, None), line.report)
                await db.execute(
                    "UPDATE batch_lines SET case_id = ? WHERE partner_id = ? AND line_key = ?",
                    [case_id, partner_id, line.key],
                )
                cases.append(case_id)
        return BatchFiled(cases, already)

    async def _open_case(self, db: Db, report: ReportDraft, area: str, at_ms: int) -> int:
        if report.household_id is not None:
            where, params = "household_id = ?", [str(report.household_id)]
        else:
            where, params = "area = ? AND address = ?", [area, str(report.address)]
        rows = await db.fetch(
            f"SELECT id FROM cases WHERE {where} AND state != 'closed'{self._dialect.for_update}",
            params,
        )
        if rows:
            case_id = int(rows[0][0])
            await db.execute("UPDATE cases SET updated_at = ? WHERE id = ?", [at_ms, case_id])
            return case_id
        created = await db.fetch(
            "INSERT INTO cases (area, household_id, address, state, opened_at, updated_at) "
            "VALUES (?, ?, ?, 'new', ?, ?) RETURNING id",
            [area, report.household_id, report.address, at_ms, at_ms],
        )
        return int(created[0][0])

    @serialized
    async def file_public(self, report: ReportDraft, area: str, typed: str, at: datetime) -> int:
        try:
            return await self._public(report, area, typed, at)
        except StoreError:  # another report of the same home opened its case first
            return await self._public(report, area, typed, at)

    async def _public(self, report: ReportDraft, area: str, typed: str, at: datetime) -> int:
        at_ms = to_epoch_ms(at)
        async with self._transaction("filing a resident's report") as db:
            case_id = await self._open_case(db, report, area, at_ms)
            await db.execute(
                "INSERT INTO case_timeline (case_id, at, step, who, text, noticed, partner_id, "
                "typed) VALUES (?, ?, 'report', ?, ?, ?, ?, ?)",
                [case_id, at_ms, PUBLIC, report.note, report.noticed.value, PUBLIC, typed],
            )
        return case_id

    @serialized
    async def public_reports_since(self, typed: str, since: datetime) -> int:
        rows = await self._query(
            "SELECT count(*) FROM case_timeline WHERE typed = ? AND at >= ?",
            [typed, to_epoch_ms(since)],
        )
        return int(rows[0][0])

    @serialized
    async def reports_since(self, link_id: int, since: datetime) -> int:
        rows = await self._query(
            "SELECT count(*) FROM case_timeline WHERE link_id = ? AND at >= ?",
            [link_id, to_epoch_ms(since)],
        )
        return int(rows[0][0])

    @serialized
    async def cases(
        self, areas: Sequence[str] | None, limit: int, *, assigned_to: str | None = None
    ) -> list[Case]:
        where, params = ["1 = 1"], []
        if areas is not None:
            where.append(f"c.area IN ({marks(areas)})")
            params += list(areas)
        if assigned_to is not None:
            where.append("c.assigned_to = ? AND c.state != 'closed'")
            params.append(assigned_to)
        rows = await self._query(
            f"SELECT {_CASE} FROM cases c WHERE {' AND '.join(where)} ORDER BY {_ORDER} LIMIT ?",
            [*params, limit],
        )
        return [_case(r) for r in rows]

    @serialized
    async def case(self, case_id: int) -> Case | None:
        rows = await self._query(f"SELECT {_CASE} FROM cases c WHERE c.id = ?", [case_id])
        return _case(rows[0]) if rows else None

    @serialized
    async def case_timeline(self, case_id: int) -> list[TimelineEntry]:
        rows = await self._query(
            "SELECT id, case_id, at, step, who, text, noticed, partner_id, photo, lat, lon "
            "FROM case_timeline "
            "WHERE case_id = ? ORDER BY id",
            [case_id],
        )
        return [
            TimelineEntry(
                int(tid),
                int(cid),
                from_epoch_ms(at),
                Step(step),
                who,
                text,
                Noticed(noticed) if noticed else None,
                partner,
                photo,
                (float(lat), float(lon)) if lat is not None and lon is not None else None,
            )
            for tid, cid, at, step, who, text, noticed, partner, photo, lat, lon in rows
        ]

    @serialized
    async def case_reporters(self, case_id: int) -> list[Reporter]:
        # A link is reached on its apprise channel, or on the LINE user bound to it
        # (``line_bindings`` names it by its queue recipient id, ``link_recipient``).
        rows = await self._query(
            "SELECT l.id, l.lang, min(t.at), count(b.recipient_id) FROM case_timeline t "
            "JOIN partner_links l ON l.id = t.link_id "
            "LEFT JOIN line_bindings b ON b.state = 'bound' "
            f"AND b.recipient_id = '{LINK_RECIPIENT}' || CAST(l.id AS TEXT) "
            "WHERE t.case_id = ? AND t.step = 'report' "
            "AND (l.channel IS NOT NULL OR b.recipient_id IS NOT NULL) "
            "GROUP BY l.id, l.lang ORDER BY l.id",
            [case_id],
        )
        return [
            Reporter(int(lid), lang, from_epoch_ms(first), on_line=int(bound) > 0)
            for lid, lang, first, bound in rows
        ]

    @serialized
    async def change_case(self, case_id: int, change: CaseChange, at: datetime) -> bool:
        at_ms = to_epoch_ms(at)
        states = [s.value for s in change.from_states]
        sets = ["updated_at = ?"]
        params: list[object] = [at_ms]
        for column, value in (
            ("state", change.state),
            ("triage", change.triage),
            ("outcome", change.outcome),
            ("assigned_to", change.assigned_to),
        ):
            if value is not None:
                sets.append(f"{column} = ?")
                params.append(str(value))
        async with self._transaction("changing a case") as db:
            changed = await db.execute(
                f"UPDATE cases SET {', '.join(sets)} WHERE id = ? AND state IN ({marks(states)})",
                [*params, case_id, *states],
            )
            if changed != 1:
                return False
            await db.execute(
                "INSERT INTO case_timeline (case_id, at, step, who, text) VALUES (?, ?, ?, ?, ?)",
                [case_id, at_ms, change.step.value, change.who, change.text],
            )
            if change.feedback:
                await queue_drafts(db, change.feedback, at_ms)
        return True

    @serialized
    async def feedback_channel(self, link_id: int) -> str | None:
        rows = await self._query("SELECT channel FROM partner_links WHERE id = ?", [link_id])
        return str(rows[0][0]) if rows and rows[0][0] else None

    @serialized
    async def feedback_sent(self, link_id: int) -> list[str]:
        rows = await self._query(
            "SELECT title FROM notifications WHERE recipient_id = ? AND state = 'sent' ORDER BY id",
            [link_recipient(link_id)],
        )
        return [str(r[0]) for r in rows]
