"""What a search page shows: the trail since the start, the last position before it,
and which way the person seems to be going."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from mimamori.hub.model.searches import Participant, Search, Share
from mimamori.hub.people.whereabouts import TrailPoint, masked_point, trail_point
from mimamori.hub.register.registry import Registry
from mimamori.hub.store.port import Store
from mimamori.protocol.timefmt import format_ts

# How far back "the last known position before the search" may lie.
BEFORE_HORIZON = timedelta(days=7)
MAX_POINTS = 10_000
COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Direction(_Out):
    """From the previous watch point to the latest one: a hint, not a prediction."""

    from_gateway: str
    to_gateway: str
    bearing_deg: int  # 0 = north, clockwise
    compass: Literal["N", "NE", "E", "SE", "S", "SW", "W", "NW"]
    distance_m: int


class ParticipantOut(_Out):
    who: str
    role: str
    joined_at: str


class ShareOut(_Out):
    id: int
    label: str
    created_by: str
    created_at: str
    expires_at: str
    revoked_at: str | None
    revoked_by: str | None
    views: int
    state: Literal["active", "ended", "expired", "revoked"]


class SearchSummary(_Out):
    id: str
    person_id: str
    person_name: str
    state: Literal["active", "found", "cancelled", "expired"]
    started_by: str
    started_at: str
    expires_at: str
    ended_at: str | None
    ended_by: str | None
    note: str | None


class SearchOut(SearchSummary):
    last_before: TrailPoint | None  # where the person was last seen before the start
    sightings: list[TrailPoint]  # since the start, oldest first
    direction: Direction | None
    participants: list[ParticipantOut]  # empty on a shared link


def _ts(value: datetime | None) -> str | None:
    return format_ts(value) if value else None


def summary(registry: Registry, search: Search) -> SearchSummary:
    person = registry.people.get(search.person_id)
    return SearchSummary(
        id=search.id,
        person_id=search.person_id,
        person_name=person.name if person else search.person_id,
        state=search.state,
        started_by=search.started_by,
        started_at=format_ts(search.started_at),
        expires_at=format_ts(search.expires_at),
        ended_at=_ts(search.ended_at),
        ended_by=search.ended_by,
        note=search.note,
    )


ShareState = Literal["active", "ended", "expired", "revoked"]


def share_state(share: Share, search: Search, now: datetime) -> ShareState:
    """A link shows its search only while both last: once the person is found (or the
    search is cancelled or runs out), outsiders no longer need to know where they are."""
    if share.revoked_at is not None:
        return "revoked"
    if not share.usable(now):
        return "expired"
    return "active" if search.active else "ended"


def share_out(share: Share, search: Search, now: datetime) -> ShareOut:
    state = share_state(share, search, now)
    return ShareOut(
        id=share.id,
        label=share.label,
        created_by=share.created_by,
        created_at=format_ts(share.created_at),
        expires_at=format_ts(share.expires_at),
        revoked_at=_ts(share.revoked_at),
        revoked_by=share.revoked_by,
        views=share.views,
        state=state,
    )


def _distance_bearing(a: TrailPoint, b: TrailPoint) -> tuple[float, float]:
    """Metres and initial bearing (degrees) from a to b on a sphere; plenty for a town."""
    assert a.lat is not None and a.lon is not None and b.lat is not None and b.lon is not None
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlon = math.radians(b.lon - a.lon)
    hav = (
        math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    )
    distance = 2 * 6_371_000 * math.asin(math.sqrt(hav))
    y = math.sin(dlon) * math.cos(lat2)
    x = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(dlon)
    return distance, (math.degrees(math.atan2(y, x)) + 360) % 360


def direction(points: Iterable[TrailPoint]) -> Direction | None:
    """From the last two distinct watch points with a known position."""
    placed = [p for p in points if p.lat is not None and p.lon is not None]
    if not placed:
        return None
    latest = placed[-1]
    previous = next((p for p in reversed(placed) if p.gateway_id != latest.gateway_id), None)
    if previous is None:
        return None
    distance, bearing = _distance_bearing(previous, latest)
    return Direction(
        from_gateway=previous.gateway_name,
        to_gateway=latest.gateway_name,
        bearing_deg=round(bearing) % 360,
        compass=COMPASS[round(bearing / 45) % 8],
        distance_m=round(distance),
    )


async def search_out(
    store: Store,
    registry: Registry,
    search: Search,
    now: datetime,
    *,
    hidden: frozenset[str],
    participants: list[Participant] | None,
) -> SearchOut:
    tags = registry.tags_of(search.person_id)
    start, end = search.started_at, search.window_end(now)
    before = await store.sightings(tags, start - BEFORE_HORIZON, start, 1)
    found = await store.sightings(tags, start, end, MAX_POINTS)
    points = [masked_point(trail_point(registry, s), hidden) for s in found]
    last_before = masked_point(trail_point(registry, before[-1]), hidden) if before else None
    return SearchOut(
        **summary(registry, search).model_dump(),
        last_before=last_before,
        sightings=points,
        direction=direction([*([last_before] if last_before else []), *points]),
        participants=[
            ParticipantOut(who=p.who, role=p.role, joined_at=format_ts(p.joined_at))
            for p in participants or []
        ],
    )
