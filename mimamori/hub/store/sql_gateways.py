"""Gateways as the hub sees them, on the ``sql.Db`` port: their last status, whether
they are online (and the ``gateway.online``/``offline`` events the hub records when
that changes), the silent ones, and how far their clocks are off."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mimamori.hub.model.events import (
    DEFAULT_STATUS_INTERVAL_S,
    GATEWAY_CLOCK_OK,
    GATEWAY_CLOCK_WRONG,
    GATEWAY_OFFLINE,
    GATEWAY_ONLINE,
    GatewayClock,
    GatewayState,
    StoredEvent,
)
from mimamori.hub.store.sql_base import SqlBase
from mimamori.locking import serialized
from mimamori.protocol.events import new_event_id
from mimamori.protocol.status import GatewayStatus
from mimamori.protocol.timefmt import from_epoch_ms, from_epoch_ms_or_none, to_epoch_ms

HUB_SEQ = 0  # events the hub itself records (gateway.offline/online) have no gateway seq


class SqlGateways(SqlBase):
    async def _store_status(self, status: GatewayStatus, received: int) -> list[StoredEvent]:
        """Keep the latest status; a change of online state becomes a hub event."""
        rows = await self._query("SELECT online FROM gateways WHERE id = ?", [status.gw])
        before = rows[0][0] if rows else None
        online = status.state == "online"
        household = status.household.model_dump_json() if status.household else None
        await self._db.execute(
            "INSERT INTO gateways (id, online, status, status_at, household, interval_ms) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET online = excluded.online, "
            "status = excluded.status, status_at = excluded.status_at, "
            "household = coalesce(excluded.household, gateways.household), "
            "interval_ms = excluded.interval_ms",
            (
                status.gw,
                1 if online else 0,
                status.model_dump_json(exclude_none=True),
                received,  # the hub's clock, not the gateway's: a status from 2100 expires
                household,
                round(status.interval_s * 1000) if status.interval_s else None,
            ),
        )
        if online and before == 0:
            return [await self._hub_event(status.gw, GATEWAY_ONLINE, received, {})]
        if not online and before != 0:
            # No timestamp: the broker sent the gateway's last will (it vanished);
            # with one: it said goodbye in an orderly stop.
            reason = "last_will" if status.ts is None else "stopped"
            return [await self._hub_event(status.gw, GATEWAY_OFFLINE, received, {"reason": reason})]
        return []

    async def _hub_event(
        self, gateway_id: str, kind: str, at: int, data: dict[str, Any]
    ) -> StoredEvent:
        event_id = new_event_id()
        await self._db.execute(
            "INSERT INTO events (id, gateway_id, seq, ts, kind, tag, data, received_at)"
            " VALUES (?, ?, ?, ?, ?, NULL, ?, ?)",
            (event_id, gateway_id, HUB_SEQ, at, kind, json.dumps(data), at),
        )
        ts = from_epoch_ms(at)
        return StoredEvent(event_id, gateway_id, HUB_SEQ, ts, kind, data, ts)

    @serialized
    async def mark_silent_gateways(self, now: datetime, missed: int) -> list[StoredEvent]:
        """Gateways online but without a status for ``missed`` of their intervals go offline."""
        at = to_epoch_ms(now)
        default_ms = round(DEFAULT_STATUS_INTERVAL_S * 1000)
        rows = await self._query(
            "SELECT id, status_at FROM gateways WHERE online = 1 AND status IS NOT NULL "
            "AND status_at + ? * coalesce(interval_ms, ?) < ?",
            [missed, default_ms, at],
        )
        silent = [(gid, (at - status_at) // 1000) for gid, status_at in rows]
        if not silent:
            return []
        events: list[StoredEvent] = []
        async with self._transaction("marking silent gateways offline") as db:
            await db.lock_events()
            for gid, quiet_s in silent:
                # Another worker may have marked it meanwhile: one of them records it.
                if await db.execute(
                    "UPDATE gateways SET online = 0 WHERE id = ? AND online = 1", (gid,)
                ):
                    data = {"reason": "silent", "silent_s": quiet_s}
                    events.append(await self._hub_event(gid, GATEWAY_OFFLINE, at, data))
        return events

    @serialized
    async def gateway_states(self) -> list[GatewayState]:
        rows = await self._query(
            "SELECT id, online, status_at, last_event_at FROM gateways ORDER BY id", []
        )
        return [
            GatewayState(
                gid,
                None if online is None else bool(online),
                from_epoch_ms_or_none(sat),
                from_epoch_ms_or_none(lat),
            )
            for gid, online, sat, lat in rows
        ]

    @serialized
    async def gateway_clocks(self) -> dict[str, GatewayClock]:
        rows = await self._query(
            "SELECT id, clock_offset_ms, clock_wrong FROM gateways "
            "WHERE clock_offset_ms IS NOT NULL",
            [],
        )
        return {gid: GatewayClock(int(offset), bool(wrong)) for gid, offset, wrong in rows}

    @serialized
    async def set_gateway_clocks(
        self, clocks: Mapping[str, GatewayClock], at: datetime
    ) -> list[StoredEvent]:
        when = to_epoch_ms(at)
        events: list[StoredEvent] = []
        async with self._transaction("recording gateways' clocks") as db:
            await db.lock_events()
            for gid, clock in sorted(clocks.items()):
                wrong = 1 if clock.wrong else 0
                await db.execute(
                    "INSERT INTO gateways (id) VALUES (?) ON CONFLICT (id) DO NOTHING", (gid,)
                )
                # Only the worker that flips the flag records the change.
                flipped = await db.execute(
                    "UPDATE gateways SET clock_wrong = ? WHERE id = ? AND clock_wrong <> ?",
                    (wrong, gid, wrong),
                )
                await db.execute(
                    "UPDATE gateways SET clock_offset_ms = ? WHERE id = ?", (clock.offset_ms, gid)
                )
                if flipped:
                    kind = GATEWAY_CLOCK_WRONG if clock.wrong else GATEWAY_CLOCK_OK
                    data = {"offset_s": round(clock.offset_ms / 1000)}
                    events.append(await self._hub_event(gid, kind, when, data))
        return events
