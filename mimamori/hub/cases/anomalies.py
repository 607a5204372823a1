"""A utility's batch of meter anomalies (issue 16): a CSV uploaded at the desk for a
partner (the water department, the power company), one line per anomaly. 大館's meter
readers report a water meter that does not move; 東員 visits when a household's
power-data frailty score reaches 58. Each valid line is a report of that partner: it
joins or opens the case of its household, as a partner's report does, but only for a
household whose people all consented to "meter" (their meter data may be used); the
other lines are counted and named, never filed. Every bad line is said with its number
and why, and the good ones go in all the same. A line is filed once per partner, ever:
its key (``line_key``: a hash of the household, the date, the kind and the value as
normalized) is kept with it, so a file uploaded twice (or a month's file holding the
last week's lines again) files only what is new and says how many lines were filed
already.

The file: a header ``household,date,kind[,value]``; ``kind`` is ``water_still`` or
``power_score`` (with ``value``, the score 0-100); the date as ``2031-05-12`` or
``2031/05/12``. UTF-8 (with or without Excel's BOM) or Shift_JIS (cp932), which
municipal systems still write.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from mimamori.errors import ChangeRefused, FieldProblem
from mimamori.hub.access.policy import Principal
from mimamori.hub.cases import partners
from mimamori.hub.desk.service import actor
from mimamori.hub.model.cases import Noticed, Partner, ReportDraft
from mimamori.hub.model.register import Actor
from mimamori.hub.register.registry import Registry
from mimamori.hub.server.state import HubState
from mimamori.hub.store.port_cases import BatchLine

log = logging.getLogger(__name__)

MAX_LINES = 5000  # a month of a town's anomalies many times over; the body is 1 MiB at most
KINDS = {"water_still": "水道メーターが動いていない", "power_score": "電力データのスコア"}


@dataclass(frozen=True)
class LineProblem:
    line: int
    ja: str
    en: str


@dataclass
class Imported:
    filed: int = 0  # lines filed as reports
    cases: set[int] = field(default_factory=set)  # the cases they joined or opened
    no_consent: list[int] = field(default_factory=list)  # line numbers, not filed
    already: int = 0  # lines filed by an earlier upload (or twice in this one)
    problems: list[LineProblem] = field(default_factory=list)


def _text(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ChangeRefused(
        [FieldProblem("file", "UTF-8 か Shift_JIS の CSV にしてください", "not UTF-8 or Shift_JIS")]
    )


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        return None


def consents(registry: Registry, household_id: str) -> bool:
    """Someone lives there, and each of them consented to "meter", not withdrawn."""
    home = registry.households.get(household_id)
    people = [registry.people[p] for p in home.people if p in registry.people] if home else []
    return bool(people) and all(p.consents_to("meter") for p in people)


def line_key(household_id: str, day: date, kind: str, value: str) -> str:
    """The anomaly's stable key: the same in any upload, whatever the file's date
    format, spacing or the score's spelling (61, 61.0)."""
    normal = "\x1f".join((household_id, day.isoformat(), kind, value))
    return hashlib.sha256(normal.encode()).hexdigest()


def _line(
    registry: Registry, partner: Partner, row: dict[str, str], today: date
) -> BatchLine | LineProblem | None:
    """A line's report and area, or its problem (numbered by the caller); None: the
    household's people did not all consent to "meter"."""
    home_id = (row.get("household") or "").strip()
    home = registry.households.get(home_id)
    if home is None or home.area not in partner.areas:
        return LineProblem(0, f"この事業者の地域にない世帯です: {home_id[:64]}",
                           f"no such household in the partner's areas: {home_id[:64]}")  # fmt: skip
    day = _day((row.get("date") or "").strip())
    if day is None or day > today + timedelta(days=1):
        return LineProblem(0, "日付は 2031-05-12 の形で、今日までにしてください",
                           "a date like 2031-05-12, not after today")  # fmt: skip
    kind = (row.get("kind") or "").strip()
    if kind not in KINDS:
        return LineProblem(0, "種類は water_still か power_score です",
                           "kind is water_still or power_score")  # fmt: skip
    value = (row.get("value") or "").strip()
    if kind == "power_score":
        try:
            score = float(value)
        except ValueError:
            score = -1.0
        if not 0 <= score <= 100:
            return LineProblem(0, "スコアは 0〜100 の数です", "the score is a number 0-100")
        value = f"{score:g}"
    if not consents(registry, home.id):
        return None
    note = f"{KINDS[kind]}（{day.isoformat()}{'、' + value if value else ''}）"
    report = ReportDraft(Noticed.METER_STILL, note, home.id, None)
    return BatchLine(report, home.area, line_key(home.id, day, kind, value))


def check(
    registry: Registry, partner: Partner, rows: Iterable[tuple[int, dict[str, str]]], today: date
) -> tuple[list[BatchLine], Imported]:
    """The numbered rows' lines to file, and what the import says of the rest (a CSV's
    rows by line number; the department API's by index)."""
    result, good = Imported(), []
    for n, row in rows:
        found = _line(registry, partner, row, today)
        if found is None:
            result.no_consent.append(n)
        elif isinstance(found, LineProblem):
            result.problems.append(LineProblem(n, found.ja, found.en))
        else:
            good.append(found)
    return good, result


def parse(
    registry: Registry, partner: Partner, raw: bytes, today: date
) -> tuple[list[BatchLine], Imported]:
    """A CSV's lines to file and what the import says of the rest."""
    reader = csv.DictReader(io.StringIO(_text(raw), newline=""))
    missing = {"household", "date", "kind"} - set(reader.fieldnames or ())
    if missing:
        raise ChangeRefused([FieldProblem(
            "file", "1行目は household,date,kind[,value] にしてください",
            "the first line must be household,date,kind[,value]",
        )])  # fmt: skip
    rows = itertools.islice(((reader.line_num, row) for row in reader), MAX_LINES)
    good, result = check(registry, partner, rows, today)
    if next(reader, None) is not None:  # a line past the bound: said, not read
        n = reader.line_num
        ja = f"{MAX_LINES}行までです。ここから先は読んでいません"
        result.problems.append(LineProblem(n, ja, f"at most {MAX_LINES} lines: not read on"))
    return good, result


async def file(
    hub: HubState, partner: Partner, good: list[BatchLine], result: Imported, *, by: Actor, via: str
) -> Imported:
    """File the checked lines as ``partner``'s reports (each line once, ever), audited as
    ``by``'s upload ``via`` (CSV, API)."""
    if good:
        label = f"{via}（{by.who}）"
        filed = await hub.store.file_batch(partner.id, label, good, hub.clock())
        result.filed, result.cases = len(filed.cases), set(filed.cases)
        result.already = filed.already
    await hub.store.audit(
        hub.clock(), who=by.who, role=by.role, action="partner.anomalies",
        subject=f"partner:{partner.id}",
        detail=f"{via}: {result.filed} filed, {result.already} filed before, "
        f"{len(result.no_consent)} without consent, "
        f"{len(result.problems)} refused",
    )  # fmt: skip
    log.info("anomalies of %s (%s): %d filed in %d cases, %d filed before, %d without consent, "
             "%d refused", partner.id, via, result.filed, len(result.cases), result.already,
             len(result.no_consent), len(result.problems))  # fmt: skip
    return result


async def import_csv(hub: HubState, who: Principal, partner_id: str, raw: bytes) -> Imported:
    """Check and file a partner's anomalies (the caller may handle the partner)."""
    partner = await partners.partner_of(hub, who, partner_id)
    good, result = parse(hub.registry, partner, raw, hub.clock().date())
    return await file(hub, partner, good, result, by=actor(who, "desk"), via="CSV")
