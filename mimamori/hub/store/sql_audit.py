"""The audit log and the hub's secrets (mixed into the store, on either engine)."""

from __future__ import annotations

import secrets
from datetime import datetime

from mimamori.hub.model.alerts import AuditEntry
from mimamori.hub.store.sql_base import SqlBase
from mimamori.locking import serialized
from mimamori.protocol.timefmt import from_epoch_ms, to_epoch_ms

SECRET_BYTES = 32


class SqlAudit(SqlBase):
    @serialized
    async def secret(self, name: str) -> bytes:
        """A random secret of the hub, made the first time it is asked for."""
        # Two workers asking at once: the first insert wins, both read the same.
        await self._db.execute(
            "INSERT INTO hub_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            (name, secrets.token_bytes(SECRET_BYTES)),
        )
        rows = await self._query("SELECT value FROM hub_secrets WHERE name = ?", [name])
        return bytes(rows[0][0])

    @serialized
    async def audit(
        self, at: datetime, *, who: str, role: str, action: str, subject: str, detail: str = ""
    ) -> None:
        await self._db.execute(
            "INSERT INTO audit (at, who, role, action, subject, detail) VALUES (?, ?, ?, ?, ?, ?)",
            (to_epoch_ms(at), who, role, action, subject, detail or None),
        )

    @serialized
    async def audit_log(self, since: datetime, limit: int) -> list[AuditEntry]:
        rows = await self._query(
            "SELECT id, at, who, role, action, subject, detail FROM audit WHERE at >= ? "
            "ORDER BY id DESC LIMIT ?",
            [to_epoch_ms(since), limit],
        )
        return [
            AuditEntry(aid, from_epoch_ms(at), who, role, action, subject, detail)
            for aid, at, who, role, action, subject, detail in rows
        ]
