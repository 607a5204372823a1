"""What the API and the live stream say about a person's whereabouts."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from mimamori.hub.model.events import Sighting
from mimamori.hub.register.registry import Registry
from mimamori.protocol.events import EventKind
from mimamori.protocol.timefmt import format_ts

State = Literal["here", "left"]


class Location(BaseModel):
    """Last known position. Never seen: every field but ``person_id`` is null."""

    model_config = ConfigDict(frozen=True)

    person_id: str
    gateway_id: str | None = None
    gateway_name: str | None = None
    lat: float | None = None
    lon: float | None = None
    seen_at: str | None = None
    state: State | None = None


class TrailPoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    gateway_id: str
    gateway_name: str
    lat: float | None
    lon: float | None
    ts: str
    kind: str


class LiveSighting(BaseModel):
    """One message of the live stream: the new position and the trail point."""

    model_config = ConfigDict(frozen=True)

    location: Location
    point: TrailPoint


def state_of(kind: str) -> State:
    return "left" if kind == EventKind.TAG_LEFT else "here"


def location(registry: Registry, person_id: str, sighting: Sighting | None) -> Location:
    if sighting is None:
        return Location(person_id=person_id)
    # A gateway missing from the registry still shows, by its id, without a position.
    place = registry.place(sighting.gateway_id)
    return Location(
        person_id=person_id,
        gateway_id=sighting.gateway_id,
        gateway_name=place.name,
        lat=place.lat,
        lon=place.lon,
        seen_at=format_ts(sighting.seen_at),
        state=state_of(sighting.kind),
    )


def trail_point(registry: Registry, sighting: Sighting) -> TrailPoint:
    place = registry.place(sighting.gateway_id)
    return TrailPoint(
        gateway_id=sighting.gateway_id,
        gateway_name=place.name,
        lat=place.lat,
        lon=place.lon,
        ts=format_ts(sighting.ts),
        kind=sighting.kind,
    )


# What a caller sees of a sighting at a home gateway that is not theirs: that their
# person was near a private home, never which one or where.
PRIVATE_HOME_ID = "private-home"
PRIVATE_HOME_NAME = "個人宅付近"


def masked_location(loc: Location, hidden: frozenset[str]) -> Location:
    if loc.gateway_id not in hidden:
        return loc
    update = {"gateway_id": PRIVATE_HOME_ID, "gateway_name": PRIVATE_HOME_NAME}
    return loc.model_copy(update={**update, "lat": None, "lon": None})


def masked_point(point: TrailPoint, hidden: frozenset[str]) -> TrailPoint:
    if point.gateway_id not in hidden:
        return point
    update = {"gateway_id": PRIVATE_HOME_ID, "gateway_name": PRIVATE_HOME_NAME}
    return point.model_copy(update={**update, "lat": None, "lon": None})
