"""A roll-call's report: a pure function of its rows."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from mimamori.hub.model.rollcall import Asked, Report

KINDS = ("safe_button", "safe_link", "safe_visit", "help", "seen_only", "not_home", "none")


def _kind(row: Asked) -> str:
    if row.answer == "help":
        return "help"
    if row.answer == "safe":
        return f"safe_{row.how}"
    if row.seen_at is not None:
        return "seen_only"
    return "not_home" if row.visit == "not_home" else "none"


def _p90(values: list[float]) -> float:
    """The nearest-rank 90th percentile (no interpolation: a time someone took)."""
    ordered = sorted(values)
    return ordered[max(0, -(-9 * len(ordered) // 10) - 1)]


def report(started_at: datetime, rows: Sequence[Asked]) -> Report:
    counts = Counter(_kind(r) for r in rows)
    times = [
        (r.answered_at - started_at).total_seconds() for r in rows if r.answered_at is not None
    ]
    return Report(
        asked=len(rows),
        counts={k: counts.get(k, 0) for k in KINDS},
        median_s=statistics.median(times) if times else None,
        p90_s=_p90(times) if times else None,
        never_reached=sorted(r.household_id for r in rows if r.answer is None),
    )
