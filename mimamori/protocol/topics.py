"""MQTT topics of wire contract v1.

mimamori/v1/gw/{gateway_id}/events   gateway -> hub, QoS 1, batches of events
mimamori/v1/gw/{gateway_id}/status   gateway -> hub, retained, last will "offline"
mimamori/v1/gw/{gateway_id}/cmd      hub -> one gateway
mimamori/v1/gw/{gateway_id}/ack      hub -> one gateway, retained: what the hub stored
mimamori/v1/hub/{name}/status        each hub worker -> gateways, retained, last will "offline"
mimamori/v1/search/{search_id}       hub -> every gateway, retained; empty ends it
"""

from __future__ import annotations

import re

PREFIX = "mimamori/v1"

# Ids become topic levels, so they may never hold '/', '+' or '#'. Lower-case keeps
# them stable when typed by hand on a technician's phone.
ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,62}$"
_ID = re.compile(ID_PATTERN)

EVENTS_SUBSCRIPTION = f"{PREFIX}/gw/+/events"
STATUS_SUBSCRIPTION = f"{PREFIX}/gw/+/status"
HUB_STATUS_SUBSCRIPTION = f"{PREFIX}/hub/+/status"


def shared(group: str, subscription: str) -> str:
    """An MQTT v5 shared subscription: the broker hands each message to one member of
    ``group`` (several hub workers), not to all of them."""
    return f"$share/{group}/{subscription}"


def is_valid_id(value: str) -> bool:
    return bool(_ID.match(value))


def events_topic(gateway_id: str) -> str:
    return f"{PREFIX}/gw/{gateway_id}/events"


def status_topic(gateway_id: str) -> str:
    return f"{PREFIX}/gw/{gateway_id}/status"


def command_topic(gateway_id: str) -> str:
    return f"{PREFIX}/gw/{gateway_id}/cmd"


def ack_topic(gateway_id: str) -> str:
    return f"{PREFIX}/gw/{gateway_id}/ack"


def hub_status_topic(name: str) -> str:
    return f"{PREFIX}/hub/{name}/status"


def parse_hub_status_topic(topic: str) -> str | None:
    """``mimamori/v1/hub/NAME/status`` -> ``NAME``; anything else -> None."""
    parts = topic.split("/")
    if len(parts) != 5 or f"{parts[0]}/{parts[1]}" != PREFIX or parts[2] != "hub":
        return None
    if parts[4] != "status" or not is_valid_id(parts[3]):
        return None
    return parts[3]


def search_topic(search_id: str) -> str:
    return f"{PREFIX}/search/{search_id}"


def parse_gateway_topic(topic: str) -> tuple[str, str] | None:
    """``mimamori/v1/gw/ID/LEAF`` -> ``(ID, LEAF)``; anything else -> None."""
    parts = topic.split("/")
    if len(parts) != 5 or f"{parts[0]}/{parts[1]}" != PREFIX or parts[2] != "gw":
        return None
    if not is_valid_id(parts[3]):
        return None
    return parts[3], parts[4]
