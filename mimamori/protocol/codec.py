"""Bytes <-> event batches and status messages, with the limits of v1.

Decoding is lenient per event: one bad event in a batch is reported and the valid
ones still go through, so a single malformed entry never costs a good event.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from json import encoder as json_encoder
from typing import Any

from pydantic import TypeAdapter, ValidationError

from mimamori.errors import ProtocolError
from mimamori.protocol.events import MAX_BATCH, MAX_SEQ, Event, EventBatch
from mimamori.protocol.status import GatewayStatus
from mimamori.protocol.timefmt import format_ts, from_iso, on_the_wire
from mimamori.protocol.topics import is_valid_id

# A batch of 1000 events is ~250 KiB; anything larger is not ours. The broker is
# configured with the same limit (message_size_limit) so it refuses them first.
MAX_PAYLOAD_BYTES = 256 * 1024


@dataclass(frozen=True)
class EventError:
    index: int
    message: str


_EPOCH = re.compile(r"^[0-9a-f]{32}\Z")


@dataclass(frozen=True)
class Claim:
    """What a batch of an outbox ``epoch`` vouches for: every seq in (after, last] is
    in the batch or will never come (dropped by the gateway's cap, or confirmed)."""

    epoch: str
    after: int
    last: int


@dataclass(frozen=True)
class DecodedBatch:
    gateway_id: str
    events: list[Event]
    errors: list[EventError]
    sent: datetime | None = None  # the gateway's clock when it published the batch
    claim: Claim | None = None  # None: a gateway from before end-to-end acknowledgement


def encode_batch(
    gateway_id: str,
    events: list[Event],
    *,
    sent: datetime | None = None,
    epoch: str | None = None,
    after: int | None = None,
) -> bytes:
    batch = EventBatch(gw=gateway_id, events=events, sent=sent, epoch=epoch, after=after)
    return batch.model_dump_json(exclude_none=True).encode()


def encode_event_bodies(
    gateway_id: str,
    bodies: list[str],
    *,
    sent: datetime | None = None,
    epoch: str | None = None,
    after: int | None = None,
) -> bytes:
    """A batch from events already serialised as JSON (the outbox keeps them so)."""
    head = b'{"v":1,"gw":' + json.dumps(gateway_id).encode()
    if sent is not None:
        head += b',"sent":"' + format_ts(sent).encode() + b'"'
    if epoch is not None and after is not None:
        head += b',"epoch":' + json.dumps(epoch).encode() + b',"after":' + str(after).encode()
    return head + b',"events":[' + ",".join(bodies).encode() + b"]}"


def load_json_object(payload: bytes) -> dict[str, Any]:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ProtocolError(
            "too_large", f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}"
        )
    try:
        doc = json.loads(payload)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError("not_json", f"payload is not JSON: {exc}") from exc
    except RecursionError as exc:
        # json's parser counts its own depth against Python's recursion limit and
        # gives up cleanly, with nothing half-built: "[" * 100000 ends here.
        raise ProtocolError("too_deep", "payload nests deeper than a JSON parser may go") from exc
    if not isinstance(doc, dict):
        raise ProtocolError("not_object", "payload is not a JSON object")
    return doc


def _json_text() -> Callable[[Any], str]:
    """``json.dumps`` with its defaults, the same text, for many small objects.

    ``json.dumps`` builds a new C encoder at every call, which is most of its cost for
    an event's data: the hub stores each event's data as JSON text, and that call was
    the hub's costliest line (a sixth of ingest's Python time, py-spy, 2026-12-03). This
    encoder is built once with ``json.dumps``'s own settings (``check_circular`` aside:
    decoded JSON has no cycles). Where the C encoder is missing or takes other
    arguments (another Python), ``json.dumps`` itself."""
    make = getattr(json_encoder, "c_make_encoder", None)
    if make is None:
        return json.dumps
    try:
        encode = make(
            None, json.JSONEncoder().default, json_encoder.encode_basestring_ascii,
            None, ": ", ", ", False, False, True,
        )  # fmt: skip
    except TypeError:
        return json.dumps
    return lambda value: "".join(encode(value, 0))


json_text = _json_text()


def first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(part) for part in err["loc"])
    return f"{where}: {err['msg']}" if where else str(err["msg"])


def decode_batch(payload: bytes, *, topic_gateway: str) -> DecodedBatch:
    """Decode one events message received on ``.../gw/{topic_gateway}/events``.

    Raises ProtocolError when the envelope is unusable (nothing can be trusted);
    returns per-event errors for entries that are invalid on their own.
    """
    doc = load_json_object(payload)
    if doc.get("v") != 1:
        raise ProtocolError("version", f"unsupported version {doc.get('v')!r}, expected 1")
    gw = doc.get("gw")
    if not isinstance(gw, str) or not is_valid_id(gw):
        raise ProtocolError("gateway", f"invalid gateway id {gw!r}")
    if gw != topic_gateway:
        # A gateway may only speak for itself; the broker ACL enforces the topic.
        raise ProtocolError(
            "gateway", f"payload names gateway {gw!r} on the topic of {topic_gateway!r}"
        )
    raw_events = doc.get("events")
    if not isinstance(raw_events, list) or not raw_events:
        raise ProtocolError("events", "'events' must be a non-empty list")
    if len(raw_events) > MAX_BATCH:
        raise ProtocolError("events", f"{len(raw_events)} events in one batch; at most {MAX_BATCH}")
    if unknown := set(doc) - {"v", "gw", "sent", "events", "epoch", "after"}:
        raise ProtocolError("envelope", f"unknown envelope keys {sorted(unknown)}")
    sent = _sent(doc.get("sent"))
    events: list[Event] = []
    errors: list[EventError] = []
    try:
        # The whole batch in one call: 887 against 1,037 us for 100 events one by one
        # (2026-12-03). Only when an event is invalid are they taken one by one, so
        # that the valid ones are kept and each invalid one is named.
        events = _EVENTS.validate_python(raw_events)
    except ValidationError:
        for index, raw in enumerate(raw_events):
            try:
                events.append(Event.model_validate(raw))
            except ValidationError as exc:
                errors.append(EventError(index, first_error(exc)))
    return DecodedBatch(gw, events, errors, sent, _claim(doc, raw_events))


_EVENTS = TypeAdapter(list[Event])


def _sent(value: object) -> datetime | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError("not a string")
        return on_the_wire(from_iso(value))
    except ValueError as exc:
        raise ProtocolError("envelope", f"'sent' is not a time on the wire: {exc}") from exc


def _claim(doc: dict[str, Any], raw_events: list[Any]) -> Claim | None:
    """The batch's ``epoch``/``after``, checked against its events' seqs.

    The range ends at the highest seq of the batch, invalid events included when
    their seq can be read: an event the hub refuses is refused for good, and a range
    stopping short of it would never let the acknowledgement pass it.
    """
    epoch, after = doc.get("epoch"), doc.get("after")
    if epoch is None and after is None:
        return None
    if not isinstance(epoch, str) or not _EPOCH.match(epoch):
        raise ProtocolError("epoch", "'epoch' must be 32 lower-case hex digits")
    if type(after) is not int or not 0 <= after <= MAX_SEQ:
        raise ProtocolError("after", "'after' must be an integer in 0..2**63-1")
    seqs = [
        seq
        for raw in raw_events
        if isinstance(raw, dict) and type(seq := raw.get("seq")) is int and 1 <= seq <= MAX_SEQ
    ]
    if not seqs:
        raise ProtocolError("after", "no event of the batch has a seq to acknowledge")
    if after >= min(seqs):
        raise ProtocolError("after", f"'after' {after} is not below the first seq {min(seqs)}")
    return Claim(epoch, after, max(seqs))


def encode_status(status: GatewayStatus) -> bytes:
    return status.model_dump_json(exclude_none=True).encode()


def decode_status(payload: bytes, *, topic_gateway: str) -> GatewayStatus:
    doc = load_json_object(payload)
    try:
        status = GatewayStatus.model_validate(doc)
    except ValidationError as exc:
        raise ProtocolError("status", first_error(exc)) from exc
    if status.gw != topic_gateway:
        raise ProtocolError("gateway", f"status of {status.gw!r} on the topic of {topic_gateway!r}")
    return status
