"""What the API and the household page say about a home and its check-ins.

The home gateway keeps the schedule and decides; the hub only reads what it sent:
each press carries the next due time, each ladder step the due time it escalates,
and the gateway's status carries its current view and its devices' health. Due times
only move forward, so the latest one heard of is the open period's.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, create_model

from mimamori.hub.checkins.sources import line_source
from mimamori.hub.model.events import GATEWAY_OFFLINE, GATEWAY_ONLINE, StoredEvent
from mimamori.hub.model.reminders import Reminder
from mimamori.hub.register.schema import HouseholdEntry
from mimamori.hub.store.port import Store
from mimamori.protocol.events import (
    CHECKIN_KINDS,
    DEVICE_KINDS,
    CheckinData,
    EventKind,
    MissedData,
)
from mimamori.protocol.status import DeviceHealthBase, DeviceHealthStatus, flag_fields
from mimamori.protocol.timefmt import format_ts

HISTORY_DAYS = 30
# A reminder's channel (an apprise URL's scheme) as the calendar names it.
_WAYS = {"button": "button", "line": "line", "mailto": "mail", "mailtos": "mail"}
State = Literal["ok", "due", "missed", "unknown"]
_CHECKINS = sorted(k.value for k in CHECKIN_KINDS)
_HISTORY_KINDS = [
    *_CHECKINS,
    EventKind.CHECKIN_MISSED.value,
    *sorted(k.value for k in DEVICE_KINDS),
    GATEWAY_OFFLINE,
    GATEWAY_ONLINE,
]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class CheckinOut(_Out):
    ts: str
    card: str
    kind: str
    late: bool


class _DeviceOut(DeviceHealthBase):
    """A device as the gateway last reported it: one bool per device flag (``raised``
    reads them), the battery's last reading."""

    id: str


# The flags' fields come from protocol.events.DEVICE_FLAGS, as in the gateway's status.
if TYPE_CHECKING:
    DeviceOut = _DeviceOut
else:
    DeviceOut = create_model("DeviceOut", __base__=_DeviceOut, __module__=__name__, **flag_fields())


class GatewayHealth(_Out):
    id: str
    online: bool | None  # None: never reported
    status_at: str | None


class DayOut(_Out):
    date: str  # local date, YYYY-MM-DD
    checkins: list[CheckinOut]
    missed_level: int | None  # the highest ladder level sent that day
    problems: list[str]  # device and gateway event kinds, in order
    # How the person was reminded that day, as really done (hub/alerts/reminders.py):
    # "button", "line", "mail", "other" (another of their own channels), the last three
    # with "_delivered", "_trying" or "_failed" as their notification stands in the
    # queue; "failed" when the ways tried all failed, or "none" when nothing could
    # reach them. Empty: no reminder was decided that day.
    reminded: list[str] = []


class HouseholdSummary(_Out):
    id: str
    name: str
    state: State
    level: int | None
    last_checkin: CheckinOut | None
    next_due: str | None
    devices: list[DeviceOut]
    gateways: list[GatewayHealth]


class HouseholdOut(HouseholdSummary):
    timezone: str
    history: list[DayOut]  # the last 30 local days, oldest first


def _checkin(event: StoredEvent) -> CheckinOut:
    press = event.data_as(CheckinData)
    return CheckinOut(ts=format_ts(event.ts), card=press.card, kind=event.kind, late=press.late)


def _device(name: str, health: DeviceHealthStatus) -> DeviceOut:
    return DeviceOut(id=name, **health.model_dump())


def _sources(home: HouseholdEntry) -> list[str]:
    """Whose events are the home's: its gateways', and its check-ins by LINE."""
    return [*home.gateways, line_source(home.id)]


async def summary(store: Store, home: HouseholdEntry, now: datetime) -> HouseholdSummary:
    sources = _sources(home)
    last = await store.last_event_of(sources, _CHECKINS)
    statuses = await store.household_statuses(home.gateways)
    dues = [s.next_due for s in statuses]
    if last is not None:
        dues.append(last.data_as(CheckinData).next_due)
    # A home with no gateway status (check-ins by LINE) before its first check-in:
    # the ladder's steps name the due time they escalate.
    if step := await store.last_event_of(sources, [EventKind.CHECKIN_MISSED.value]):
        dues.append(step.data_as(MissedData).due)
    open_due = max(dues, default=None)
    state: State = "unknown"
    level: int | None = None
    if open_due is not None:
        missed = await store.events_of(
            sources, [EventKind.CHECKIN_MISSED.value], open_due, now + timedelta(days=1)
        )
        steps = [e.data_as(MissedData) for e in missed]
        levels = [m.level for m in steps if m.due == open_due and m.level >= 1]
        if levels:
            state, level = "missed", max(levels)
        else:
            state = "due" if now >= open_due else "ok"
    gateways = {g.gateway_id: g for g in await store.gateway_states()}
    return HouseholdSummary(
        id=home.id,
        name=home.name,
        state=state,
        level=level,
        last_checkin=_checkin(last) if last else None,
        next_due=format_ts(open_due) if open_due else None,
        devices=[
            _device(name, health) for s in statuses for name, health in sorted(s.devices.items())
        ],
        gateways=[
            GatewayHealth(
                id=gid,
                online=gateways[gid].online if gid in gateways else None,
                status_at=(
                    format_ts(status_at)
                    if gid in gateways and (status_at := gateways[gid].status_at)
                    else None
                ),
            )
            for gid in home.gateways
        ],
    )


def reminded_by(reminders: list[Reminder]) -> list[str]:
    """The ways a day's reminders went to the person, each once, a queued one with
    what became of its notification (``line_delivered``, ``line_trying``,
    ``line_failed``; the bare way when its notification is not known); when none
    went, ``["failed"]`` if one was tried and failed (a broker that refused), else
    ``["none"]`` (nothing could reach them): never a reminder that did not go."""
    ways = [
        _WAYS.get(r.channel, "other") + (f"_{r.delivery}" if r.delivery else "")
        for r in reminders
        if r.reached or r.delivery == "failed"
    ]
    if reminders and not ways:
        return ["failed"] if any(r.outcome == "failed" for r in reminders) else ["none"]
    return sorted(set(ways), key=ways.index)


def history_days(zone: ZoneInfo, now: datetime, days: int = HISTORY_DAYS) -> list[date]:
    today = now.astimezone(zone).date()
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


async def detail(store: Store, home: HouseholdEntry, now: datetime) -> HouseholdOut:
    # The summary first: an event stored between the two reads then shows in the
    # history too, never as a last check-in missing from its own day.
    head = await summary(store, home, now)
    zone = ZoneInfo(home.timezone)
    days = history_days(zone, now)
    since = datetime.combine(days[0], datetime.min.time(), tzinfo=zone).astimezone(UTC)
    events = await store.events_of(_sources(home), _HISTORY_KINDS, since, now)
    by_day: dict[date, list[StoredEvent]] = defaultdict(list)
    for event in events:
        by_day[event.ts.astimezone(zone).date()].append(event)
    reminders: dict[date, list[Reminder]] = defaultdict(list)
    for reminder in await store.reminders_of([home.id], since, now):
        reminders[reminder.at.astimezone(zone).date()].append(reminder)
    history = []
    for day in days:
        todays = by_day.get(day, [])
        levels = [e.data_as(MissedData).level for e in todays if e.kind == EventKind.CHECKIN_MISSED]
        history.append(
            DayOut(
                date=day.isoformat(),
                checkins=[_checkin(e) for e in todays if e.kind in _CHECKINS],
                missed_level=max(levels, default=None),
                problems=[
                    e.kind for e in todays if e.kind in DEVICE_KINDS or e.kind == GATEWAY_OFFLINE
                ],
                reminded=reminded_by(reminders.get(day, [])),
            )
        )
    return HouseholdOut(**head.model_dump(), timezone=home.timezone, history=history)
