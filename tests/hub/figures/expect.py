"""The figures' tests' own counts of a generated year (``year.py``), written apart from
the hub's code: plain loops over what was generated, and the checks of each shown
cell against them (a count shown as it is, or hidden when it is 1 or 2, or hidden as
the one partner of a lone small count)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from mimamori.hub.figures.table import Family, Row
from tests.hub.figures.year import NOW, Year, month_starts, ms

EDGES = month_starts()


def month_of(at: datetime) -> int | None:
    for m in range(12):
        if EDGES[m] <= at < EDGES[m + 1]:
            return m
    return None


def tally(
    items: Iterable[Any], when: Callable[[Any], datetime], keys: Callable[[Any], Sequence[str]]
) -> dict[str, list[int]]:
    counts: dict[str, list[int]] = {}
    for item in items:
        m = month_of(when(item))
        if m is None:
            continue
        for key in keys(item):
            counts.setdefault(key, [0] * 12)[m] += 1
    return counts


def row(family: Family, key: str) -> Row:
    return next(r for r in family.rows if r.key == key)


def check_counts(family: Family, expected: dict[str, list[int]]) -> int:
    """Every cell of ``family`` against ``expected``; the number of hidden cells."""
    shown = {r.key: [*r.months, r.year] for r in family.rows}
    assert {k for k, v in expected.items() if any(v)} <= set(shown), family.name
    raw = {k: [*expected.get(k, [0] * 12), sum(expected.get(k, []))] for k in shown}
    hidden = 0
    for c in range(13):
        column = {k: shown[k][c] for k in raw}
        hidden += check_column(column, {k: raw[k][c] for k in raw}, (family.name, c))
    return hidden


def check_column(shown: dict[str, Any], raw: dict[str, int], where: object) -> int:
    """One column of counts (a month, a roll-call, the map's points) as shown against
    the raw counts: the number of hidden cells."""
    small = [k for k in raw if 0 < raw[k] < 3]
    hidden = 0
    for key, count in raw.items():
        value = shown[key]
        if 0 < count < 3:
            assert value is None, (where, key, count)
        elif value is None:  # the partner of a lone small count
            assert len(small) == 1 and count > 0, (where, key, count)
        else:
            assert value == count, (where, key, value, count)
        hidden += value is None
    return hidden


def expected_stat(values: Sequence[float], how: str, scale: float) -> float | None:
    if len(values) < 3:
        return None
    ordered = sorted(values)
    picked = {
        "median": statistics.median(ordered),
        "p90": ordered[math.ceil(0.9 * len(ordered)) - 1],
        "max": ordered[-1],
    }[how]
    return round(picked / scale, 1)


def check_times(family: Family, times: dict[int, list[float]], scale: float) -> None:
    whole = [t for m in range(12) for t in times.get(m, [])]
    for r in family.rows:
        assert list(r.months) == [
            expected_stat(times.get(m, []), r.key, scale) for m in range(12)
        ], (family.name, r.key)
        assert r.year == expected_stat(whole, r.key, scale), (family.name, r.key)


def in_scope(area: str, areas: Sequence[str] | None) -> bool:
    return areas is None or area in areas


def check_year(
    families: Sequence[Family], year: Year, doc: dict[str, Any], areas: Sequence[str] | None
) -> int:
    """Every family against the generated year; the number of hidden cells."""
    by = {f.name: f for f in families}
    hidden = 0

    # The register now.
    people = [p for p in doc["people"] if in_scope(p["area"], areas)]
    homes = [h for h in doc["households"] if in_scope(h["area"], areas)]
    with_gateway = {p for h in doc["households"] if h["gateways"] for p in h["people"]}
    now = {
        "people": len(people),
        "tag": sum(1 for p in people if p.get("tags")),
        "home": sum(1 for p in people if p["id"] in with_gateway),
    }
    for key, n in now.items():
        assert row(by["people"], key).year == (None if 0 < n < 3 else n), key
    points = {g: a for g, a in year.watch_points.items() if in_scope(a, areas)}
    assert row(by["places"], "households").year == len(homes)
    assert row(by["places"], "watch_points").year == len(points)

    # Uptime: each month's time, less each watch point's offline spans in it.
    up = row(by["uptime"], "uptime")
    total_known = total_down = 0
    for m in range(12):
        begin, end = ms(EDGES[m]), min(ms(EDGES[m + 1]), ms(NOW))
        known = (end - begin) * len(points)
        down = sum(
            max(0, min(ms(b), end) - max(ms(a), begin)) for p in points for a, b in year.down[p]
        )
        assert up.months[m] == round(100 * (known - down) / known, 1), m
        total_known, total_down = total_known + known, total_down + down
    assert up.year == round(100 * (total_known - total_down) / total_known, 1)

    alerts = [a for a in year.alerts if in_scope(a.area, areas)]
    kinds = tally(alerts, lambda a: a.opened, lambda a: ["total", a.kind])
    hidden += check_counts(by["alerts_by_kind"], kinds)
    hidden += check_counts(
        by["alerts_by_outcome"], tally(alerts, lambda a: a.opened, lambda a: [a.ended])
    )
    # Missed check-ins (alerts, and LINE's periods apart): expect_more.py.
    answers: dict[int, list[float]] = {}
    for a in alerts:
        m = month_of(a.opened)
        if m is not None and a.first_answer is not None:
            answers.setdefault(m, []).append(a.first_answer.total_seconds())
    check_times(by["answer_minutes"], answers, 60)

    searches = [s for s in year.searches if in_scope(s.area, areas)]
    hidden += check_counts(
        by["searches"],
        tally(
            searches,
            lambda s: s.started,
            lambda s: ["started", "found"] if s.state == "found" else ["started"],
        ),
    )
    found: dict[int, list[float]] = {}
    for s in searches:
        m = month_of(s.started)
        if m is not None and s.took is not None:
            found.setdefault(m, []).append(s.took.total_seconds())
    check_times(by["find_hours"], found, 3600)

    reports = [r for r in year.reports if in_scope(r.area, areas)]
    hidden += check_counts(
        by["reports_by_partner_kind"], tally(reports, lambda r: r.at, lambda r: ["total", r.kind])
    )

    notices = [n for n in year.notices if in_scope(n.alert.area, areas)]
    hidden += check_counts(
        by["notices_by_channel"],
        tally(
            notices, lambda n: n.alert.opened + timedelta(seconds=1), lambda n: ["total", n.kind]
        ),
    )
    for r in by["delivery_rate"].rows:
        mine = [n for n in notices if r.key in ("total", n.kind)]
        for m in [*range(12), None]:
            months = [month_of(n.alert.opened + timedelta(seconds=1)) for n in mine]
            of = [
                n
                for n, at in zip(mine, months, strict=True)
                if at is not None and (m is None or at == m)
            ]
            sent = sum(1 for n in of if n.state == "sent")
            ended = sum(1 for n in of if n.state in ("sent", "failed"))
            value = r.year if m is None else r.months[m]
            assert value == (None if ended < 3 else round(100 * sent / ended, 1)), (r.key, m)
    return hidden
