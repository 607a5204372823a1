"""A year of a town's events for the figures' tests (issue 19), from a seeded generator:
alerts with answers and outcomes, notifications delivered or failed, searches found
after known times, watch points offline for known spans, partners' reports. Rows go
into the database in batches, past the hub (thousands of them in a second); what was
generated stays in ``Year`` for the tests' own, independent counts (``expect.py``)."""

from __future__ import annotations

import json
import random
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from mimamori.hub.model.alerts import LINE_CHANNEL
from mimamori.hub.model.cases import Noticed, Partner, PartnerKind, ReportDraft
from mimamori.hub.model.escalation import OUTCOMES
from mimamori.hub.store.port import Store
from tests.hub.access.test_areas import NORTH, SOUTH, two_areas
from tests.hub.helpers import CONSENT, TOWN, database_for

JAPAN = ZoneInfo("Asia/Tokyo")
FY = 2031  # 年度 2031: April 2031 to March 2032
START = datetime(2031, 4, 1, tzinfo=JAPAN)
END = datetime(2032, 4, 1, tzinfo=JAPAN)
NOW = datetime(2032, 4, 10, 3, 0, tzinfo=UTC)  # the hub's clock: the year is over
MS = 1000
HOMES = 12  # per area
POINTS_AT = {"n": (26.30, 127.76), "s": (26.26, 127.78)}  # the first watch point of a side


def month_starts() -> list[datetime]:
    """The year's 13 month edges, written out (not from the code under test)."""
    firsts = [(2031, m) for m in range(4, 13)] + [(2032, m) for m in range(1, 5)]
    return [datetime(y, m, 1, tzinfo=JAPAN) for y, m in firsts]


def ms(at: datetime) -> int:
    return int(at.timestamp() * MS)


def town(doc: dict[str, Any]) -> None:
    """The test town of two areas, grown: ``HOMES`` people a side, two in three living
    in a household with a home gateway (the others have none), every other one with
    a tag; three more watch points a side; r-miyagi is reached by e-mail (channel 0)."""
    two_areas(doc)
    Path(doc["recipients"][0]["channels_file"]).write_text("mailto://hub@example.jp\n")
    place = {"lat": 26.28, "lon": 127.77}
    for side, area in (("n", NORTH), ("s", SOUTH)):
        for i in range(3):  # each where it stands: the map draws them apart
            lat, lon = POINTS_AT[side]
            at = {"lat": round(lat + 0.004 * i, 4), "lon": round(lon + 0.003 * i, 4)}
            doc["gateways"].append({"id": f"wp-{side}{i}", "name": f"自販機 {side}{i}",
                                    "area": area, **at})  # fmt: skip
        for i in range(HOMES):
            person: dict[str, Any] = {"id": f"p-{side}{i}", "name": f"見守 {side}{i}",
                                      "area": area, "consent": CONSENT}  # fmt: skip
            if i % 2 == 0:
                person["tags"] = [f"ibeacon:{TOWN}:7:{len(doc['people']) + 10}"]
            doc["people"].append(person)
            if i % 3 == 0:
                continue
            doc["gateways"].append({"id": f"gw-{side}{i}", "name": f"自宅 {side}{i}",
                                    "site": "home", "area": area, **place})  # fmt: skip
            doc["households"].append({"id": f"hh-{side}{i}", "name": f"{side}{i}さん宅",
                                      "area": area, "gateways": [f"gw-{side}{i}"],
                                      "people": [person["id"]]})  # fmt: skip


def area_of_doc(doc: dict[str, Any]) -> dict[str, str]:
    """Each household's, person's and gateway's area, as the document says."""
    found = {g["id"]: g["area"] for g in doc["gateways"]}
    found |= {h["id"]: h["area"] for h in doc["households"]}
    return found | {p["id"]: p["area"] for p in doc["people"]}


@dataclass
class Alert:
    id: int
    kind: str
    subject: str
    household: str | None
    opened: datetime
    ended: str  # an outcome, "cleared" or "open"
    first_answer: timedelta | None  # to the first answer that is not a decline
    area: str  # '' for none


@dataclass
class Notice:
    alert: Alert
    kind: str  # line, email, other
    state: str  # sent, failed, pending


@dataclass
class Search:
    person: str
    started: datetime
    state: str
    took: timedelta | None  # to being found
    area: str


@dataclass
class Report:
    kind: str
    at: datetime
    area: str


@dataclass
class Year:
    alerts: list[Alert] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    searches: list[Search] = field(default_factory=list)
    down: dict[str, list[tuple[datetime, datetime]]] = field(default_factory=dict)
    reports: list[Report] = field(default_factory=list)
    watch_points: dict[str, str] = field(default_factory=dict)  # id -> area


def _when(rng: random.Random, margin: timedelta = timedelta(days=20)) -> datetime:
    """A time in the year, or (a few) just outside it: what the window must leave out."""
    span = (END - START) + 2 * margin
    return START - margin + timedelta(seconds=rng.randrange(int(span.total_seconds())))


KINDS = ("sos", "checkin_missed", "checkin_missed", "consult", "home_offline",
         "outside_area", "watchpoint_offline", "gateway_clock")  # fmt: skip


def _subject(rng: random.Random, kind: str, doc: dict[str, Any]) -> tuple[str, str | None]:
    """An alert's subject and household, as the hub's rules name them."""
    if kind == "outside_area":
        return f"person:{rng.choice(doc['people'])['id']}", None
    gateways = [g["id"] for g in doc["gateways"] if (g.get("site") == "home") ==
                (kind == "gateway_clock")]  # fmt: skip
    if kind in ("watchpoint_offline", "gateway_clock"):  # a home gateway's clock is off
        return f"gateway:{rng.choice(gateways)}", None
    household = rng.choice(doc["households"])["id"]
    return f"household:{household}", household


def _alerts(rng: random.Random, doc: dict[str, Any], year: Year, count: int) -> None:
    area = area_of_doc(doc)
    open_now: set[tuple[str, str]] = set()
    for n in range(1, count + 1):
        kind = rng.choice(KINDS)
        subject, household = _subject(rng, kind, doc)
        roll = rng.random()
        ended = rng.choice(OUTCOMES) if roll < 0.7 else "cleared"
        if roll > 0.97 and (kind, subject) not in open_now:  # one open per kind and subject
            ended = "open"
            open_now.add((kind, subject))
        first = timedelta(seconds=rng.randrange(30, 6 * 3600)) if rng.random() < 0.6 else None
        where = area.get(household or subject.split(":", 1)[1], "")
        year.alerts.append(Alert(n, kind, subject, household, _when(rng), ended, first, where))
    for alert in year.alerts:
        for _ in range(rng.randrange(0, 4)):
            kind = rng.choice(["line", "email", "email", "other"])
            state = rng.choice(["sent", "sent", "sent", "failed", "pending"])
            year.notices.append(Notice(alert, kind, state))


def _offline_spans(rng: random.Random, year: Year) -> None:
    """Each watch point but the first down now and then, for 10 min to 2 days; some
    before the year, some across its start; the last may last until now."""
    for i, point in enumerate(sorted(year.watch_points)):
        spans: list[tuple[datetime, datetime]] = []
        if i > 0:  # before the year: a day down, and (every other one) down at its start
            spans.append((START - timedelta(days=10), START - timedelta(days=9)))
        if i % 2 == 1:
            spans.append((START - timedelta(hours=2), START + timedelta(hours=3)))
        at = START + timedelta(days=1)
        while i > 0:
            at += timedelta(hours=rng.randrange(1, 24 * 90))
            if at >= NOW:
                break
            back = at + timedelta(minutes=rng.randrange(10, 48 * 60))
            spans.append((at, min(back, NOW)))
            at = back
        year.down[point] = spans


def generate(doc: dict[str, Any], seed: int = 19, alerts: int = 1500) -> Year:
    rng, year = random.Random(seed), Year()
    area = area_of_doc(doc)
    year.watch_points = {g["id"]: g["area"] for g in doc["gateways"] if g.get("site") != "home"}
    _alerts(rng, doc, year, alerts)
    for _ in range(80):
        person = rng.choice(doc["people"])["id"]
        state = rng.choice(["found", "found", "found", "cancelled", "expired"])
        took = timedelta(minutes=rng.randrange(20, 72 * 60)) if state == "found" else None
        year.searches.append(Search(person, _when(rng), state, took, area[person]))
    _offline_spans(rng, year)
    for _ in range(60):
        kind = rng.choice(["newspaper", "newspaper", "meter", "delivery"])
        year.reports.append(Report(kind, _when(rng), rng.choice([NORTH, SOUTH])))
    return year


async def insert(
    directory: Path, table: str, columns: list[str], rows: list[tuple[Any, ...]]
) -> None:
    """``rows`` into ``table`` of the test's database in one batch."""
    if not rows:
        return
    database = database_for(directory)
    names = ", ".join(columns)
    if "path" in database:
        marks = ", ".join("?" * len(columns))
        with sqlite3.connect(database["path"]) as db:
            db.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        return
    pg = database["postgres"]
    db = await asyncpg.connect(
        host=pg["host"], port=pg["port"], user=pg["user"], database=pg["dbname"]
    )
    try:
        marks = ", ".join(f"${i + 1}" for i in range(len(columns)))
        await db.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        if "id" in columns and table in ("alerts", "notifications"):
            await db.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
    finally:
        await db.close()


async def store_year(directory: Path, store: Store, year: Year) -> None:
    """What ``year`` generated, into the database of ``directory`` (``store``'s)."""
    alerts, answers = [], []
    for a in year.alerts:
        state = "open" if a.ended == "open" else "resolved"
        outcome = a.ended if a.ended in OUTCOMES else None
        at = ms(a.opened)
        alerts.append((a.id, a.kind, a.subject, a.household, 2, state, "{}", 1, at, at, outcome))
        if a.first_answer is not None:
            first = at + int(a.first_answer.total_seconds() * MS)
            # A decline before the answer does not count as one (figures/alerts.py).
            answers.append((a.id, at + 1, "kinjo", "staff", "decline", None))
            answers.append((a.id, first, "arakaki", "staff", "handling", None))
            answers.append((a.id, first + 60 * MS, "arakaki", "staff", "resolve", None))
    await insert(
        directory,
        "alerts",
        [
            "id",
            "kind",
            "subject",
            "household_id",
            "severity",
            "state",
            "detail",
            "events",
            "opened_at",
            "updated_at",
            "outcome",
        ],
        alerts,
    )
    await insert(
        directory, "alert_answers", ["alert_id", "at", "who", "role", "answer", "note"], answers
    )
    channel = {"line": ("r-miyagi", LINE_CHANNEL), "email": ("r-miyagi", 0), "other": ("r-gone", 0)}
    notices = []
    for i, n in enumerate(year.notices):
        recipient, number = channel[n.kind]
        at = ms(n.alert.opened) + 1000
        # A pending one is next tried after the test: no hub's sender takes it meanwhile.
        due = ms(NOW) + 86400 * MS if n.state == "pending" else at
        notices.append((n.alert.id, recipient, number, f"k{i}", "t", "b", n.state, due, at))
    await insert(
        directory,
        "notifications",
        [
            "alert_id",
            "recipient_id",
            "channel",
            "dedupe_key",
            "title",
            "body",
            "state",
            "next_at",
            "created_at",
        ],
        notices,
    )
    searches = []
    for i, s in enumerate(year.searches):
        started = ms(s.started)
        ended = None if s.took is None else started + int(s.took.total_seconds() * MS)
        if s.state != "found":
            ended = started + 3600 * MS
        searches.append(
            (f"s-{i}", s.person, s.state, "staff", started, started + 7 * 86400 * MS, ended)
        )
    await insert(
        directory,
        "searches",
        ["id", "person_id", "state", "started_by", "started_at", "expires_at", "ended_at"],
        searches,
    )
    events, gateways = [], []
    for point, spans in year.down.items():
        for j, (down, up) in enumerate(spans):
            events.append(
                (f"{point}-d{j}", point, 0, ms(down), "gateway.offline", None, "{}", ms(down))
            )
            if up < NOW:
                events.append(
                    (
                        f"{point}-u{j}",
                        point,
                        0,
                        ms(up),
                        "gateway.online",
                        None,
                        json.dumps({}),
                        ms(up),
                    )
                )
        still_down = bool(spans) and spans[-1][1] >= NOW
        gateways.append((point, 0 if still_down else 1))
    await insert(
        directory,
        "events",
        ["id", "gateway_id", "seq", "ts", "kind", "tag", "data", "received_at"],
        events,
    )
    await insert(directory, "gateways", ["id", "online"], gateways)
    await file_reports(store, year)


async def file_reports(store: Store, year: Year) -> None:
    for kind in PartnerKind:
        await store.add_partner(Partner(kind.value, kind.value, kind, (NORTH, SOUTH), START))
    links = {
        kind.value: await store.add_partner_link(
            kind.value, "係", channel=None, lang="ja", token_hash=f"h-{kind.value}", at=START
        )
        for kind in PartnerKind
    }
    for i, r in enumerate(year.reports):
        draft = ReportDraft(Noticed.MAIL_PILING, "", None, f"宜野湾{i}")  # each its own case
        await store.file_report(links[r.kind], draft, r.area, r.at)
