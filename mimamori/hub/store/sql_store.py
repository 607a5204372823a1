"""The whole store on the ``sql.Db`` port: its core (events, gateways) here, every
other concern mixed in from ``sql_*.py``. Written once for both engines; each engine
opens it on its own ``Db`` (``sqlite.py``, ``postgres.py``).

Times are integer epoch milliseconds (UTC). Tag events keep their tag id in an
indexed column, so "where was this person last" is one index probe however many
events the town produces.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from mimamori.errors import StoreError
from mimamori.hub.model.events import IngestResult, Sighting, StoredEvent
from mimamori.hub.store.sql import EventRow, marks
from mimamori.hub.store.sql_acks import SqlAcks
from mimamori.hub.store.sql_alerts import SqlAlerts
from mimamori.hub.store.sql_audit import SqlAudit
from mimamori.hub.store.sql_cases import SqlCases
from mimamori.hub.store.sql_checkins import SqlCheckins
from mimamori.hub.store.sql_confirmations import SqlConfirmations
from mimamori.hub.store.sql_eid import SqlEid
from mimamori.hub.store.sql_escalation import SqlEscalation
from mimamori.hub.store.sql_federation import SqlFederation
from mimamori.hub.store.sql_figures import SqlFigures
from mimamori.hub.store.sql_found import SqlFound
from mimamori.hub.store.sql_gateway_configs import SqlGatewayConfigs
from mimamori.hub.store.sql_gateways import SqlGateways
from mimamori.hub.store.sql_line import SqlLine
from mimamori.hub.store.sql_not_seen import SqlNotSeen
from mimamori.hub.store.sql_photos import SqlPhotos
from mimamori.hub.store.sql_privacy import SqlPrivacy
from mimamori.hub.store.sql_quarantine import SqlQuarantine
from mimamori.hub.store.sql_register import SqlRegister
from mimamori.hub.store.sql_reminders import SqlReminders
from mimamori.hub.store.sql_rollcall import SqlRollCall
from mimamori.hub.store.sql_searches import SqlSearches
from mimamori.hub.store.sql_sos import SqlSos
from mimamori.hub.store.sql_users import SqlUsers
from mimamori.hub.store.sql_watchpoints import SqlWatchPoints
from mimamori.locking import serialized
from mimamori.protocol.codec import json_text
from mimamori.protocol.events import Event
from mimamori.protocol.status import GatewayStatus, HouseholdStatus
from mimamori.protocol.timefmt import from_epoch_ms, from_iso, to_epoch_ms


def _parse_ts(value: object) -> datetime | None:
    return from_iso(value) if isinstance(value, str) else None


def _stored(row: tuple[Any, ...]) -> StoredEvent:
    event_id, gateway_id, seq, ts, kind, data, received_at = row
    return StoredEvent(
        event_id,
        gateway_id,
        seq,
        from_epoch_ms(ts),
        kind,
        json.loads(data),
        from_epoch_ms(received_at),
    )


class SqlStore(
    SqlAcks,
    SqlAlerts,
    SqlAudit,
    SqlNotSeen,  # before SqlCases, which it extends
    SqlCases,
    SqlCheckins,
    SqlConfirmations,
    SqlEid,
    SqlEscalation,
    SqlFederation,
    SqlFigures,
    SqlFound,
    SqlGatewayConfigs,
    SqlGateways,
    SqlLine,
    SqlPhotos,
    SqlPrivacy,
    SqlQuarantine,
    SqlRegister,
    SqlReminders,
    SqlRollCall,
    SqlSearches,
    SqlSos,
    SqlUsers,
    SqlWatchPoints,
):
    """The store on any ``sql.Db``: every method, written once for both engines."""

    @serialized
    async def close(self) -> None:
        await self._db.close()

    @serialized
    async def ping(self) -> bool:
        try:
            return await self._db.fetch("SELECT 1") == [(1,)]
        except StoreError:
            return False

    # -- ingest -------------------------------------------------------------------------

    @serialized
    async def ingest(
        self,
        events: Sequence[tuple[str, Event]],
        statuses: Sequence[GatewayStatus],
        received_at: datetime,
        *,
        device_times: Mapping[str, datetime] | None = None,
    ) -> IngestResult:
        received = to_epoch_ms(received_at)
        device_times = device_times or {}
        received_dt = from_epoch_ms(received)
        new: list[StoredEvent] = []
        duplicates = forgotten = 0
        async with self._transaction("ingest") as db:
            await db.lock_events()
            blocked = await self._forgotten_among(events)
            rows: list[EventRow] = []
            candidates: list[StoredEvent] = []
            seen: set[str] = set()
            for gateway_id, event in events:
                tag = event.tag
                if tag is not None and tag in blocked:
                    forgotten += 1
                    continue
                if event.id in seen:
                    duplicates += 1  # the same event twice in one bunch: stored once
                    continue
                seen.add(event.id)
                kind = event.kind.value
                device_ts = device_times.get(event.id)
                rows.append(
                    (
                        event.id,
                        gateway_id,
                        event.seq,
                        to_epoch_ms(event.ts),
                        kind,
                        tag,
                        json_text(event.data),
                        received,
                        None if device_ts is None else to_epoch_ms(device_ts),
                    )
                )
                candidates.append(StoredEvent.of_wire(gateway_id, event, received_dt))
            inserted = await db.insert_events(rows)
            duplicates += len(rows) - len(inserted)
            last_event: dict[str, int] = {}
            for row in rows:
                if row[0] in inserted:
                    gateway_id, ts = row[1], row[3]
                    last_event[gateway_id] = max(ts, last_event.get(gateway_id, ts))
            new = [event for event in candidates if event.id in inserted]
            latest = self._dialect.greatest(
                "coalesce(gateways.last_event_at, 0)", "excluded.last_event_at"
            )
            await db.executemany(
                "INSERT INTO gateways (id, last_event_at) VALUES (?, ?) ON CONFLICT (id) "
                f"DO UPDATE SET last_event_at = {latest}",
                sorted(last_event.items()),
            )
            await self._record_config_results(new)
            for status in statuses:
                new += await self._store_status(status, received)
        return IngestResult(new, duplicates, forgotten)

    async def _forgotten_among(self, events: Sequence[tuple[str, Event]]) -> set[str]:
        """The tags of these events that belong to forgotten people (inside the ingest
        transaction, so a forget committed by another process is always seen)."""
        tags = sorted({tag for _, e in events if (tag := e.tag) is not None})
        if not tags:
            return set()
        rows = await self._query(
            f"SELECT tag FROM forgotten_tags WHERE tag IN ({self._dialect.json_values()})",
            [json.dumps(tags)],
        )
        return {row[0] for row in rows}

    # -- queries ------------------------------------------------------------------------

    @staticmethod
    def _sighting(row: tuple[Any, ...]) -> Sighting:
        event_id, gateway_id, tag, kind, ts, data = row
        fields = json.loads(data)
        return Sighting(
            event_id,
            gateway_id,
            tag,
            kind,
            from_epoch_ms(ts),
            fields.get("rssi"),
            last_seen=_parse_ts(fields.get("last_seen")),
        )

    @serialized
    async def last_sighting(self, tags: Sequence[str]) -> Sighting | None:
        if not tags:
            return None
        rows = await self._query(
            f"SELECT id, gateway_id, tag, kind, ts, data FROM events WHERE tag IN ({marks(tags)}) "
            "ORDER BY ts DESC, seqno DESC LIMIT 1",
            list(tags),
        )
        return self._sighting(rows[0]) if rows else None

    @serialized
    async def sightings(
        self, tags: Sequence[str], since: datetime, until: datetime, limit: int
    ) -> list[Sighting]:
        if not tags:
            return []
        rows = await self._query(
            f"SELECT id, gateway_id, tag, kind, ts, data FROM events WHERE tag IN ({marks(tags)}) "
            "AND ts BETWEEN ? AND ? ORDER BY ts DESC, seqno DESC LIMIT ?",
            [*tags, to_epoch_ms(since), to_epoch_ms(until), limit],
        )
        return [self._sighting(row) for row in reversed(rows)]

    async def _events(
        self, gateway_ids: Sequence[str], kinds: Sequence[str], extra: str, params: list[Any]
    ) -> list[StoredEvent]:
        if not gateway_ids or not kinds:
            return []
        rows = await self._query(
            "SELECT id, gateway_id, seq, ts, kind, data, received_at FROM events "
            f"WHERE gateway_id IN ({marks(gateway_ids)}) AND kind IN ({marks(kinds)}) {extra}",
            [*gateway_ids, *kinds, *params],
        )
        return [_stored(row) for row in rows]

    @serialized
    async def events_of(
        self, gateway_ids: Sequence[str], kinds: Sequence[str], since: datetime, until: datetime
    ) -> list[StoredEvent]:
        return await self._events(
            gateway_ids,
            kinds,
            "AND ts BETWEEN ? AND ? ORDER BY ts, seqno LIMIT 100000",
            [to_epoch_ms(since), to_epoch_ms(until)],
        )

    @serialized
    async def last_event_of(
        self, gateway_ids: Sequence[str], kinds: Sequence[str]
    ) -> StoredEvent | None:
        found = await self._events(gateway_ids, kinds, "ORDER BY ts DESC, seqno DESC LIMIT 1", [])
        return found[0] if found else None

    @serialized
    async def last_seqno(self) -> int:
        rows = await self._query("SELECT max(seqno) FROM events", [])
        return int(rows[0][0] or 0)

    @serialized
    async def events_after(self, seqno: int, limit: int) -> tuple[int, list[StoredEvent]]:
        rows = await self._query(
            "SELECT seqno, id, gateway_id, seq, ts, kind, data, received_at FROM events "
            "WHERE seqno > ? ORDER BY seqno LIMIT ?",
            [seqno, limit],
        )
        return (rows[-1][0] if rows else seqno), [_stored(row[1:]) for row in rows]

    @serialized
    async def household_statuses(self, gateway_ids: Sequence[str]) -> list[HouseholdStatus]:
        if not gateway_ids:
            return []
        rows = await self._query(
            f"SELECT household FROM gateways WHERE id IN ({marks(gateway_ids)}) "
            "AND household IS NOT NULL",
            list(gateway_ids),
        )
        return [HouseholdStatus.model_validate_json(row[0]) for row in rows]
