"""Roll-calls (安否確認) in the town's figures (issue 19): one line per roll-call
started in the year, from its households' rows and the roll-call's own report
(``hub/rollcall/report.py``): how many households were asked, answered and how
(the home button, the link, a visit; 助けが必要 by any way), seen alive at a watch
point only, found not at home, never reached, the minutes to answer (median and
90th percentile of those who answered) and until nine in ten of those asked had
answered. An area's figures count only its own
households, also of a roll-call of the whole town.

Small counts: the report's kinds split the households asked, so they are hidden with
their total by the one rule (``hide_small``); the sums shown beside them (answered,
never reached) are hidden when one of their parts is, or the sum would give it away."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from mimamori.hub.figures.cases import JAPAN
from mimamori.hub.figures.suppression import MIN_SHOWN, hide_small
from mimamori.hub.figures.table import Cell, Column, Item, Listing
from mimamori.hub.model.rollcall import Asked, RollCall
from mimamori.hub.rollcall.report import report
from mimamori.hub.store.port_rollcall import RollCallStore

WHOLE_TOWN = "all"
ANSWERS = ("safe_button", "safe_link", "safe_visit", "help")
UNANSWERED = ("seen_only", "not_home", "none")  # none: not seen, not found out either
SUMS = {"answered": ANSWERS, "never_reached": UNANSWERED}
COUNTS = ("asked", "answered", *ANSWERS, "never_reached", *UNANSWERED)
COLUMNS = (
    Column("started", "text"),
    Column("area", "text"),
    *(Column(k, "count") for k in COUNTS),
    Column("median", "minutes"),
    Column("p90", "minutes"),
    Column("to_90pct", "minutes"),
)


def _nine_in_ten(started: datetime, rows: Sequence[Asked]) -> float | None:
    """Seconds from the start until nine in ten of the households asked had answered;
    None if they never did."""
    times = sorted((r.answered_at - started).total_seconds() for r in rows if r.answered_at)
    needed = math.ceil(0.9 * len(rows))
    return times[needed - 1] if len(times) >= needed else None


def _minutes(seconds: float | None, answered: int) -> Cell:
    """Shown from ``MIN_SHOWN`` answers, as every time of the figures."""
    if seconds is None or answered < MIN_SHOWN:
        return None
    return round(seconds / 60, 1)


async def rollcall_listing(
    store: RollCallStore, areas: Sequence[str] | None, edges: Sequence[datetime]
) -> Listing:
    """The roll-calls started in the period (``edges``' first to last), oldest first,
    with at least one household of ``areas`` (None: the whole town)."""
    calls: list[RollCall] = [
        c for c in await store.rollcalls() if edges[0] <= c.started_at < edges[-1]
    ]
    items = []
    for call in sorted(calls, key=lambda c: (c.started_at, c.id)):
        rows = [
            r for r in await store.rollcall_households(call.id)
            if areas is None or r.area in areas
        ]  # fmt: skip
        if not rows:
            continue
        got = report(call.started_at, rows)
        answered = sum(got.counts[k] for k in ANSWERS)
        shown = hide_small(
            {"asked": got.asked, **{k: got.counts[k] for k in (*ANSWERS, *UNANSWERED)}}
        )
        for total, parts in SUMS.items():
            whole = sum(got.counts[k] for k in parts)
            shown[total] = None if any(shown[k] is None for k in parts) else whole
        cells: tuple[Cell, ...] = (
            f"{call.started_at.astimezone(JAPAN):%Y-%m-%d %H:%M}",
            call.area or WHOLE_TOWN,
            *(shown[k] for k in COUNTS),
            _minutes(got.median_s, answered),
            _minutes(got.p90_s, answered),
            _minutes(_nine_in_ten(call.started_at, rows), answered),
        )
        items.append(Item(str(call.id), cells))
    return Listing("rollcalls", COLUMNS, tuple(items))
