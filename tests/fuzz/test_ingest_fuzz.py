"""Fuzzing what the hub takes from the broker: any topic, any payload, and envelopes
that are right but carry events of any shape. ``decode_message`` never raises, and
every message ends as events, a status, or counted rejections (the empty retained
status, which clears a gateway's status, is the one message that is none of them).
tests/protocol/test_codec.py covers random bytes and envelopes for decode_batch."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from mimamori.hub.ingest.loop import decode_message
from mimamori.protocol import EventKind

GW = "gw-1"
topics = st.one_of(
    st.just(f"mimamori/v1/gw/{GW}/events"),
    st.just(f"mimamori/v1/gw/{GW}/status"),
    st.sampled_from(
        [
            f"mimamori/v1/gw/{GW}/events",
            f"mimamori/v1/gw/{GW}/status",
            "mimamori/v1/gw/gw-2/events",
            "mimamori/v1/gw/GW 1/events",
            "mimamori/v1/gw//events",
            "mimamori/v1/search/s-1",
        ]
    ),
    st.text(max_size=60),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


def maybe(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the right thing; one time in ten, any JSON value."""
    return st.integers(0, 9).flatmap(lambda i: valid if i else json_values)


tag = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:7"
event_fields = {
    "id": maybe(st.text("0123456789abcdef", min_size=32, max_size=32)),
    "seq": maybe(st.integers(-5, 2**64)),
    "ts": maybe(
        st.sampled_from(
            ["2026-11-22T00:00:00.000Z"] * 5 + ["2026-11-22T00:00:00", "2026-13-01T00:00:00Z", ""]
        )
    ),
    "kind": maybe(
        st.sampled_from(["tag.seen", "tag.arrived", "tag.left"])
        | st.sampled_from([*(k.value for k in EventKind), "tag.teleported"])
    ),
    "data": maybe(
        st.fixed_dictionaries(
            {"tag": maybe(st.just(tag)), "receiver": maybe(st.just("r1"))},
            optional={"rssi": maybe(st.integers(-130, 30))},
        )
    ),
}
# Now and then an event carries a key the contract does not know.
events = st.integers(0, 4).flatmap(
    lambda i: st.fixed_dictionaries(event_fields, optional={"extra": json_values} if i else {})
)
envelopes = st.fixed_dictionaries(
    {
        "v": maybe(st.just(1)),
        "gw": maybe(st.just(GW)),
        "events": maybe(st.lists(events, max_size=5)),
    }
)
payloads = st.one_of(
    st.binary(max_size=300),
    envelopes.map(lambda doc: json.dumps(doc).encode()),
    json_values.map(lambda doc: json.dumps(doc).encode()),
)


@settings(max_examples=800, deadline=None)
@given(topics, payloads)
def test_any_message_is_stored_or_counted_and_nothing_raises(topic: str, payload: bytes) -> None:
    decoded = decode_message(topic, payload)
    outcomes = len(decoded.events) + len(decoded.statuses) + len(decoded.rejected)
    clears_status = topic == f"mimamori/v1/gw/{GW}/status" and payload == b""
    assert outcomes >= 1 or clears_status
    for gateway, _ in decoded.events:
        assert gateway == GW  # only on its own topic, and only what it names itself
    for rejection in decoded.rejected:
        assert rejection.reason and rejection.message
        event(f"rejected: {rejection.reason}")
    if decoded.events:
        event("events stored")


@settings(max_examples=300, deadline=None)
@given(st.lists(events, min_size=1, max_size=5))
def test_each_event_of_a_good_envelope_is_kept_or_counted_on_its_own(
    batch: list[dict[str, Any]],
) -> None:
    payload = json.dumps({"v": 1, "gw": GW, "events": batch}).encode()
    decoded = decode_message(f"mimamori/v1/gw/{GW}/events", payload)
    assert [r.whole for r in decoded.rejected] == [False] * len(decoded.rejected)
    assert len(decoded.events) + len(decoded.rejected) == len(batch)
    event(f"{len(decoded.events)} of {len(batch)} valid")
