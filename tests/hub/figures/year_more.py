"""More of a generated year for the town's figures (issue 19, ``year.py``'s town):
people whose LINE check-in has started and the check-ins they missed, found-person QR
stickers scanned and finders' reports, safety roll-calls with every way of answering
(and none), and tags arriving at the watch points. Written into the database past
the hub, like ``year.py``'s rows; kept in ``More`` for the tests' own counts
(``expect_more.py``)."""

from __future__ import annotations

import json
import random
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from mimamori.protocol.timefmt import format_ts
from tests.hub.access.test_areas import NORTH, SOUTH
from tests.hub.figures.year import END, MS, START, area_of_doc, insert, ms
from tests.hub.helpers import database_for

# When the hub records each step of a missed period, after its due time: the person
# asked again (level 0), then a contact (1), then the 民生委員 (2).
AFTER = (timedelta(minutes=10), timedelta(hours=1), timedelta(days=1))


@dataclass
class LineMiss:
    household: str
    area: str
    due: datetime
    steps: list[tuple[int, datetime]]  # (level, when the hub recorded it)


@dataclass
class Scan:
    at: datetime
    area: str
    person: str


@dataclass
class Asked:
    household: str
    area: str
    answer: str | None  # safe, help
    how: str | None  # button, link, visit
    after: timedelta | None  # from the start to the answer
    seen: bool
    visit: str | None  # not_home ...


@dataclass
class Call:
    id: int
    area: str | None  # None: the whole town
    started: datetime
    asked: list[Asked]


@dataclass
class More:
    line_people: dict[str, str] = field(default_factory=dict)  # person -> area
    line_misses: list[LineMiss] = field(default_factory=list)
    scans: list[Scan] = field(default_factory=list)
    finder_reports: list[Scan] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    arrivals: dict[str, list[datetime]] = field(default_factory=dict)  # watch point -> times
    points: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> its document


def _when(rng: random.Random, margin: timedelta = timedelta(days=15)) -> datetime:
    span = (END - START) + 2 * margin
    return START - margin + timedelta(seconds=rng.randrange(int(span.total_seconds())))


def _asked(rng: random.Random, household: str, area: str, answering: float) -> Asked:
    roll = rng.random()
    if roll < answering - 0.1:
        how = rng.choice(["button", "button", "link", "visit"])
        after = timedelta(seconds=rng.randrange(20, 4 * 3600))
        return Asked(household, area, "safe", how, after, rng.random() < 0.3, None)
    if roll < answering:
        after = timedelta(seconds=rng.randrange(20, 4 * 3600))
        return Asked(household, area, "help", rng.choice(["button", "link", "visit"]), after,
                     False, None)  # fmt: skip
    # Not answered: seen at a watch point, or found not at home, or both, or nothing.
    return Asked(household, area, None, None, None, rng.random() < 0.4,
                 "not_home" if rng.random() < 0.5 else None)  # fmt: skip


def generate_more(doc: dict[str, Any], seed: int = 1919) -> More:
    rng, more = random.Random(seed), More()
    area = area_of_doc(doc)
    homes = [h["id"] for h in doc["households"]]
    for h in doc["households"]:
        for person in h["people"]:
            if rng.random() < 0.6:
                more.line_people[person] = area[person]
    for _ in range(70):
        home, due = rng.choice(homes), _when(rng)
        top = rng.choice([0, 1, 1, 2])  # 0: asked again only, not missed yet
        steps = [(level, due + AFTER[level]) for level in range(top + 1)]
        more.line_misses.append(LineMiss(home, area[home], due, steps))
    people = [p["id"] for p in doc["people"]]
    for _ in range(160):
        person = rng.choice(people)
        more.scans.append(Scan(_when(rng), area[person], person))
    for scan in rng.sample(more.scans, 30):  # a finder wrote from a scan
        more.finder_reports.append(Scan(scan.at + timedelta(minutes=2), scan.area, scan.person))
    starts = [(NORTH, START - timedelta(days=3)), (None, START + timedelta(days=40, hours=5)),
              (NORTH, START + timedelta(days=120)), (SOUTH, START + timedelta(days=200)),
              (None, START + timedelta(days=300)), (SOUTH, END + timedelta(days=2))]  # fmt: skip
    for n, (where, started) in enumerate(starts, 1):
        answering = 1.0 if n == 3 else 0.65  # the third: everyone answered (9 in 10 by ...)
        asked = [_asked(rng, h, area[h], answering) for h in homes if where in (None, area[h])]
        more.calls.append(Call(n, where, started, asked))
    for g in doc["gateways"]:
        if g.get("site") != "home":
            more.points[g["id"]] = g
    # Arrivals: none at one point, 1 and 2 (hidden) at others, more elsewhere.
    for i, point in enumerate(sorted(more.points)):
        count = [0, 1, 2, 7, 25, 4][i % 6]
        more.arrivals[point] = [_when(rng) for _ in range(count)]
    return more


async def store_more(directory: Path, more: More) -> None:
    await insert(directory, "line_checkins", ["person_id", "version", "state", "updated_at"],
                 [(p, 1, "{}", ms(START)) for p in more.line_people])  # fmt: skip
    events: list[tuple[Any, ...]] = []
    for i, miss in enumerate(more.line_misses):
        for level, at in miss.steps:
            data = json.dumps({"level": level, "due": format_ts(miss.due)})
            events.append((f"line-{i}-{level}", f"line:{miss.household}", i * 3 + level + 1,
                           ms(at), "checkin.missed", None, data, ms(at)))  # fmt: skip
    # A row that does not read: left out (and logged), not counted.
    events.append(("line-bad", f"line:{more.line_misses[0].household}", 999, ms(START) + MS,
                   "checkin.missed", None, '{"level": "high"}', ms(START) + MS))  # fmt: skip
    for point, times in more.arrivals.items():
        for j, at in enumerate(times):
            tag = f"ibeacon:00000000-0000-0000-0000-000000000000:9:{j}"  # no one's tag
            events.append((f"{point}-a{j}", point, j + 1, ms(at), "tag.arrived", tag, "{}", ms(at)))
        # A tag seen there (not an arrival): not counted.
        events.append((f"{point}-s", point, 900, ms(START) + MS, "tag.seen", "x", "{}", ms(START)))
    await insert(directory, "events",
                 ["id", "gateway_id", "seq", "ts", "kind", "tag", "data", "received_at"],
                 events)  # fmt: skip
    # The alerts of these events are the year's own (year.py): the rules have seen them.
    await _execute(
        directory, "UPDATE alert_cursor SET last_rowid = (SELECT max(seqno) FROM events)"
    )
    await _found(directory, more)
    await _calls(directory, more)


async def _found(directory: Path, more: More) -> None:
    stickers = {p: n for n, p in enumerate(sorted({s.person for s in more.scans}), 1)}
    await insert(directory, "found_stickers",
                 ["id", "person_id", "token_hash", "issued_at", "issued_by", "scans"],
                 [(n, p, f"sticker-{n}", ms(START) - 86400 * MS * 30, "kinjo", 0)
                  for p, n in stickers.items()])  # fmt: skip
    await insert(directory, "found_scans", ["sticker_id", "at"],
                 [(stickers[s.person], ms(s.at)) for s in more.scans])  # fmt: skip
    await insert(directory, "found_reports",
                 ["id", "sticker_id", "person_id", "opened_at", "state", "safe_at"],
                 [(i, stickers[r.person], r.person, ms(r.at), "safe", ms(r.at) + 3600 * MS)
                  for i, r in enumerate(more.finder_reports, 1)])  # fmt: skip


async def _calls(directory: Path, more: More) -> None:
    calls, rows = [], []
    for c in more.calls:
        begun = ms(c.started)
        calls.append((c.id, c.area, "地震がありました。ご無事ですか", "kinjo", begun, 0,
                      begun + 86400 * MS, "kinjo"))  # fmt: skip
        for a in c.asked:
            answered = None if a.after is None else begun + int(a.after.total_seconds() * MS)
            seen = begun + 600 * MS if a.seen else None
            visited = begun + 7200 * MS if a.visit else None
            rows.append((c.id, a.household, a.area, 0, f"t-{c.id}-{a.household}", "sent", 1,
                         a.answer, a.how, answered, seen, "wp-n0" if a.seen else None,
                         a.visit, visited, "kinjo" if a.visit else None))  # fmt: skip
    await insert(directory, "rollcalls",
                 ["id", "area", "message", "started_by", "started_at", "seqno", "ended_at",
                  "ended_by"], calls)  # fmt: skip
    await insert(directory, "rollcall_households",
                 ["rollcall_id", "household_id", "area", "support", "token_hash", "button",
                  "notices", "answer", "how", "answered_at", "seen_at", "seen_where", "visit",
                  "visit_at", "visit_by"], rows)  # fmt: skip


async def _execute(directory: Path, statement: str) -> None:
    database = database_for(directory)
    if "path" in database:
        with sqlite3.connect(database["path"]) as db:
            db.execute(statement)
        return
    pg = database["postgres"]
    db = await asyncpg.connect(
        host=pg["host"], port=pg["port"], user=pg["user"], database=pg["dbname"]
    )
    try:
        await db.execute(statement)
    finally:
        await db.close()
