"""The tests' own counts of ``year_more.py``'s generated year, written apart from the
hub's code (plain loops over what was generated), and the checks of what the figures
show against them: people with a LINE check-in and the periods they missed, QR
stickers scanned and finders' reports, each roll-call's line, each watch point's
line of the map."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from mimamori.hub.figures.table import Family, Listing
from tests.hub.figures.expect import (
    check_column,
    check_counts,
    expected_stat,
    in_scope,
    month_of,
    row,
    tally,
)
from tests.hub.figures.year import END, JAPAN, START, Year, ms
from tests.hub.figures.year_more import More

NOTHING = timedelta(0)


def check_more(
    families: Sequence[Family],
    listings: Sequence[Listing],
    year: Year,
    more: More,
    areas: Sequence[str] | None,
) -> int:
    """Every new figure against the generated year; the number of hidden cells."""
    by = {f.name: f for f in families}
    lists = {x.name: x for x in listings}
    hidden = 0

    line = sum(1 for a in more.line_people.values() if in_scope(a, areas))
    assert row(by["people"], "line_checkin").year == (None if 0 < line < 3 else line)

    # Missed check-ins: the alerts (expect.py's count) and, apart, the LINE periods.
    missed = tally(
        [a for a in year.alerts if a.kind == "checkin_missed" and in_scope(a.area, areas)],
        lambda a: a.opened,
        lambda a: ["checkin_missed"],
    )
    periods: dict[str, list[int]] = {"line_missed": [0] * 12}
    for miss in more.line_misses:
        if not in_scope(miss.area, areas):
            continue
        months = [month_of(at) for level, at in miss.steps if level >= 1]
        within = [m for m in months if m is not None]
        if within:
            periods["line_missed"][min(within)] += 1
    assert sum(periods["line_missed"]) > 0
    hidden += check_counts(by["missed_checkins"], missed)
    hidden += check_counts(by["missed_line_checkins"], periods)

    scans = [s for s in more.scans if in_scope(s.area, areas)]
    found = [r for r in more.finder_reports if in_scope(r.area, areas)]
    hidden += check_counts(by["qr_scans"], tally(scans, lambda s: s.at, lambda s: ["scans"]))
    reports = tally(found, lambda r: r.at, lambda r: ["finder_reports"])
    hidden += check_counts(by["finder_reports"], reports)

    hidden += _check_calls(lists["rollcalls"], more, areas)
    hidden += _check_map(lists["watch_points_map"], year, more, areas)
    return hidden


def _check_calls(listing: Listing, more: More, areas: Sequence[str] | None) -> int:
    hidden, keys = 0, [c.key for c in listing.columns]
    expected = []
    for call in sorted(more.calls, key=lambda c: c.started):
        mine = [a for a in call.asked if in_scope(a.area, areas)]
        if not START <= call.started < END or not mine:
            continue
        expected.append(str(call.id))
        item = next(i for i in listing.items if i.key == str(call.id))
        cells = dict(zip(keys, item.cells, strict=True))
        quiet = [a for a in mine if a.answer is None]
        answers = {
            **{
                f"safe_{how}": sum(1 for a in mine if a.answer == "safe" and a.how == how)
                for how in ("button", "link", "visit")
            },
            "help": sum(1 for a in mine if a.answer == "help"),
        }
        unanswered = {
            "seen_only": sum(1 for a in quiet if a.seen),
            "not_home": sum(1 for a in quiet if not a.seen and a.visit == "not_home"),
            "none": sum(1 for a in quiet if not a.seen and a.visit != "not_home"),
        }
        # The kinds split the households asked: hidden with their total by the rule.
        raw = {"asked": len(mine), **answers, **unanswered}
        hidden += check_column({k: cells[k] for k in raw}, raw, ("rollcall", call.id))
        # A sum beside them is hidden when a part is: else it would give the part away.
        for total, parts, count in (("answered", answers, len(mine) - len(quiet)),
                                    ("never_reached", unanswered, len(quiet))):  # fmt: skip
            assert sum(parts.values()) == count
            hides = any(cells[k] is None for k in parts)
            assert cells[total] == (None if hides else count), (call.id, total)
        assert cells["started"] == f"{call.started.astimezone(JAPAN):%Y-%m-%d %H:%M}"
        assert cells["area"] == (call.area or "all")
        minutes = [(a.after or NOTHING).total_seconds() for a in mine if a.answer is not None]
        assert cells["median"] == expected_stat(minutes, "median", 60), call.id
        assert cells["p90"] == expected_stat(minutes, "p90", 60), call.id
        # Nine in ten of those asked answered by then (of 8 asked: the 8th answer).
        enough = -(-len(mine) * 9 // 10)
        nine = sorted(minutes)[enough - 1] if len(minutes) >= enough else None
        shown = nine is not None and len(minutes) >= 3
        assert cells["to_90pct"] == (round(nine / 60, 1) if shown else None), call.id
    assert [i.key for i in listing.items] == expected
    return hidden


def _band(uptime: float) -> str:
    return "high" if uptime >= 99 else "mid" if uptime >= 95 else "low"


def _check_map(listing: Listing, year: Year, more: More, areas: Sequence[str] | None) -> int:
    points = sorted(p for p, a in year.watch_points.items() if in_scope(a, areas))
    assert [i.key for i in listing.items] == points
    keys = [c.key for c in listing.columns]
    rows = {i.key: dict(zip(keys, i.cells, strict=True)) for i in listing.items}
    whole = ms(END) - ms(START)  # the year is over at NOW
    arrivals = {}
    for point in points:
        doc: dict[str, Any] = more.points[point]
        got = rows[point]
        assert (got["name"], got["area"]) == (doc["name"], doc["area"])
        assert (got["lat"], got["lon"]) == (doc["lat"], doc["lon"])
        down = sum(max(0, min(ms(b), ms(END)) - max(ms(a), ms(START)))
                   for a, b in year.down[point])  # fmt: skip
        uptime = round(100 * (whole - down) / whole, 1)
        assert got["uptime"] == uptime and got["band"] == _band(uptime), point
        arrivals[point] = sum(1 for at in more.arrivals[point] if _within(at))
    shown = {p: rows[p]["arrivals"] for p in points}
    return check_column(shown, arrivals, "arrivals")


def _within(at: datetime) -> bool:
    return START <= at < END
