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
