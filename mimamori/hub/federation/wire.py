"""What hubs send each other (JSON over HTTPS)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ...protocol.events import LocalId, TagId, UtcDatetime
from ...protocol.search import MAX_SEARCH_TAGS


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RelayedSearch(_Wire):
    """A search of the sending town, for the receiving town's gateways."""

    id: LocalId
    tags: Annotated[list[TagId], Field(min_length=1, max_length=MAX_SEARCH_TAGS)]
    started_at: UtcDatetime
    until: UtcDatetime
    state: Literal["active", "ended"]


class WatchPoint(_Wire):
    id: LocalId
    name: str = Field(min_length=1, max_length=100)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class RelayedSighting(_Wire):
    event_id: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
    tag: TagId
    kind: Literal["tag.arrived", "tag.seen", "tag.left"]
    ts: UtcDatetime
    gateway: WatchPoint


class SightingsBack(_Wire):
    """Sightings of one relayed search, sent back to the town that searches."""

    search_id: LocalId  # the id in the searching town
    sightings: Annotated[list[RelayedSighting], Field(min_length=1, max_length=500)]
