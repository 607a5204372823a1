"""Watch points' alerts and receivers (mixed into the store, on either engine): open
alerts of one kind by subject, read through the ``alerts_one_open`` index, so a town's
watch points cost one lookup; the last statuses of online gateways; what was learned
of each receiver's hearing, changed by compare-and-set (hub workers share it) with
the quarter hour's rate its new minutes add; the fleet page's facts, a query per list."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from pydantic import ValidationError

from mimamori.hub.model.events import GATEWAY_OFFLINE, GATEWAY_ONLINE
from mimamori.hub.model.fleet import FleetFacts, GatewayRecord, OpenAlert, RateBucket
from mimamori.hub.store.sql_base import SqlBase
from mimamori.locking import serialized
from mimamori.protocol.status import GatewayStatus
from mimamori.protocol.timefmt import from_epoch_ms, from_epoch_ms_or_none, to_epoch_ms

log = logging.getLogger(__name__)


class SqlWatchPoints(SqlBase):
    @serialized
    async def open_alert_subjects(self, kind: str) -> set[str]:
        rows = await self._query(
            "SELECT subject FROM alerts WHERE kind = ? AND state != 'resolved'", [kind]
        )
        return {row[0] for row in rows}

    @serialized
    async def online_statuses(self, gateway_ids: Sequence[str]) -> dict[str, GatewayStatus]:
        wanted = set(gateway_ids)
        rows = await self._query(
            "SELECT id, status FROM gateways WHERE online = 1 AND status IS NOT NULL", []
        )
        found: dict[str, GatewayStatus] = {}
        for gid, text in rows:
            if gid not in wanted:
                continue
            try:
                found[gid] = GatewayStatus.model_validate_json(text)
            except ValidationError as exc:  # stored by an older hub: skipped, said once
                log.warning("gateway %s: its stored status is unreadable: %s", gid, exc)
        return found

    @serialized
    async def receiver_hearings(self) -> dict[tuple[str, str], str]:
        rows = await self._query("SELECT gateway_id, receiver_id, doc FROM receiver_hearing", [])
        return {(gid, rid): doc for gid, rid, doc in rows}

    @serialized
    async def swap_receiver_hearing(
        self,
        gateway_id: str,
        receiver_id: str,
        seen: str | None,
        new: str,
        taken: RateBucket | None = None,
    ) -> bool:
        async with self._transaction("learning a receiver's hearing") as db:
            if seen is None:
                changed = await db.execute(
                    "INSERT INTO receiver_hearing (gateway_id, receiver_id, doc) VALUES (?, ?, ?) "
                    "ON CONFLICT (gateway_id, receiver_id) DO NOTHING",
                    (gateway_id, receiver_id, new),
                )
            else:
                changed = await db.execute(
                    "UPDATE receiver_hearing SET doc = ? "
                    "WHERE gateway_id = ? AND receiver_id = ? AND doc = ?",
                    (new, gateway_id, receiver_id, seen),
                )
            if changed and taken is not None and taken.minutes > 0:
                await db.execute(
                    "INSERT INTO receiver_rates "
                    "(bucket, gateway_id, receiver_id, minutes, adverts) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (bucket, gateway_id, receiver_id) DO UPDATE SET "
                    "minutes = receiver_rates.minutes + excluded.minutes, "
                    "adverts = receiver_rates.adverts + excluded.adverts",
                    (to_epoch_ms(taken.start), gateway_id, receiver_id, taken.minutes,
                     taken.adverts),
                )  # fmt: skip
        return changed > 0

    @serialized
    async def prune_receiver_rates(self, older_than: datetime) -> int:
        async with self._transaction("pruning receivers' rates") as db:
            return await db.execute(
                "DELETE FROM receiver_rates WHERE bucket < ?", (to_epoch_ms(older_than),)
            )

    @serialized
    async def fleet_facts(self, starts_since: datetime, rates_since: datetime) -> FleetFacts:
        rows = await self._query(
            "SELECT id, online, status, status_at, clock_offset_ms, clock_wrong FROM gateways",
            [],
        )
        records = {
            gid: GatewayRecord(
                gid,
                None if online is None else bool(online),
                status,
                from_epoch_ms_or_none(status_at),
                None if offset is None else int(offset),
                bool(wrong),
            )
            for gid, online, status, status_at, offset, wrong in rows
        }
        # The hub's own events have seq 0, written literally: SQLite uses a partial
        # index (events_hub_kind) only when the query names its condition as written.
        changes = await self._query(
            "SELECT gateway_id, max(ts) FROM events WHERE seq = 0 AND kind IN (?, ?) "
            "GROUP BY gateway_id",
            [GATEWAY_ONLINE, GATEWAY_OFFLINE],
        )
        starts = await self._query(
            "SELECT gateway_id, count(*) FROM events WHERE seq = 0 AND kind = ? AND ts >= ? "
            "GROUP BY gateway_id",
            [GATEWAY_ONLINE, to_epoch_ms(starts_since)],
        )
        alerts: dict[str, list[OpenAlert]] = {}
        for aid, kind, subject in await self._query(
            "SELECT id, kind, subject FROM alerts WHERE state != 'resolved' "
            "AND (subject LIKE 'gateway:%' OR subject LIKE 'receiver:%') ORDER BY id",
            [],
        ):
            gid = subject.split(":", 1)[1].split("/", 1)[0]
            alerts.setdefault(gid, []).append(OpenAlert(int(aid), kind, subject))
        rates: dict[str, dict[str, list[RateBucket]]] = {}
        for bucket, gid, rid, minutes, adverts in await self._query(
            "SELECT bucket, gateway_id, receiver_id, minutes, adverts FROM receiver_rates "
            "WHERE bucket >= ? ORDER BY bucket",
            [to_epoch_ms(rates_since)],
        ):
            rates.setdefault(gid, {}).setdefault(rid, []).append(
                RateBucket(from_epoch_ms(bucket), int(minutes), int(adverts))
            )
        return FleetFacts(
            records,
            {gid: from_epoch_ms(ts) for gid, ts in changes},
            {gid: int(n) for gid, n in starts},
            alerts,
            rates,
        )
