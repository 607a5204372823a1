"""Search orders: what the hub asks every gateway to watch for during a search.

``mimamori/v1/search/{search_id}``, retained, from the hub. While an order stands,
a gateway reports each listed tag at once on every sighting (``tag.seen`` with
``search`` set) instead of once a minute. An empty retained message ends the
search; so does ``until`` passing, for a gateway that missed the empty message.

An order names tags by what they broadcast, never whom they belong to: a gateway
learns nothing it could not hear in the street. For a tag with rotating ids
(Eddystone-EID), the hub lists the ids the tag will emit until ``until``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mimamori.errors import ProtocolError
from mimamori.protocol.codec import first_error, load_json_object
from mimamori.protocol.events import LocalId, TagId, UtcDatetime
from mimamori.protocol.topics import PREFIX, is_valid_id

SEARCH_SUBSCRIPTION = f"{PREFIX}/search/+"
# A day of a tag rotating every 64 s (the shortest practical EID period) is 1,350
# ids; a few tags per person fit too.
MAX_SEARCH_TAGS = 5000


class SearchOrder(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    v: Literal[1] = 1
    id: LocalId
    tags: Annotated[list[TagId], Field(min_length=1, max_length=MAX_SEARCH_TAGS)]
    until: UtcDatetime


def encode_search(order: SearchOrder) -> bytes:
    return order.model_dump_json().encode()


def parse_search_topic(topic: str) -> str | None:
    """``mimamori/v1/search/ID`` -> ``ID``; anything else -> None."""
    head, _, search_id = topic.rpartition("/")
    if head != f"{PREFIX}/search" or not is_valid_id(search_id):
        return None
    return search_id


def decode_search(payload: bytes, *, topic_search: str) -> SearchOrder | None:
    """The order on ``.../search/{topic_search}``; None for the empty message that
    ends it. Raises ProtocolError for anything else."""
    if not payload:
        return None
    doc = load_json_object(payload)
    try:
        order = SearchOrder.model_validate(doc)
    except ValidationError as exc:
        raise ProtocolError("search", first_error(exc)) from exc
    if order.id != topic_search:
        raise ProtocolError("search", f"order {order.id!r} on the topic of {topic_search!r}")
    return order
