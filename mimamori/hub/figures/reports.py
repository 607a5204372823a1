"""Concern reports in the town's figures (issue 19): partners' reports by the kind of
partner (新聞販売店, 検針...), month by month, as the cases' figures count them
(``figures/cases.py``, issue 16)."""

from __future__ import annotations

from collections.abc import Sequence

from mimamori.hub.figures.cases import month_of_cases
from mimamori.hub.figures.table import MONTHS, Family, counted, fiscal_months
from mimamori.hub.store.port_figures import FigureStore


async def report_families(store: FigureStore, areas: Sequence[str] | None, fy: int) -> list[Family]:
    by_kind: dict[str, list[int]] = {"total": [0] * MONTHS}
    for m, month in enumerate(fiscal_months(fy)):
        for raw in (await month_of_cases(store, areas, month)).values():
            for kind, n in raw.by_kind.items():
                by_kind.setdefault(kind, [0] * MONTHS)[m] += n
                by_kind["total"][m] += n
    total = by_kind.pop("total")
    return [counted("reports_by_partner_kind", {"total": total, **dict(sorted(by_kind.items()))},
                    chart="total")]  # fmt: skip
