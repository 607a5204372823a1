"""Gateways' configs as the hub keeps them, on the ``sql.Db`` port (issue 20): one row
per version; the gateway's ``config.result`` events move a row to its last state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mimamori.hub.model.events import StoredEvent
from mimamori.hub.model.fleet import GatewayConfigVersion
from mimamori.hub.store.sql_base import SqlBase
from mimamori.locking import serialized
from mimamori.protocol.events import ConfigResultData, EventKind
from mimamori.protocol.timefmt import from_epoch_ms, from_epoch_ms_or_none, to_epoch_ms

_COLUMNS = (
    "gateway_id, version, yaml, sha256, created_by, created_at, state, sent_at, reason, "
    "config_hash, result_at"
)


def _version(row: tuple[Any, ...]) -> GatewayConfigVersion:
    gw, version, yaml, sha, by, at, state, sent, reason, config_hash, result_at = row
    return GatewayConfigVersion(
        gw, version, yaml, sha, by, from_epoch_ms(at), state,
        from_epoch_ms_or_none(sent), reason, config_hash, from_epoch_ms_or_none(result_at),
    )  # fmt: skip


class SqlGatewayConfigs(SqlBase):
    @serialized
    async def add_gateway_config(
        self, gateway_id: str, yaml: str, sha256: str, who: str, at: datetime
    ) -> GatewayConfigVersion:
        # Two technicians saving at once: one gets the next version, the other's
        # insert meets the primary key and is refused (StoreError: said on the page).
        async with self._transaction("add_gateway_config") as db:
            [(last,)] = await db.fetch(
                "SELECT coalesce(max(version), 0) FROM gateway_configs WHERE gateway_id = ?",
                [gateway_id],
            )
            row = (gateway_id, int(last) + 1, yaml, sha256, who, to_epoch_ms(at), "proposed")
            await db.execute(
                "INSERT INTO gateway_configs (gateway_id, version, yaml, sha256, created_by, "
                "created_at, state) VALUES (?, ?, ?, ?, ?, ?, ?)",
                row,
            )
        return GatewayConfigVersion(gateway_id, row[1], yaml, sha256, who, from_epoch_ms(row[5]),
                                    "proposed")  # fmt: skip

    @serialized
    async def mark_gateway_config_sent(self, gateway_id: str, version: int, at: datetime) -> bool:
        async with self._transaction("mark_gateway_config_sent") as db:
            rows = await db.fetch(
                "UPDATE gateway_configs SET state = 'sent', sent_at = ? "
                "WHERE gateway_id = ? AND version = ? AND state = 'proposed' RETURNING version",
                [to_epoch_ms(at), gateway_id, version],
            )
        return bool(rows)

    @serialized
    async def gateway_configs(self, gateway_id: str, limit: int) -> list[GatewayConfigVersion]:
        rows = await self._query(
            f"SELECT {_COLUMNS} FROM gateway_configs WHERE gateway_id = ? "
            "ORDER BY version DESC LIMIT ?",
            [gateway_id, limit],
        )
        return [_version(row) for row in rows]

    async def _record_config_results(self, events: Sequence[StoredEvent]) -> None:
        """Inside ingest's transaction: each new ``config.result`` moves its version
        (named by gateway, version and SHA-256: a result for YAML the hub never sent
        changes nothing) to the gateway's word."""
        params = []
        for event in events:
            if event.kind != EventKind.CONFIG_RESULT:
                continue
            data = event.typed
            if not isinstance(data, ConfigResultData):
                continue
            params.append((data.result, data.reason, data.config_hash,
                           to_epoch_ms(event.received_at), event.gateway_id, data.version,
                           data.sha256))  # fmt: skip
        if params:
            await self._db.executemany(
                "UPDATE gateway_configs SET state = ?, reason = ?, config_hash = ?, "
                "result_at = ? WHERE gateway_id = ? AND version = ? AND sha256 = ?",
                params,
            )
