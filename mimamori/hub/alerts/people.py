"""Alerts about a person out and about: seen outside their usual area, or at an hour
they are not usually out. Pure logic over one stored event and the registry.

A sighting inside the area (and within the hours) again closes the open alert and
says so. Sightings at gateways the hub does not know (another town's, without a
position) decide nothing: we cannot tell where they were.
"""

from __future__ import annotations

import math
from datetime import datetime, time
from zoneinfo import ZoneInfo

from mimamori.hub.model.alerts import AlertKind, Change, Clear, Raise, Severity
from mimamori.hub.model.events import StoredEvent
from mimamori.hub.register.registry import Registry
from mimamori.hub.register.schema import GatewayEntry, UsualArea
from mimamori.protocol.events import EventKind

# Sightings that place a person at a gateway; a leave is decided later and elsewhere.
_PLACING = (EventKind.TAG_ARRIVED, EventKind.TAG_SEEN)
EARTH_M = 6_371_000


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_M * math.asin(math.sqrt(h))


def inside(area: UsualArea, gateway: GatewayEntry) -> bool | None:
    """Is the gateway in the area? None when the area says nothing about places."""
    if not area.gateways and area.home is None:
        return None
    if gateway.id in area.gateways:
        return True
    if area.home is not None and area.radius_m is not None:
        far = distance_m(area.home.lat, area.home.lon, gateway.lat, gateway.lon)
        return far <= area.radius_m
    return False


def _hours(spec: str) -> tuple[time, time]:
    start, end = spec.split("-")
    h1, m1 = (int(x) for x in start.split(":"))
    h2, m2 = (int(x) for x in end.split(":"))
    return time(h1, m1), (time(23, 59, 59, 999_999) if h2 == 24 else time(h2, m2))


def within_hours(area: UsualArea, at: datetime) -> bool | None:
    """Is ``at`` within the usual hours (local)? None when no hours are set."""
    if area.hours is None:
        return None
    start, end = _hours(area.hours)
    local = at.astimezone(ZoneInfo(area.timezone)).time()
    return start <= local <= end if start <= end else (local >= start or local <= end)


def person_changes(event: StoredEvent, registry: Registry) -> list[Change]:
    if event.kind not in _PLACING:
        return []
    person_id = registry.person_of_tag.get(event.tag or "")
    person = registry.people.get(person_id or "")
    gateway = registry.gateways.get(event.gateway_id)
    if person is None or person.usual_area is None or gateway is None:
        return []
    area, at = person.usual_area, event.ts
    subject = f"person:{person.id}"
    home = registry.household_of_person.get(person.id)
    detail = {"gateway": gateway.id, "gateway_name": gateway.name, "person_name": person.name}
    changes: list[Change] = []
    for kind, verdict, back in (
        (AlertKind.OUTSIDE_AREA, inside(area, gateway), "seen inside the usual area"),
        (AlertKind.UNUSUAL_HOUR, within_hours(area, at), "seen within the usual hours"),
    ):
        # The hour is the sighting's; the alert runs from when the hub heard of it.
        received = event.received_at
        if verdict is False:
            changes.append(
                Raise(kind, subject, home, Severity.WARNING, received, detail, person.id)
            )
        elif verdict is True:
            changes.append(Clear(kind, subject, received, back))
    return changes
