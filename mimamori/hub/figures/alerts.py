"""Alerts in the town's figures (issue 19): opened by kind, how they ended, missed
check-ins, and the time to the first answer (median, p90), each by the month the
alert opened; and, in a table of their own, the check-ins missed on LINE (a period
whose ladder reached someone else: level 1 or more, counted once, in the month of its
first such step). Periods and alerts are not one to one (a period missed while the
last alert is open joins it), so they are not rows of one table: a small count of one
would hide the other by the rule of a table's total."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime

from mimamori.hub.checkins.sources import PREFIX
from mimamori.hub.figures.table import MONTHS, Family, counted, timed
from mimamori.hub.model.alerts import AlertKind
from mimamori.hub.model.escalation import OUTCOMES
from mimamori.hub.store.port_figures import FigureStore
from mimamori.protocol.events import EventKind, MissedData

log = logging.getLogger(__name__)

# How an alert ended: a person's outcome (model/escalation.py), ``cleared`` when it
# closed by itself (the check-in came, the device was heard), ``open`` if not yet.
ENDINGS = (*OUTCOMES, "cleared", "open")


def _zeros() -> list[int]:
    return [0] * MONTHS


async def alert_families(
    store: FigureStore, areas: Sequence[str] | None, edges: Sequence[datetime]
) -> list[Family]:
    by_kind: dict[str, list[int]] = {"total": _zeros()}
    by_end: dict[str, list[int]] = {e: _zeros() for e in ENDINGS}
    missed = {"checkin_missed": _zeros()}
    on_line = {"line_missed": await line_missed_by_month(store, areas, edges)}
    for month, kind, ended, n in await store.alert_counts(edges, areas):
        by_kind.setdefault(kind, _zeros())[month] += n
        by_kind["total"][month] += n
        by_end.setdefault(ended, _zeros())[month] += n
        if kind == AlertKind.MISSED:
            missed["checkin_missed"][month] += n
    times: list[list[float]] = [[] for _ in range(MONTHS)]
    for month, seconds in await store.answer_times(edges, areas):
        times[month].append(seconds)
    kinds = {"total": by_kind.pop("total"), **dict(sorted(by_kind.items()))}
    return [
        counted("alerts_by_kind", kinds, chart="total"),
        counted("alerts_by_outcome", by_end, chart=None),
        Family(
            "answer_minutes",
            "minutes",
            tuple(timed("minutes", times, ("median", "p90"))),
            chart="median",
        ),
        counted("missed_checkins", missed, chart="checkin_missed"),
        counted("missed_line_checkins", on_line, chart="line_missed"),
    ]


async def line_missed_by_month(
    store: FigureStore, areas: Sequence[str] | None, edges: Sequence[datetime]
) -> list[int]:
    """Missed LINE check-ins by month: each (household, due) period once, in the month
    its first step to someone else (level >= 1) was recorded; level 0 (the person
    asked again) is not missed yet. A row that does not read is counted as bad, once."""
    first: dict[tuple[str, str], int] = {}
    bad = 0
    for month, household, data in await store.line_missed(
        edges, areas, EventKind.CHECKIN_MISSED, PREFIX
    ):
        try:
            missed = MissedData.model_validate(json.loads(data))
        except ValueError:
            bad += 1
            continue
        if missed.level >= 1:
            key = (household, missed.due.isoformat())
            first[key] = min(month, first.get(key, month))
    if bad:
        log.warning("%d missed LINE check-in events did not read; not counted", bad)
    counts = _zeros()
    for month in first.values():
        counts[month] += 1
    return counts
