"""Open alerts of one kind by subject (mixed into the store, on either engine): read
through the ``alerts_one_open`` index, so a town's watch points cost one lookup."""

from __future__ import annotations

from mimamori.hub.store.sql_base import SqlBase
from mimamori.locking import serialized


class SqlWatchPoints(SqlBase):
    @serialized
    async def open_alert_subjects(self, kind: str) -> set[str]:
        rows = await self._query(
            "SELECT subject FROM alerts WHERE kind = ? AND state != 'resolved'", [kind]
        )
        return {row[0] for row in rows}
