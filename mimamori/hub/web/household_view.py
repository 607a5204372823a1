"""A household as the pages show it: its state, check-in and devices in the visitor's
language, ready for the templates (which only lay them out).

Built from the same summaries as the API (``hub/households/summary.py``); used by the
household pages and the dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from mimamori.hub.households.summary import CheckinOut, DayOut, HouseholdOut, HouseholdSummary
from mimamori.hub.web.i18n import Texts
from mimamori.protocol.timefmt import from_iso

CARDS = ("genki", "soudan", "sos")
# The device and gateway events a calendar day names (others are counted, not named).
PROBLEMS = frozenset(
    {
        "device.silent",
        "device.back",
        "device.battery_low",
        "device.mains_lost",
        "device.mains_back",
        "gateway.offline",
    }
)
DAY_KINDS = ("ok", "reminded", "missed", "none")


@dataclass(frozen=True)
class Moment:
    """A time on a page: machine-readable and in the home's local time."""

    iso: str
    text: str


@dataclass(frozen=True)
class StateLabel:
    state: str  # ok, due, missed, unknown: the CSS class
    text: str


@dataclass(frozen=True)
class Checkin:
    at: Moment
    card: str
    card_text: str
    late: bool


@dataclass(frozen=True)
class Line:
    """One device or gateway: good, bad or unknown, and what to say."""

    css: str
    text: str


@dataclass(frozen=True)
class CalendarDay:
    date: str
    number: int
    kind: str  # one of DAY_KINDS
    title: str
    mark: str


@dataclass(frozen=True)
class Calendar:
    weekdays: str
    pad: int  # empty cells before the first day, so each weekday has its column
    days: list[CalendarDay]


def moment(iso: str | None, zone: ZoneInfo, t: Texts) -> Moment | None:
    if iso is None:
        return None
    return Moment(iso, t.date_time(from_iso(iso).astimezone(zone)))


def state_label(view: HouseholdSummary, t: Texts) -> StateLabel:
    text = t(f"hh_state_{view.state}")
    if view.level is not None:
        text = t("hh_state_level", state=text, level=view.level)
    return StateLabel(view.state, text)


def checkin(view: HouseholdSummary, zone: ZoneInfo, t: Texts) -> Checkin | None:
    last = view.last_checkin
    if last is None:
        return None
    at = moment(last.ts, zone, t)
    assert at is not None
    card = t(f"card_{last.card}") if last.card in CARDS else last.card
    return Checkin(at, last.card, card, last.late)


def devices(view: HouseholdSummary, t: Texts) -> list[Line]:
    lines = []
    for d in view.devices:
        problems = [t(f"device_{flag.value}") for flag in d.raised]
        state = t.join(problems) if problems else t("device_ok")
        battery = t("battery_pct", pct=d.battery_pct) if d.battery_pct is not None else ""
        lines.append(Line("bad" if problems else "good", f"{d.id}: {state} {battery}"))
    for g in view.gateways:
        key = "unknown" if g.online is None else ("online" if g.online else "offline")
        css = "unknown" if g.online is None else ("good" if g.online else "bad")
        lines.append(Line(css, f"{t('home_gateway')}: {t(key)}"))
    return lines


def day_kind(day: DayOut) -> str:
    if day.missed_level is not None and day.missed_level >= 1:
        return "missed"
    if day.checkins:
        return "ok"
    if day.missed_level == 0:
        return "reminded"
    return "none"


def calendar(view: HouseholdOut, zone: ZoneInfo, t: Texts) -> Calendar:
    days = []
    for day in view.history:
        kind = day_kind(day)
        notes = [t(f"day_{kind}")]
        notes += [t(f"reminded_{way}") for way in day.reminded]  # what was really sent
        notes += [_card_note(c, zone, t) for c in day.checkins]
        notes += [t(f"problem_{p}") for p in day.problems if p in PROBLEMS]
        mark = "⚠" if any(p != "device.back" for p in day.problems) else ""
        number = date.fromisoformat(day.date).day
        days.append(CalendarDay(day.date, number, kind, " / ".join(notes), mark))
    first = date.fromisoformat(view.history[0].date)
    return Calendar(t("weekdays"), first.weekday(), days)


def _card_note(c: CheckinOut, zone: ZoneInfo, t: Texts) -> str:
    local = from_iso(c.ts).astimezone(zone)
    card = t(f"card_{c.card}") if c.card in CARDS else c.card
    return f"{local:%H:%M} {card}"
