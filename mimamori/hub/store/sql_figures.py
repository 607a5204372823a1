"""Figures' counting queries (``port_figures``), mixed into the store on either
engine: plain GROUP BY over the cases' tables, each bounded by a time window."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from mimamori.hub.store.sql import marks
from mimamori.hub.store.sql_base import SqlBase
from mimamori.locking import serialized
from mimamori.protocol.timefmt import to_epoch_ms


def _in_areas(column: str, areas: Sequence[str] | None) -> tuple[str, list[object]]:
    if areas is None:
        return "", []
    return f" AND {column} IN ({marks(areas)})", list(areas)


class SqlFigures(SqlBase):
    @serialized
    async def report_counts(
        self, since: datetime, until: datetime, areas: Sequence[str] | None
    ) -> list[tuple[str, str, str, int]]:
        where, params = _in_areas("c.area", areas)
        kind = "coalesce(p.kind, t.partner_id, 'other')"
        rows = await self._query(
            f"SELECT c.area, {kind}, coalesce(t.noticed, 'other'), count(*) "
            "FROM case_timeline t JOIN cases c ON c.id = t.case_id "
            "LEFT JOIN partners p ON p.id = t.partner_id "
            f"WHERE t.step = 'report' AND t.at >= ? AND t.at < ?{where} "
            f"GROUP BY c.area, {kind}, coalesce(t.noticed, 'other')",
            [to_epoch_ms(since), to_epoch_ms(until), *params],
        )
        return [(str(a), str(k), str(n), int(c)) for a, k, n, c in rows]

    @serialized
    async def decision_times(
        self, since: datetime, until: datetime, areas: Sequence[str] | None
    ) -> list[tuple[str, float]]:
        where, params = _in_areas("c.area", areas)
        rows = await self._query(
            "SELECT c.area, min(t.at) - c.opened_at FROM cases c "
            "JOIN case_timeline t ON t.case_id = c.id AND t.step IN ('triage', 'close') "
            f"WHERE c.opened_at >= ? AND c.opened_at < ?{where} "
            "GROUP BY c.id, c.area, c.opened_at",
            [to_epoch_ms(since), to_epoch_ms(until), *params],
        )
        return [(str(a), int(ms) / 1000) for a, ms in rows]

    @serialized
    async def case_counts(
        self, since: datetime, until: datetime, areas: Sequence[str] | None
    ) -> list[tuple[str, str, str, int]]:
        window = [to_epoch_ms(since), to_epoch_ms(until)]
        where, params = _in_areas("c.area", areas)
        opened = await self._query(
            f"SELECT c.area, count(*) FROM cases c WHERE c.opened_at >= ? AND c.opened_at < ?"
            f"{where} GROUP BY c.area",
            [*window, *params],
        )
        closed = await self._query(
            "SELECT c.area, coalesce(c.triage, 'none'), count(*) FROM cases c "
            "JOIN case_timeline t ON t.case_id = c.id AND t.step = 'close' "
            f"WHERE t.at >= ? AND t.at < ?{where} GROUP BY c.area, coalesce(c.triage, 'none')",
            [*window, *params],
        )
        return [(str(a), "opened", "", int(n)) for a, n in opened] + [
            (str(a), "closed", str(t), int(n)) for a, t, n in closed
        ]
