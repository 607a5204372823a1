"""What hubs send each other (JSON over HTTPS), every field bounded.

Times must lie within ``FAR`` of the receiving hub's clock, given as the validation
context ``{"now": datetime}`` (the hub's clock: api/federation.py reads every body so):
a search lasts 30 days at most anywhere (``search.max_hours``), so a time further off
is a broken clock or an attack, answered with 422 before it reaches the store, the
alert engine or a notice. Without a context nothing came from outside (the relay
builds what it sends from its own store), and the receiver judges it on its clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo

from mimamori.protocol.events import LocalId, TagId, UtcDatetime
from mimamori.protocol.search import MAX_SEARCH_TAGS

FAR = timedelta(days=31)
MAX_SIGHTINGS = 500  # a batch of the relay (relay.BATCH)


def _near_now(value: datetime, info: ValidationInfo) -> datetime:
    now = (info.context or {}).get("now")
    if now is not None and not now - FAR <= value <= now + FAR:
        raise ValueError(f"more than {FAR.days} days from this hub's clock")
    return value


WireTime = Annotated[UtcDatetime, AfterValidator(_near_now)]


class Wire(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class RelayedSearch(Wire):
    """A search of the sending town, for the receiving town's gateways."""

    id: LocalId
    tags: Annotated[list[TagId], Field(min_length=1, max_length=MAX_SEARCH_TAGS)]
    started_at: WireTime
    until: WireTime
    state: Literal["active", "ended"]


class WatchPoint(Wire):
    id: LocalId
    name: str = Field(min_length=1, max_length=100)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class RelayedSighting(Wire):
    event_id: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
    tag: TagId
    kind: Literal["tag.arrived", "tag.seen", "tag.left"]
    ts: WireTime
    gateway: WatchPoint


class SightingsBack(Wire):
    """Sightings of one relayed search, sent back to the town that searches."""

    search_id: LocalId  # the id in the searching town
    sightings: Annotated[list[RelayedSighting], Field(min_length=1, max_length=MAX_SIGHTINGS)]
