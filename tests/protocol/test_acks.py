"""End-to-end acknowledgement on the wire: a batch's claim (epoch, after), the hub's ack
and presence; bounded, and refused with a reason when they are not v1."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mimamori.errors import ProtocolError
from mimamori.protocol.acks import (
    Ack,
    HubPresence,
    decode_ack,
    decode_presence,
    encode_ack,
    encode_presence,
)
from mimamori.protocol.codec import Claim, decode_batch, encode_batch, encode_event_bodies
from mimamori.protocol.events import MAX_SEQ, new_epoch
from tests.protocol.test_codec import event

EPOCH = "0123456789abcdef0123456789abcdef"


def batch(**envelope: Any) -> bytes:
    doc = {"v": 1, "gw": "gw-1", "events": [json.loads(event(5).model_dump_json())]}
    return json.dumps({**doc, **envelope}).encode()


def test_a_batch_with_epoch_and_after_claims_its_range() -> None:
    bodies = [event(n).model_dump_json() for n in (4, 6)]
    payload = encode_event_bodies("gw-1", bodies, epoch=EPOCH, after=2)
    decoded = decode_batch(payload, topic_gateway="gw-1")
    assert decoded.claim == Claim(EPOCH, 2, 6)
    assert [e.seq for e in decoded.events] == [4, 6]
    again = decode_batch(
        encode_batch("gw-1", decoded.events, epoch=EPOCH, after=2), topic_gateway="gw-1"
    )
    assert again.claim == decoded.claim


def test_an_older_gateways_batch_claims_nothing_and_still_decodes() -> None:
    payload = encode_event_bodies("gw-1", [event(1).model_dump_json()])
    assert b"epoch" not in payload
    decoded = decode_batch(payload, topic_gateway="gw-1")
    assert decoded.claim is None and len(decoded.events) == 1


def test_the_range_reaches_an_invalid_event_whose_seq_can_be_read() -> None:
    # The hub refuses it for good: a range stopping short of it would never let the
    # acknowledgement pass it, and the gateway would send it for ever.
    good = json.loads(event(5).model_dump_json())
    bad = dict(good, seq=9, kind="tag.teleported")
    payload = json.dumps({"v": 1, "gw": "gw-1", "epoch": EPOCH, "after": 4, "events": [good, bad]})
    decoded = decode_batch(payload.encode(), topic_gateway="gw-1")
    assert decoded.claim == Claim(EPOCH, 4, 9)
    assert len(decoded.events) == 1 and len(decoded.errors) == 1


@pytest.mark.parametrize(
    ("envelope", "reason"),
    [
        ({"epoch": EPOCH}, "after"),  # both or neither
        ({"after": 3}, "epoch"),
        ({"epoch": EPOCH.upper(), "after": 3}, "epoch"),
        ({"epoch": EPOCH + "0", "after": 3}, "epoch"),
        ({"epoch": 7, "after": 3}, "epoch"),
        ({"epoch": EPOCH, "after": -1}, "after"),
        ({"epoch": EPOCH, "after": MAX_SEQ + 1}, "after"),
        ({"epoch": EPOCH, "after": 10**30}, "after"),
        ({"epoch": EPOCH, "after": 3.0}, "after"),
        ({"epoch": EPOCH, "after": True}, "after"),
        ({"epoch": EPOCH, "after": "3"}, "after"),
        ({"epoch": EPOCH, "after": 5}, "after"),  # not below the first seq (5)
    ],
)
def test_a_claim_that_is_not_v1_is_refused_with_a_reason(
    envelope: dict[str, Any], reason: str
) -> None:
    with pytest.raises(ProtocolError) as info:
        decode_batch(batch(**envelope), topic_gateway="gw-1")
    assert info.value.reason == reason


@settings(max_examples=200, deadline=None)
@given(
    epoch=st.one_of(st.none(), st.text(max_size=40), st.integers(), st.just(EPOCH)),
    after=st.one_of(st.none(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=5)),
)
def test_any_epoch_and_after_decode_to_a_claim_or_a_protocol_error(epoch: Any, after: Any) -> None:
    envelope = {k: v for k, v in (("epoch", epoch), ("after", after)) if v is not None}
    try:
        decoded = decode_batch(batch(**envelope), topic_gateway="gw-1")
    except ProtocolError:
        return
    if decoded.claim is not None:
        assert 0 <= decoded.claim.after < 5 == decoded.claim.last


def test_acks_and_presence_round_trip_and_are_bounded() -> None:
    ack = Ack(epoch=new_epoch(), seq=MAX_SEQ)
    assert decode_ack(encode_ack(ack)) == ack
    assert json.loads(encode_ack(ack)) == {"v": 1, "epoch": ack.epoch, "seq": MAX_SEQ}
    online = HubPresence(state="online")
    assert decode_presence(encode_presence(online)) == online
    for bad in (
        {"v": 1, "epoch": EPOCH, "seq": MAX_SEQ + 1},
        {"v": 1, "epoch": EPOCH, "seq": -1},
        {"v": 1, "epoch": "x", "seq": 1},
        {"v": 1, "epoch": EPOCH, "seq": 1, "extra": 0},
        {"v": 2, "epoch": EPOCH, "seq": 1},
    ):
        with pytest.raises(ProtocolError):
            decode_ack(json.dumps(bad).encode())
    with pytest.raises(ProtocolError):
        decode_presence(b'{"v":1,"state":"sleeping"}')
    with pytest.raises(ProtocolError):
        decode_ack(b"[" * 100)
