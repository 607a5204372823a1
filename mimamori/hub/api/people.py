"""The REST API under /api/v1 (OpenAPI at /docs and /openapi.json).

Every route needs a signed-in principal; person routes also need the right to see
that person (``deps.visible_person``), and answer 404 otherwise.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict

from mimamori.hub.access.deps import Caller, Household, Hub, Person
from mimamori.hub.access.policy import (
    hidden_homes,
    visible_gateways,
    visible_households,
    visible_people,
)
from mimamori.hub.api.audit import record
from mimamori.hub.households import summary as households
from mimamori.hub.people.whereabouts import (
    LiveSighting,
    Location,
    TrailPoint,
    location,
    masked_location,
    masked_point,
    trail_point,
)
from mimamori.protocol.timefmt import format_ts

router = APIRouter(prefix="/api/v1")

# Times from the outside world: a year like 0001 or 9999 is a mistake (or a fuzzer),
# and a day's arithmetic on it would overflow.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _plausible(value: datetime) -> datetime:
    if not EARLIEST <= value <= LATEST:
        raise ValueError("must lie between the years 2000 and 2200")
    return value


ApiTime = Annotated[AwareDatetime, AfterValidator(_plausible)]

TRAIL_DEFAULT = timedelta(hours=24)
TRAIL_MAX_RANGE = timedelta(days=31)
TRAIL_MAX_POINTS = 10_000


class PersonOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str


class Trail(BaseModel):
    model_config = ConfigDict(frozen=True)

    person_id: str
    since: str
    until: str
    points: list[TrailPoint]


class GatewayOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    lat: float | None
    lon: float | None
    site: Literal["vending", "shop", "home", "other"] | None
    online: bool | None  # None: the gateway has never reported a status
    status_at: str | None
    last_event_at: str | None


@router.get("/people", response_model=list[PersonOut], summary="The people the caller may see")
async def people(hub: Hub, caller: Caller) -> list[PersonOut]:
    return [PersonOut(id=p.id, name=p.name) for p in visible_people(hub.registry, caller)]


@router.get(
    "/people/{person_id}/location",
    response_model=Location,
    summary="Last known position (fields null when never seen)",
)
async def person_location(hub: Hub, person: Person, caller: Caller) -> Location:
    await record(hub, caller, "view.location", f"person:{person.id}")
    sighting = await hub.store.last_sighting(person.tags)
    hidden = hidden_homes(hub.registry, caller)
    return masked_location(location(hub.registry, person.id, sighting), hidden)


@router.get(
    "/people/{person_id}/trail", response_model=Trail, summary="Sightings over a time range"
)
async def person_trail(  # noqa: PLR0917 (FastAPI passes dependencies and query by name)
    hub: Hub,
    person: Person,
    caller: Caller,
    since: Annotated[ApiTime | None, Query(description="default: 24 h before until")] = None,
    until: Annotated[ApiTime | None, Query(description="default: now")] = None,
    limit: Annotated[int, Query(ge=1, le=TRAIL_MAX_POINTS)] = 1000,
) -> Trail:
    until = (until or hub.clock()).astimezone(UTC)
    since = (since or until - TRAIL_DEFAULT).astimezone(UTC)
    if since > until:
        raise HTTPException(status_code=422, detail="'since' must not be after 'until'")
    if until - since > TRAIL_MAX_RANGE:
        raise HTTPException(status_code=422, detail="the range may span at most 31 days")
    await record(
        hub,
        caller,
        "view.trail",
        f"person:{person.id}",
        f"{since:%Y-%m-%d %H:%M}/{until:%Y-%m-%d %H:%M}",
    )
    found = await hub.store.sightings(person.tags, since, until, limit)
    hidden = hidden_homes(hub.registry, caller)
    return Trail(
        person_id=person.id,
        since=format_ts(since),
        until=format_ts(until),
        points=[masked_point(trail_point(hub.registry, s), hidden) for s in found],
    )


@router.get(
    "/people/{person_id}/live",
    response_class=EventSourceResponse,
    summary="Server-Sent Events: a 'sighting' for every new tag event of this person",
)
async def person_live(hub: Hub, person: Person, caller: Caller) -> AsyncIterator[ServerSentEvent]:
    hidden = hidden_homes(hub.registry, caller)
    await record(hub, caller, "view.live", f"person:{person.id}")
    with hub.live.subscribe(person.id) as subscription:
        async for item in subscription:
            shown = LiveSighting(
                location=masked_location(item.location, hidden),
                point=masked_point(item.point, hidden),
            )
            yield ServerSentEvent(event="sighting", data=shown.model_dump(mode="json"))


@router.get("/gateways", response_model=list[GatewayOut], summary="Gateways, online or not")
async def gateways(hub: Hub, caller: Caller) -> list[GatewayOut]:
    """Admins see every gateway that exists or has reported; others see the registered
    watch points in public places, and their own homes' gateways."""
    states = {s.gateway_id: s for s in await hub.store.gateway_states()}
    entries = {g.id: g for g in visible_gateways(hub.registry, caller)}
    ids = set(entries) | (set(states) if caller.sees_all_homes else set())
    out: list[GatewayOut] = []
    for gid in sorted(ids):
        entry = entries.get(gid)
        state = states.get(gid)
        out.append(
            GatewayOut(
                id=gid,
                name=entry.name if entry else gid,
                lat=entry.lat if entry else None,
                lon=entry.lon if entry else None,
                site=entry.site if entry else None,
                online=state.online if state else None,
                status_at=format_ts(state.status_at) if state and state.status_at else None,
                last_event_at=(
                    format_ts(state.last_event_at) if state and state.last_event_at else None
                ),
            )
        )
    return out


@router.get(
    "/households",
    response_model=list[households.HouseholdSummary],
    summary="The households the caller may see: check-in state, devices, gateways",
)
async def household_list(hub: Hub, caller: Caller) -> list[households.HouseholdSummary]:
    now = hub.clock()
    return [
        await households.summary(hub.store, home, now)
        for home in visible_households(hub.registry, caller)
    ]


@router.get(
    "/households/{household_id}",
    response_model=households.HouseholdOut,
    summary="One household, with a 30-day history of check-ins, missed days and problems",
)
async def household_detail(hub: Hub, home: Household) -> households.HouseholdOut:
    return await households.detail(hub.store, home, hub.clock())
