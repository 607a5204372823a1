"""One MQTT message -> the events and statuses in it, and what was refused: a pure
function that never raises, whatever bytes arrive on whatever topic."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from mimamori.errors import ProtocolError
from mimamori.protocol.codec import Claim, decode_batch, decode_status
from mimamori.protocol.events import Event
from mimamori.protocol.status import GatewayStatus
from mimamori.protocol.topics import parse_gateway_topic


@dataclass(frozen=True)
class Rejection:
    gateway: str  # "?" when the topic names none
    reason: str  # a counter name: "too_large", "not_json", "event", "topic"...
    message: str
    whole: bool  # the whole payload (else one event of a batch)


@dataclass
class Decoded:
    events: list[tuple[str, Event]] = field(default_factory=list)
    statuses: list[GatewayStatus] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    sent: datetime | None = None  # the gateway's clock when it published the batch
    claims: list[tuple[str, Claim]] = field(default_factory=list)  # to acknowledge


def decode_message(topic: str, payload: bytes) -> Decoded:
    """One MQTT message -> the events and statuses in it, and what was refused."""
    out = Decoded()
    parsed = parse_gateway_topic(topic)
    if parsed is None:
        out.rejected.append(Rejection("?", "topic", f"unexpected topic {topic[:200]!r}", True))
        return out
    gateway, leaf = parsed
    try:
        if leaf == "events":
            batch = decode_batch(payload, topic_gateway=gateway)
            out.events.extend((gateway, event) for event in batch.events)
            out.sent = batch.sent
            if batch.claim is not None:
                out.claims.append((gateway, batch.claim))
            for error in batch.errors:
                message = f"event #{error.index}: {error.message}"
                out.rejected.append(Rejection(gateway, "event", message, False))
        elif leaf == "status":
            if payload:  # an empty retained message clears it: nothing to keep
                out.statuses.append(decode_status(payload, topic_gateway=gateway))
        else:
            message = f"unexpected topic {topic[:200]!r}"
            out.rejected.append(Rejection(gateway, "topic", message, True))
    except ProtocolError as exc:
        out.rejected.append(Rejection(gateway, exc.reason, str(exc)[:500], True))
    except Exception as exc:  # a decoder's bug must not be the hub's end: set it aside
        out = Decoded()
        why = f"decoding failed: {type(exc).__name__}: {str(exc)[:300]}"
        out.rejected.append(Rejection(gateway, "decode_failed", why, True))
    return out
