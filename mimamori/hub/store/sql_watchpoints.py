"""Watch points' alerts and receivers (mixed into the store, on either engine): open
alerts of one kind by subject, read through the ``alerts_one_open`` index, so a town's
watch points cost one lookup; the last statuses of online gateways; what was learned
of each receiver's hearing, changed by compare-and-set (hub workers share it)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pydantic import ValidationError

from mimamori.hub.store.sql_base import SqlBase
from mimamori.locking import serialized
from mimamori.protocol.status import GatewayStatus

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
        self, gateway_id: str, receiver_id: str, seen: str | None, new: str
    ) -> bool:
        if seen is None:
            changed = await self._db.execute(
                "INSERT INTO receiver_hearing (gateway_id, receiver_id, doc) VALUES (?, ?, ?) "
                "ON CONFLICT (gateway_id, receiver_id) DO NOTHING",
                (gateway_id, receiver_id, new),
            )
        else:
            changed = await self._db.execute(
                "UPDATE receiver_hearing SET doc = ? "
                "WHERE gateway_id = ? AND receiver_id = ? AND doc = ?",
                (new, gateway_id, receiver_id, seen),
            )
        return changed > 0
