"""The port of figures (issue 16's monthly figures of cases; issue 19's town figures
build on it): counting queries over a time window and some areas, on both engines
(``sql_figures``). Each returns raw counts by area; ``hub/figures/`` shapes them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol


class FigureStore(Protocol):
    async def report_counts(
        self, since: datetime, until: datetime, areas: Sequence[str] | None
    ) -> list[tuple[str, str, str, int]]:
        """Reports filed in [since, until) to cases of ``areas`` (None: all), as
        (area, partner kind, what was noticed, count). The kind of a report without a
        partner row is its reporter's id (``public``, ``not_seen``)."""
        ...

    async def decision_times(
        self, since: datetime, until: datetime, areas: Sequence[str] | None
    ) -> list[tuple[str, float]]:
        """Cases opened in [since, until) that were decided (triaged, or closed from
        new): (area, seconds from opening to the first decision)."""
        ...

    async def case_counts(
        self, since: datetime, until: datetime, areas: Sequence[str] | None
    ) -> list[tuple[str, str, str, int]]:
        """(area, "opened" | "closed", triage or "" , count): cases opened in the
        window, and cases closed in it by what was decided (``none``: closed from new)."""
        ...

    # -- the town's figures (issue 19; hub/figures/town.py). ``edges``: the month edges
    # of a period (13 for a year); each count says which month (0..) it fell in. Areas:
    # None for the whole town.

    async def register_counts(self, areas: Sequence[str] | None) -> dict[str, int]:
        """The register now: ``people``, of them with a ``tag``, with a ``home``
        gateway (a button) in their household and with a ``line_checkin`` that has
        started (a row in ``line_checkins``), ``households``, ``watch_points``."""
        ...

    async def watch_point_spans(
        self, since: datetime, until: datetime, areas: Sequence[str] | None, kinds: Sequence[str]
    ) -> tuple[list[tuple[str, str | None, int | None]], list[tuple[str, int, str]]]:
        """Each watch point as (id, the kind of its last transition before ``since``,
        its online flag now), and its transitions (``kinds``: online/offline events)
        in [since, until) as (id, epoch ms, kind), in time order."""
        ...

    async def alert_counts(
        self, edges: Sequence[datetime], areas: Sequence[str] | None
    ) -> list[tuple[int, str, str, int]]:
        """Alerts opened, as (month, kind, how it ended, count): its outcome, else
        ``cleared`` (ended by itself) or ``open``."""
        ...

    async def answer_times(
        self, edges: Sequence[datetime], areas: Sequence[str] | None
    ) -> list[tuple[int, float]]:
        """Alerts opened and answered (any answer but a decline): (month of opening,
        seconds to the first answer)."""
        ...

    async def search_rows(
        self, edges: Sequence[datetime], areas: Sequence[str] | None
    ) -> list[tuple[int, str, float | None]]:
        """Searches started, by their person's area: (month, state, seconds to being
        found or None)."""
        ...

    async def notice_counts(
        self, edges: Sequence[datetime], areas: Sequence[str] | None
    ) -> list[tuple[int, str, int, str, int]]:
        """Alerts' notifications queued, as (month, recipient, channel number, state,
        count): the channel's kind is the register's (``figures/notices.py``)."""
        ...

    async def line_missed(
        self, edges: Sequence[datetime], areas: Sequence[str] | None, kind: str, prefix: str
    ) -> list[tuple[int, str, str]]:
        """Events of ``kind`` (missed check-ins) of households' LINE sources (gateway id
        ``prefix`` + household) received in the period: (month, household, data JSON)."""
        ...

    async def found_counts(
        self, edges: Sequence[datetime], areas: Sequence[str] | None
    ) -> list[tuple[int, str, int]]:
        """Found-sticker ``scans`` and finders' reports (``finder_reports``, 保護して
        います) by their person's area: (month, which, count)."""
        ...

    async def watch_point_activity(
        self, since: datetime, until: datetime, areas: Sequence[str] | None, kind: str
    ) -> list[tuple[str, str, str, float, float, int]]:
        """Each watch point as (id, name, area, lat, lon, events of ``kind`` (tag
        arrivals) in [since, until) by the gateway's time), by id."""
        ...
