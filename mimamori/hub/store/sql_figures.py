"""Figures' counting queries (``port_figures``), mixed into the store on either
engine: plain GROUP BY over the cases' tables (issue 16) and over alerts, searches,
notifications, the register and watch points' transitions (issue 19), each bounded by
a time window."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mimamori.hub.store.sql import Db, marks
from mimamori.hub.store.sql_base import SqlBase
from mimamori.locking import serialized
from mimamori.protocol.events import EventKind
from mimamori.protocol.timefmt import to_epoch_ms


def _in_areas(column: str, areas: Sequence[str] | None) -> tuple[str, list[object]]:
    if areas is None:
        return "", []
    return f" AND {column} IN ({marks(areas)})", list(areas)


# Issue 19's town figures. Each query is bounded by the year's window and counts by
# month in SQL: ``_month`` numbers a time by the window's month edges (12 or 13 of
# them), the same CASE on both engines; GROUP BY by position, as PostgreSQL will not
# match two copies of an expression with parameters.
def _month(column: str, edges: Sequence[datetime]) -> tuple[str, list[object]]:
    ms = [to_epoch_ms(e) for e in edges]
    cases = " ".join(f"WHEN {column} < ? THEN {i}" for i in range(len(ms) - 1))
    return f"CASE {cases} END", list(ms[1:])


def _window(column: str, edges: Sequence[datetime]) -> tuple[str, list[object]]:
    return f"{column} >= ? AND {column} < ?", [to_epoch_ms(edges[0]), to_epoch_ms(edges[-1])]


# The care-centre area of an alert: its household's, else its person's
# (``person:<id>``), else its gateway's (``gateway:<id>``: a watch point, or a home's
# whose clock is off); '' when none, which only the whole town's figures count.
# A watch point is a gateway of the register that is not a home's (Registry.watch_points).
_POINT = (
    "w.site != 'home' AND NOT EXISTS (SELECT 1 FROM household_gateways hg "
    "WHERE hg.gateway_id = w.id)"
)
_AREA_JOINS = (
    " LEFT JOIN households h ON h.id = a.household_id"
    " LEFT JOIN people p ON a.subject LIKE 'person:%' AND p.id = substr(a.subject, 8)"
    " LEFT JOIN watch_points w ON a.subject LIKE 'gateway:%' AND w.id = substr(a.subject, 9)"
)
_AREA = "coalesce(h.area_id, p.area_id, w.area_id, '')"


HOUR_MS = 3_600_000


async def keep_arrivals(db: Db, rows: Sequence[tuple[Any, ...]]) -> None:
    """The town's figures count tags' arrivals at each watch point over a year
    (hub/figures/points.py), longer than sightings are kept: of the events the purge
    removes (``rows``: kind, ts, gateway), in its transaction ``db``, the arrivals are
    kept as a count per gateway and hour (Japan's months begin on a UTC hour), which
    names no one."""
    hours = Counter(
        (str(gateway), int(ts) - int(ts) % HOUR_MS)
        for kind, ts, gateway in rows
        if kind == EventKind.TAG_ARRIVED
    )
    if hours:
        await db.executemany(
            "INSERT INTO gateway_arrivals (gateway_id, hour, arrivals) VALUES (?, ?, ?) "
            "ON CONFLICT (gateway_id, hour) DO UPDATE "
            "SET arrivals = gateway_arrivals.arrivals + excluded.arrivals",
            [(g, h, n) for (g, h), n in sorted(hours.items())],
        )


class SqlTownFigures(SqlBase):
    @serialized
    async def register_counts(self, areas: Sequence[str] | None) -> dict[str, int]:
        pa, pp = _in_areas("p.area_id", areas)
        ha, hp = _in_areas("h.area_id", areas)
        wa, wp = _in_areas("w.area_id", areas)
        tagged = "EXISTS (SELECT 1 FROM person_tags t WHERE t.person_id = p.id)"
        at_home = (
            "EXISTS (SELECT 1 FROM household_gateways g WHERE g.household_id = p.household_id)"
        )
        # LINE check-in has started for them (hub/checkins/line.py keeps a state once
        # their own LINE is bound); a plan in the register that never started is not.
        by_line = "EXISTS (SELECT 1 FROM line_checkins c WHERE c.person_id = p.id)"
        people = await self._query(
            f"SELECT count(*), coalesce(sum(CASE WHEN {tagged} THEN 1 ELSE 0 END), 0), "
            f"coalesce(sum(CASE WHEN {at_home} THEN 1 ELSE 0 END), 0), "
            f"coalesce(sum(CASE WHEN {by_line} THEN 1 ELSE 0 END), 0) "
            f"FROM people p WHERE 1 = 1{pa}",
            pp,
        )
        homes = await self._query(f"SELECT count(*) FROM households h WHERE 1 = 1{ha}", hp)
        points = await self._query(f"SELECT count(*) FROM watch_points w WHERE {_POINT}{wa}", wp)
        ((everyone, tag, home, line),) = people
        return {
            "people": int(everyone), "tag": int(tag), "home": int(home),
            "line_checkin": int(line),
            "households": int(homes[0][0]), "watch_points": int(points[0][0]),
        }  # fmt: skip

    @serialized
    async def watch_point_spans(
        self, since: datetime, until: datetime, areas: Sequence[str] | None, kinds: Sequence[str]
    ) -> tuple[list[tuple[str, str | None, int | None]], list[tuple[str, int, str]]]:
        where, params = _in_areas("w.area_id", areas)
        start = await self._query(
            "SELECT w.id, (SELECT e.kind FROM events e WHERE e.gateway_id = w.id "
            f"AND e.kind IN ({marks(kinds)}) AND e.ts < ? ORDER BY e.ts DESC LIMIT 1), "
            "g.online FROM watch_points w LEFT JOIN gateways g ON g.id = w.id "
            f"WHERE {_POINT}{where}",
            [*kinds, to_epoch_ms(since), *params],
        )
        moves = await self._query(
            "SELECT e.gateway_id, e.ts, e.kind FROM events e "
            "JOIN watch_points w ON w.id = e.gateway_id "
            f"WHERE e.kind IN ({marks(kinds)}) AND e.ts >= ? AND e.ts < ? AND {_POINT}{where} "
            "ORDER BY e.gateway_id, e.ts",
            [*kinds, to_epoch_ms(since), to_epoch_ms(until), *params],
        )
        return (
            [(str(g), None if k is None else str(k), None if o is None else int(o))
             for g, k, o in start],
            [(str(g), int(ts), str(k)) for g, ts, k in moves],
        )  # fmt: skip

    @serialized
    async def alert_counts(
        self, edges: Sequence[datetime], areas: Sequence[str] | None
    ) -> list[tuple[int, str, str, int]]:
        month, mp = _month("a.opened_at", edges)
        within, wp = _window("a.opened_at", edges)
        where, params = _in_areas(_AREA, areas)
        rows = await self._query(
            f"SELECT {month}, a.kind, coalesce(a.outcome, CASE WHEN a.state = 'resolved' "
            "THEN 'cleared' ELSE 'open' END), count(*) "
            f"FROM alerts a{_AREA_JOINS} WHERE {within}{where} GROUP BY 1, 2, 3",
            [*mp, *wp, *params],
        )
        return [(int(m), str(k), str(o), int(n)) for m, k, o, n in rows]

    @serialized
    async def answer_times(
        self, edges: Sequence[datetime], areas: Sequence[str] | None
    ) -> list[tuple[int, float]]:
        month, mp = _month("a.opened_at", edges)
        within, wp = _window("a.opened_at", edges)
        where, params = _in_areas(_AREA, areas)
        rows = await self._query(
            f"SELECT {month}, min(r.at) - a.opened_at FROM alerts a{_AREA_JOINS} "
            "JOIN alert_answers r ON r.alert_id = a.id AND r.answer != 'decline' "
            f"WHERE {within}{where} GROUP BY a.id, a.opened_at",
            [*mp, *wp, *params],
        )
        return [(int(m), int(ms) / 1000) for m, ms in rows]

    @serialized
    async def search_rows(
        self, edges: Sequence[datetime], areas: Sequence[str] | None
    ) -> list[tuple[int, str, float | None]]:
        month, mp = _month("s.started_at", edges)
        within, wp = _window("s.started_at", edges)
        where, params = _in_areas("p.area_id", areas)
        rows = await self._query(
            f"SELECT {month}, s.state, CASE WHEN s.state = 'found' "
            "THEN s.ended_at - s.started_at END FROM searches s "
            f"JOIN people p ON p.id = s.person_id WHERE {within}{where}",
            [*mp, *wp, *params],
        )
        return [(int(m), str(s), None if ms is None else int(ms) / 1000) for m, s, ms in rows]

    @serialized
    async def notice_counts(
        self, edges: Sequence[datetime], areas: Sequence[str] | None
    ) -> list[tuple[int, str, int, str, int]]:
        month, mp = _month("n.created_at", edges)
        within, wp = _window("n.created_at", edges)
        where, params = _in_areas(_AREA, areas)
        rows = await self._query(
            f"SELECT {month}, n.recipient_id, n.channel, n.state, count(*) "
            f"FROM notifications n JOIN alerts a ON a.id = n.alert_id{_AREA_JOINS} "
            f"WHERE {within}{where} GROUP BY 1, 2, 3, 4",
            [*mp, *wp, *params],
        )
        return [(int(m), str(r), int(c), str(s), int(n)) for m, r, c, s, n in rows]

    @serialized
    async def line_missed(
        self, edges: Sequence[datetime], areas: Sequence[str] | None, kind: str, prefix: str
    ) -> list[tuple[int, str, str]]:
        month, mp = _month("e.received_at", edges)
        within, wp = _window("e.received_at", edges)
        where, params = _in_areas("h.area_id", areas)
        rows = await self._query(
            f"SELECT {month}, h.id, e.data FROM households h JOIN events e "
            f"ON e.gateway_id = CAST(? AS TEXT) || h.id AND e.kind = ? WHERE {within}{where}",
            [*mp, prefix, kind, *wp, *params],
        )
        return [(int(m), str(h), str(d)) for m, h, d in rows]

    @serialized
    async def found_counts(
        self, edges: Sequence[datetime], areas: Sequence[str] | None
    ) -> list[tuple[int, str, int]]:
        out: list[tuple[int, str, int]] = []
        where, params = _in_areas("coalesce(p.area_id, '')", areas)
        for what, table, column in (
            ("scans", "found_scans", "at"),
            ("finder_reports", "found_reports", "opened_at"),
        ):
            month, mp = _month(f"x.{column}", edges)
            within, wp = _window(f"x.{column}", edges)
            rows = await self._query(
                f"SELECT {month}, count(*) FROM {table} x "
                "JOIN found_stickers k ON k.id = x.sticker_id "
                f"LEFT JOIN people p ON p.id = k.person_id WHERE {within}{where} GROUP BY 1",
                [*mp, *wp, *params],
            )
            out += [(int(m), what, int(n)) for m, n in rows]
        return out

    @serialized
    async def watch_point_activity(
        self, since: datetime, until: datetime, areas: Sequence[str] | None, kind: str
    ) -> list[tuple[str, str, str, float, float, int]]:
        # The sightings still kept, and the counts the purge kept of those it removed
        # (``gateway_arrivals``, by hour): a year is longer than sightings are kept.
        # By the gateway's time (``ts``): the (gateway_id, ts) index reads only the
        # year's rows of each point; a sighting's clock is checked for skew on arrival.
        where, params = _in_areas("w.area_id", areas)
        window = [to_epoch_ms(since), to_epoch_ms(until)]
        rows = await self._query(
            "SELECT w.id, w.name, w.area_id, w.lat, w.lon, (SELECT count(*) FROM events e "
            "WHERE e.gateway_id = w.id AND e.ts >= ? AND e.ts < ? AND e.kind = ?) + "
            "(SELECT coalesce(sum(g.arrivals), 0) FROM gateway_arrivals g "
            "WHERE g.gateway_id = w.id AND g.hour >= ? AND g.hour < ?) "
            f"FROM watch_points w WHERE {_POINT}{where} ORDER BY w.id",
            [*window, kind, *window, *params],
        )
        return [(str(i), str(n), str(a), float(la), float(lo), int(c))
                for i, n, a, la, lo, c in rows]  # fmt: skip


class SqlFigures(SqlTownFigures):
    """Issue 16's monthly figures of cases, and (inherited) the town's."""

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
