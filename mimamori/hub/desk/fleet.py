"""The technician's fleet: every gateway the caller may see, with what its last status
and the hub's own records say of it, problems first (issue 20).

Who sees which gateways is the desk's rule for watch points (``access/policy.py``):
admins every one, staff those of their areas (``Principal.in_area``), nobody else. The
facts come from the store in a few queries for the whole town (``fleet_facts``), the
rest is worked out here in memory: 500 gateways are one page, not 500 queries.

A gateway's **problems** are what a technician goes to fix: offline, never heard of,
and each open technician alert about it or its receivers. The list shows the offline
first, then those with alerts (the most first), then those never heard of, then the
rest, each by id; ``only`` keeps one kind of problem.

A gateway's **health** is the one word the map colours it by: offline, deaf (an open
``receiver_deaf``), alert (any other technician alert), never, quiet (online and well,
but a receiver heard nothing in its status's last minutes: a quiet street, or the
start of a deafness the hub has not judged yet), ok. Each receiver carries its quarter
hours of the last day (``receiver_rates``) for the sparkline (``sparkline.py``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import ValidationError

from mimamori.hub.access.policy import Principal, may_use_desk
from mimamori.hub.model.alerts import AlertKind
from mimamori.hub.model.fleet import FleetFacts, GatewayRecord, OpenAlert, RateBucket
from mimamori.hub.register.schema import GatewayEntry
from mimamori.hub.store.port import Store
from mimamori.protocol.status import DiskStatus, DriverStatus, GatewayStatus

log = logging.getLogger(__name__)

# Restarts are counted over a day: the restart-loop alert looks at an hour
# (alerts/gateway_health.py), the technician wants to see the slower loops too.
RESTARTS_OVER = timedelta(days=1)
DAY = timedelta(days=1)  # the sparkline's span

OFFLINE = "offline"
NEVER = "never"  # registered, but the hub never had a status from it
PROBLEMS = "problems"  # ``only``: any problem at all
# Health, worst first (the map's colours and its legend's order).
DEAF, ALERT, QUIET, OK = "deaf", "alert", "quiet", "ok"
HEALTHS = (OFFLINE, DEAF, ALERT, NEVER, QUIET, OK)
# The technician's alerts about a gateway or its receivers (the page filters by them).
GATEWAY_KINDS = (
    AlertKind.WATCHPOINT_OFFLINE,
    AlertKind.RECEIVER_DEAF,
    AlertKind.DISK_LOW,
    AlertKind.OUTBOX_GROWING,
    AlertKind.GATEWAY_RESTARTS,
    AlertKind.GATEWAY_CLOCK,
)


@dataclass(frozen=True)
class ReceiverRow:
    name: str
    state: str | None  # starting, up, down; None: not in its last status (offline)
    per_min: float | None  # adverts per minute over the status's last minutes
    last_advert: datetime | None
    day: tuple[RateBucket, ...] = ()  # its quarter hours of the last day, oldest first


@dataclass(frozen=True)
class FleetRow:
    entry: GatewayEntry
    online: bool | None
    since: datetime | None  # its last change online/offline, on the hub's clock
    last_status: datetime | None
    version: str | None
    config_hash: str | None
    outbox: int | None
    restarts: int  # came online over the last ``RESTARTS_OVER``
    clock_offset_s: float | None  # + : behind the hub
    clock_wrong: bool
    disk: DiskStatus | None
    receivers: tuple[ReceiverRow, ...]
    alerts: tuple[OpenAlert, ...]

    @property
    def problems(self) -> tuple[str, ...]:
        """What is wrong, worst first: its state, then its open alerts' kinds."""
        state = (OFFLINE,) if self.online is False else (NEVER,) if self.online is None else ()
        return state + tuple(dict.fromkeys(a.kind for a in self.alerts))

    @property
    def health(self) -> str:
        """One of ``HEALTHS``: what the map colours it by."""
        if self.online is False:
            return OFFLINE
        kinds = {a.kind for a in self.alerts}
        if AlertKind.RECEIVER_DEAF in kinds:
            return DEAF
        if kinds:
            return ALERT
        if self.online is None:
            return NEVER
        return QUIET if any(r.per_min == 0 for r in self.receivers) else OK


def _status(record: GatewayRecord) -> GatewayStatus | None:
    if record.status is None:
        return None
    try:
        return GatewayStatus.model_validate_json(record.status)
    except ValidationError as exc:  # stored by an older hub: shown without its status
        log.warning("gateway %s: its stored status is unreadable: %s", record.gateway_id, exc)
        return None


def _receiver(name: str, driver: DriverStatus, day: list[RateBucket]) -> ReceiverRow:
    heard = driver.heard
    if heard is None:
        return ReceiverRow(name, driver.state, None, None, tuple(day))
    rate = sum(heard.per_min) / len(heard.per_min) if heard.per_min else None
    return ReceiverRow(name, driver.state, rate, heard.last_advert, tuple(day))


def _receivers(
    gid: str, drivers: dict[str, DriverStatus], facts: FleetFacts
) -> tuple[ReceiverRow, ...]:
    """Those of its last status, and those only its day remembers (an offline
    gateway's last will names none: its day shows when it stopped)."""
    days = facts.rates.get(gid, {})
    return tuple(
        _receiver(n, drivers[n], days.get(n, []))
        if n in drivers
        else ReceiverRow(n, None, None, None, tuple(days[n]))
        for n in sorted(set(drivers) | set(days))
    )


def row(entry: GatewayEntry, facts: FleetFacts) -> FleetRow:
    record = facts.records.get(entry.id)
    status = _status(record) if record else None
    offset = record.clock_offset_ms if record else None
    drivers = status.drivers if status else {}
    return FleetRow(
        entry=entry,
        online=record.online if record else None,
        since=facts.since.get(entry.id),
        last_status=record.status_at if record else None,
        version=status.version if status else None,
        config_hash=status.config_hash if status else None,
        outbox=status.outbox.depth if status and status.outbox else None,
        restarts=facts.starts.get(entry.id, 0),
        clock_offset_s=None if offset is None else offset / 1000,
        clock_wrong=bool(record and record.clock_wrong),
        disk=status.disk if status else None,
        receivers=_receivers(entry.id, drivers, facts),
        alerts=tuple(facts.alerts.get(entry.id, ())),
    )


def visible(gateways: dict[str, GatewayEntry], who: Principal) -> list[GatewayEntry]:
    """The gateways of the caller's areas (the desk's watch-point rule); none for
    anyone the desk is not for."""
    if not may_use_desk(who):
        return []
    return [g for g in gateways.values() if who.in_area(g.area)]


def ordered(rows: list[FleetRow], only: str | None) -> list[FleetRow]:
    """Problems first (offline, then alerts, the most first, then never heard of),
    then by id; ``only``: ``problems`` (any), or
    one problem (``offline``, ``never`` or an alert's kind)."""
    if only == PROBLEMS:
        rows = [r for r in rows if r.problems]
    elif only:
        rows = [r for r in rows if only in r.problems]
    return sorted(rows, key=lambda r: (_rank(r), -len(r.problems), r.entry.id))


def _rank(row: FleetRow) -> int:
    """Offline first (nothing is heard there), then open alerts, then gateways never
    heard of (registered, maybe not installed yet), then the well."""
    if row.online is False:
        return 0
    if row.alerts:
        return 1
    return 2 if row.online is None else 3


async def fleet(
    store: Store,
    gateways: dict[str, GatewayEntry],
    who: Principal,
    now: datetime,
    only: str | None = None,
) -> list[FleetRow]:
    """The caller's fleet, as the page lists it."""
    shown = visible(gateways, who)
    if not shown:
        return []
    facts = await store.fleet_facts(now - RESTARTS_OVER, now - DAY)
    return ordered([row(entry, facts) for entry in shown], only)
