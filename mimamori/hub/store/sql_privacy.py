"""Purging, forgetting and exporting (mixed into the store, on either engine).

Sightings are the rows of ``events`` with a tag. The purge deletes them in batches of
``PURGE_BATCH``, one transaction each, so ingest and requests take their turn on the
connection in between; the protected windows wait in a temporary table meanwhile (on
one connection the purge keeps for itself: ``Db.pinned``).
A forget is one transaction: its dry run is the same transaction rolled back, so the
counts it shows are exactly what the real one removes.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from mimamori.errors import StoreError
from mimamori.hub.model.privacy import (
    TAG_KEY_TABLES,
    ForgetReport,
    ForgottenTag,
    PersonScope,
    ProtectedWindow,
    PurgeReport,
)
from mimamori.hub.model.register import Actor, RegisterWrite
from mimamori.hub.store.sql import Db, marks
from mimamori.hub.store.sql_base import SqlBase
from mimamori.hub.store.sql_confirmations import unname_person
from mimamori.hub.store.sql_figures import keep_arrivals
from mimamori.hub.store.sql_found import forget_found
from mimamori.hub.store.sql_register import forget_audit, next_version, write_entry
from mimamori.hub.store.sql_sos import forget_bulletin_places
from mimamori.locking import serialized
from mimamori.protocol.timefmt import format_ts, from_epoch_ms, to_epoch_ms

# `mimamori bench purge` on the 2-core development machine: 30-45k rows/s, and an
# ingest commit waited at most ~0.4 s behind a batch of 10,000 (2,000: 0.13 s, but the
# purge ran 40% slower). Either is far inside the 5 s from event to notification.
PURGE_BATCH = 10_000

_OUTSIDE_WINDOWS = (
    "e.tag IS NOT NULL AND e.ts >= ? AND e.ts < ? AND NOT EXISTS (SELECT 1 FROM "
    "purge_keep k WHERE k.tag = e.tag AND e.ts BETWEEN k.since AND k.until)"
)


class _DryRun(Exception):
    """Rolls a forget's transaction back after it counted what it would remove."""


class SqlPrivacy(SqlBase):
    _purging: asyncio.Lock | None = None

    # -- purge ------------------------------------------------------------------------------

    async def purge_sightings(
        self,
        older_than: datetime,
        protected: Sequence[ProtectedWindow],
        *,
        dry_run: bool = False,
        batch: int = PURGE_BATCH,
    ) -> PurgeReport:
        if self._purging is None:
            self._purging = asyncio.Lock()
        cutoff = to_epoch_ms(older_than)
        # One purge at a time owns the temporary table purge_keep (of its connection).
        async with self._purging, self._db.pinned():
            await self._keep(protected)
            try:
                kept = await self._count_protected(cutoff)
                if dry_run:
                    removed = await self._count_purgeable(cutoff)
                else:
                    removed = Counter[str]()
                    start = 0  # each batch goes on in time where the last one stopped,
                    # never scanning again the protected rows it passed
                    while found := await self._purge_batch(start, cutoff, batch):
                        removed.update(found[0])
                        start = found[1]
            finally:
                await self._keep(None)
        return PurgeReport(older_than, dict(sorted(removed.items())), kept, dry_run)

    @serialized
    async def _keep(self, protected: Sequence[ProtectedWindow] | None) -> None:
        """Fill the temporary table of protected windows (None: drop it)."""
        async with self._transaction("preparing the purge") as db:
            await db.execute("DROP TABLE IF EXISTS purge_keep")
            if protected is None:
                return
            await db.execute(
                "CREATE TEMP TABLE purge_keep (tag TEXT NOT NULL, since BIGINT, until BIGINT)"
            )
            await db.executemany(
                "INSERT INTO purge_keep (tag, since, until) VALUES (?, ?, ?)",
                [
                    (tag, to_epoch_ms(w.since), to_epoch_ms(w.until))
                    for w in protected
                    for tag in w.tags
                ],
            )
            await db.execute("CREATE INDEX purge_keep_tag ON purge_keep (tag)")

    @serialized
    async def _count_protected(self, cutoff: int) -> int:
        rows = await self._query(
            "SELECT count(*) FROM events e WHERE e.tag IS NOT NULL AND e.ts < ? AND EXISTS "
            "(SELECT 1 FROM purge_keep k WHERE k.tag = e.tag "
            "AND e.ts BETWEEN k.since AND k.until)",
            [cutoff],
        )
        return int(rows[0][0])

    @serialized
    async def _count_purgeable(self, cutoff: int) -> Counter[str]:
        rows = await self._query(
            f"SELECT e.kind, count(*) FROM events e WHERE {_OUTSIDE_WINDOWS} GROUP BY e.kind",
            [0, cutoff],
        )
        return Counter({kind: n for kind, n in rows})

    @serialized
    async def _purge_batch(
        self, start: int, cutoff: int, batch: int
    ) -> tuple[Counter[str], int] | None:
        """One transaction: the oldest ``batch`` purgeable sightings from ``start`` on;
        what went by kind and the newest time among them (None: nothing left)."""
        async with self._transaction("purging sightings") as db:
            rows = await db.fetch(
                "DELETE FROM events WHERE seqno IN (SELECT e.seqno FROM events e WHERE "
                f"{_OUTSIDE_WINDOWS} ORDER BY e.ts LIMIT ?) RETURNING kind, ts, gateway_id",
                (start, cutoff, batch),
            )
            await keep_arrivals(db, rows)  # counts for the town's figures, no one named
        if not rows:
            return None
        return Counter(kind for kind, *_ in rows), max(ts for _, ts, _ in rows)

    # -- forget -----------------------------------------------------------------------------

    @serialized
    async def forget_person(
        self,
        scope: PersonScope,
        now: datetime,
        *,
        by: str,
        dry_run: bool = False,
        register: Sequence[RegisterWrite] = (),
    ) -> ForgetReport:
        removed: Counter[str] = Counter()
        emptied = 0
        try:
            async with self._transaction("forgetting a person") as db:
                await db.lock_events()  # no sighting of theirs is being stored meanwhile
                await self._forget(db, scope, now, by, removed)
                emptied = await _forget_register(db, register, now, by)
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        counts = {what: n for what, n in sorted(removed.items()) if n}
        gone = tuple((w.entity.value, w.id) for w in register if w.record is None)
        return ForgetReport(counts, scope.tags, dry_run, gone, emptied)

    async def _forget(
        self,
        db: Db,
        scope: PersonScope,
        now: datetime,
        by: str,
        removed: Counter[str],
    ) -> None:
        tags, gateways = list(scope.tags), list(scope.home_gateways)
        if tags:
            rows = await db.fetch(
                f"DELETE FROM events WHERE tag IN ({marks(tags)}) RETURNING kind", tags
            )
            removed.update(["sightings." + row[0] for row in rows])
        if gateways:
            # The home's own events (check-ins, its devices, its gateway going offline);
            # tags of visitors heard at that home are their sightings, not this person's.
            rows = await db.fetch(
                f"DELETE FROM events WHERE gateway_id IN ({marks(gateways)}) "
                "AND tag IS NULL RETURNING kind",
                gateways,
            )
            removed.update(["home_events." + row[0] for row in rows])
            removed["home_status"] += await db.execute(
                f"UPDATE gateways SET household = NULL WHERE id IN ({marks(gateways)}) "
                "AND household IS NOT NULL",
                gateways,
            )
        alert_ids = await self._alerts_of(db, scope, scope.households)
        if alert_ids:  # their alerts first, then their steps: the order of every answer
            await db.fetch(
                f"SELECT id FROM alerts WHERE id IN ({marks(alert_ids)}){self._dialect.for_update}",
                alert_ids,
            )
        search_ids = await self._searches_of(db, scope.person_id)
        notes, params = _their_notifications(scope.person_id, alert_ids, search_ids)
        removed["deliveries"] += await _delete(
            db, "deliveries", f"notification_id IN (SELECT id FROM notifications WHERE {notes})",
            params,
        )  # fmt: skip
        removed["notifications"] += await _delete(db, "notifications", notes, params)
        throttles = [f"outing:{scope.person_id}:", *(f"search:{s}:" for s in search_ids)]
        removed["notice_throttle"] += await _delete(
            db, "notice_throttle", " OR ".join(["substr(key, 1, ?) = ?"] * len(throttles)),
            [x for key in throttles for x in (len(key), key)],
        )  # fmt: skip
        for table in ("alert_answers", "escalations", "alerts"):
            column = "id" if table == "alerts" else "alert_id"
            removed[table] += await _delete(
                db, table, f"{column} IN ({marks(alert_ids)})", alert_ids
            )
        await forget_bulletin_places(db, search_ids, removed)  # issue 18: the SOS network
        for table in (
            "search_participants", "search_shares", "search_relays",
            "search_consents", "search_bulletins", "bulletin_sightings",
        ):  # fmt: skip
            removed[table] += await _delete(
                db, table, f"search_id IN ({marks(search_ids)})", search_ids
            )
        removed["searches"] += await _delete(
            db, "searches", f"id IN ({marks(search_ids)})", search_ids
        )
        for table, column in TAG_KEY_TABLES:
            removed[table] += await _delete(db, table, f"{column} IN ({marks(tags)})", tags)
        removed["photos"] += await _delete(db, "photos", "person_id = ?", [scope.person_id])
        removed["not_seen_filed"] += await _delete(
            db, "not_seen_filed", "person_id = ?", [scope.person_id]
        )
        removed["contact_confirmations"] += await unname_person(db, scope.person_id)
        await forget_found(db, scope.person_id, removed)  # issue 18: stickers, threads
        at = to_epoch_ms(now)
        await db.executemany(
            "INSERT INTO forgotten_tags (tag, person_id, forgotten_at) VALUES (?, ?, ?) "
            "ON CONFLICT (tag) DO UPDATE SET person_id = excluded.person_id, "
            "forgotten_at = excluded.forgotten_at",
            [(tag, scope.person_id, at) for tag in tags],
        )
        summary = ", ".join(f"{k} {v}" for k, v in sorted(removed.items()) if v) or "nothing"
        await db.execute(
            "INSERT INTO audit (at, who, role, action, subject, detail) "
            "VALUES (?, ?, 'admin', 'person.forget', ?, ?)",
            (at, by, f"person:{scope.person_id}", f"removed: {summary}"),
        )

    @staticmethod
    async def _alerts_of(db: Db, scope: PersonScope, households: Sequence[str]) -> list[int]:
        """Alerts about the person (``person:ID``) or about the given homes of theirs."""
        homes = list(households)
        rows = await db.fetch(
            "SELECT id FROM alerts WHERE person_id = ? OR subject = ? "
            f"OR household_id IN ({marks(homes)})",
            [scope.person_id, f"person:{scope.person_id}", *homes],
        )
        return [int(row[0]) for row in rows]

    @staticmethod
    async def _searches_of(db: Db, person_id: str) -> list[str]:
        rows = await db.fetch("SELECT id, state FROM searches WHERE person_id = ?", (person_id,))
        if active := [sid for sid, state in rows if state == "active"]:
            raise StoreError(
                f"{person_id} is being searched for ({', '.join(active)}): end the search first"
            )
        return [sid for sid, _ in rows]

    # -- export -----------------------------------------------------------------------------

    @serialized
    async def person_records(self, scope: PersonScope) -> dict[str, list[dict[str, Any]]]:
        tags, gateways = list(scope.tags), list(scope.home_gateways)
        records: dict[str, list[dict[str, Any]]] = {}
        records["sightings"] = await self._event_dicts(f"tag IN ({marks(tags)})", tags)
        records["home_events"] = await self._event_dicts(
            f"gateway_id IN ({marks(gateways)}) AND tag IS NULL", gateways
        )
        alert_ids = await self._alerts_of(self._db, scope, scope.households)
        rows = await self._query(
            "SELECT id, kind, subject, household_id, state, detail, opened_at, acked_at, "
            f"acked_by, resolved_at, resolved_by FROM alerts WHERE id IN ({marks(alert_ids)}) "
            "ORDER BY id",
            alert_ids,
        )
        keys = ("id", "kind", "subject", "household_id", "state", "detail", "opened_at")
        records["alerts"] = [
            {
                **dict(zip(keys, (*row[:5], json.loads(row[5]), _iso(row[6])), strict=True)),
                "acked_at": _iso(row[7]),
                "acked_by": row[8],
                "resolved_at": _iso(row[9]),
                "resolved_by": row[10],
            }
            for row in rows
        ]
        rows = await self._query(
            "SELECT id, state, started_by, started_at, expires_at, ended_at, ended_by, note "
            "FROM searches WHERE person_id = ? ORDER BY started_at",
            [scope.person_id],
        )
        records["searches"] = [
            {"id": sid, "state": state, "started_by": by, "started_at": _iso(started),
             "expires_at": _iso(expires), "ended_at": _iso(ended), "ended_by": ended_by,
             "note": note}
            for sid, state, by, started, expires, ended, ended_by, note in rows
        ]  # fmt: skip
        notes, params = _their_notifications(
            scope.person_id, alert_ids, [s["id"] for s in records["searches"]]
        )
        rows = await self._query(
            "SELECT id, alert_id, recipient_id, title, body, state, created_at, sent_at "
            f"FROM notifications WHERE {notes} ORDER BY id",
            params,
        )
        sent = ("id", "alert_id", "recipient_id", "title", "body", "state")
        records["notifications"] = [
            {**dict(zip(sent, row[:6], strict=True)), "created_at": _iso(row[6]),
             "sent_at": _iso(row[7])}
            for row in rows
        ]  # fmt: skip
        rows = await self._query(
            "SELECT id, media_type, width, height, data, stored_at FROM photos "
            "WHERE person_id = ? ORDER BY stored_at, id",
            [scope.person_id],
        )
        records["photos"] = [
            {"id": pid, "media_type": media, "width": width, "height": height,
             "stored_at": _iso(at), "data_base64": base64.b64encode(bytes(data)).decode()}
            for pid, media, width, height, data, at in rows
        ]  # fmt: skip
        rows = await self._query(
            "SELECT at, who, role, action, detail FROM audit WHERE subject = ? ORDER BY id",
            [f"person:{scope.person_id}"],
        )
        records["audit"] = [
            {"at": _iso(at), "who": who, "role": role, "action": action, "detail": detail}
            for at, who, role, action, detail in rows
        ]
        return records

    async def _event_dicts(self, where: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        if not params:
            return []
        rows = await self._query(
            f"SELECT id, gateway_id, ts, kind, data FROM events WHERE {where} ORDER BY ts, seqno",
            params,
        )
        return [
            {"id": eid, "gateway": gw, "ts": _iso(ts), "kind": kind, "data": json.loads(data)}
            for eid, gw, ts, kind, data in rows
        ]

    # -- forgotten tags ---------------------------------------------------------------------

    @serialized
    async def forgotten_tags(self) -> list[ForgottenTag]:
        rows = await self._query(
            "SELECT tag, person_id, forgotten_at FROM forgotten_tags ORDER BY forgotten_at", []
        )
        return [ForgottenTag(tag, pid, from_epoch_ms(at)) for tag, pid, at in rows]

    @serialized
    async def release_forgotten_tags(self, holders: Mapping[str, str]) -> list[str]:
        released = [
            f.tag
            for f in await self.forgotten_tags()
            if f.tag in holders and holders[f.tag] != f.person_id
        ]
        if released:
            async with self._transaction("releasing forgotten tags") as db:
                await db.execute(
                    f"DELETE FROM forgotten_tags WHERE tag IN ({marks(released)})", released
                )
        return released


async def _forget_register(db: Db, writes: Sequence[RegisterWrite], now: datetime, by: str) -> int:
    """The register's part of a forget: its writes, audited without their data, and the
    data taken out of the earlier audit rows of each entry that goes (how many)."""
    if not writes:
        return 0
    version = await next_version(db)
    actor = Actor(by, "admin", "forget")
    for write in writes:
        # A family that stays keeps its audit (ids of people, its own name); what
        # goes keeps only that it went, when and by whom.
        keep = write.record is not None
        await write_entry(db, write, actor, to_epoch_ms(now), version, keep=keep)
    return await forget_audit(db, [(w.entity, w.id) for w in writes if w.record is None])


async def _delete(db: Db, table: str, where: str, params: Sequence[Any]) -> int:
    """DELETE ... WHERE ``where``; how many rows went."""
    return await db.execute(f"DELETE FROM {table} WHERE {where}", params)


def _their_notifications(
    person_id: str, alert_ids: Sequence[int], search_ids: Sequence[str]
) -> tuple[str, list[Any]]:
    """A WHERE clause (and its parameters) for the notifications about a person: those
    of their alerts, and the notices (``alerts/notices.py``) of their outings and of
    the searches for them, named by their dedupe keys."""
    prefixes = [f"notice-outing:{person_id}:", *(f"notice-search:{s}:" for s in search_ids)]
    where = [f"alert_id IN ({marks(alert_ids)})"]
    where += ["substr(dedupe_key, 1, ?) = ?"] * len(prefixes)
    return " OR ".join(where), [*alert_ids, *(x for p in prefixes for x in (len(p), p))]


def _iso(ms: int | None) -> str | None:
    return None if ms is None else format_ts(from_epoch_ms(ms))
