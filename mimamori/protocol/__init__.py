"""The wire contract shared by edge and hub: topics, events, status (v1).

Pure pydantic and standard library; no I/O. See docs/protocol.md.
"""

from mimamori.protocol.codec import (
    MAX_PAYLOAD_BYTES,
    DecodedBatch,
    EventError,
    decode_batch,
    decode_status,
    encode_batch,
    encode_event_bodies,
    encode_status,
)
from mimamori.protocol.events import (
    DATA_MODELS,
    TAG_KINDS,
    Event,
    EventBatch,
    EventDraft,
    EventKind,
    ReceiverData,
    TagData,
    new_event_id,
)
from mimamori.protocol.status import DriverStatus, GatewayStatus, HeardStatus, OutboxStatus
from mimamori.protocol.tags import TagFormat, eddystone_uid_id, ibeacon_id, is_valid_tag_id, matches
from mimamori.protocol.timefmt import format_ts, from_epoch_ms, to_epoch_ms, utc_ms
from mimamori.protocol.topics import (
    EVENTS_SUBSCRIPTION,
    ID_PATTERN,
    STATUS_SUBSCRIPTION,
    command_topic,
    events_topic,
    is_valid_id,
    parse_gateway_topic,
    search_topic,
    status_topic,
)

__all__ = [
    "DATA_MODELS",
    "EVENTS_SUBSCRIPTION",
    "ID_PATTERN",
    "MAX_PAYLOAD_BYTES",
    "STATUS_SUBSCRIPTION",
    "TAG_KINDS",
    "DecodedBatch",
    "DriverStatus",
    "Event",
    "EventBatch",
    "EventDraft",
    "EventError",
    "EventKind",
    "GatewayStatus",
    "HeardStatus",
    "OutboxStatus",
    "ReceiverData",
    "TagData",
    "TagFormat",
    "command_topic",
    "decode_batch",
    "decode_status",
    "eddystone_uid_id",
    "encode_batch",
    "encode_event_bodies",
    "encode_status",
    "events_topic",
    "format_ts",
    "from_epoch_ms",
    "ibeacon_id",
    "is_valid_id",
    "is_valid_tag_id",
    "matches",
    "new_event_id",
    "parse_gateway_topic",
    "search_topic",
    "status_topic",
    "to_epoch_ms",
    "utc_ms",
]
