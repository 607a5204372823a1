"""The wire contract: encoding, lenient decoding, and refusal of what is not v1."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from mimamori.errors import ProtocolError
from mimamori.protocol import (
    MAX_PAYLOAD_BYTES,
    Event,
    EventDraft,
    EventKind,
    GatewayStatus,
    decode_batch,
    decode_status,
    encode_batch,
    encode_status,
    parse_gateway_topic,
)
from mimamori.protocol.codec import json_text

TAG = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:100:7"
JST = timezone(timedelta(hours=9))


def event(seq: int = 1, **data: object) -> Event:
    draft = EventDraft(
        EventKind.TAG_SEEN,
        datetime(2026, 11, 22, 9, 0, 0, 123456, tzinfo=JST),
        {"tag": TAG, "receiver": "r1", "rssi": -61, **data},
    )
    return draft.numbered(f"{seq:032x}", seq)


def test_times_travel_as_utc_with_milliseconds() -> None:
    body = json.loads(encode_batch("gw-1", [event()]))
    assert body["events"][0]["ts"] == "2026-11-22T00:00:00.123Z"
    assert body == {"v": 1, "gw": "gw-1", "events": [body["events"][0]]}


def test_a_batch_round_trips() -> None:
    events = [event(1), event(2)]
    decoded = decode_batch(encode_batch("gw-1", events), topic_gateway="gw-1")
    assert decoded.events == events
    assert decoded.errors == []


def test_one_bad_event_does_not_cost_the_good_ones() -> None:
    good = json.loads(event(1).model_dump_json())
    bad = dict(
        good, id="00000000000000000000000000000002", data={"tag": "not-a-tag", "receiver": "r1"}
    )
    payload = json.dumps({"v": 1, "gw": "gw-1", "events": [bad, good]}).encode()
    decoded = decode_batch(payload, topic_gateway="gw-1")
    assert [e.seq for e in decoded.events] == [1]
    assert len(decoded.errors) == 1 and decoded.errors[0].index == 0
    assert "tag" in decoded.errors[0].message


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\xff\xfe", "not_json"),
        (b"[1,2]", "not_object"),
        (b'{"v":2,"gw":"gw-1","events":[]}', "version"),
        (b'{"v":1,"gw":"GW 1","events":[]}', "gateway"),
        (b'{"v":1,"gw":"gw-2","events":[{}]}', "gateway"),
        (b'{"v":1,"gw":"gw-1","events":[]}', "events"),
        (b'{"v":1,"gw":"gw-1","events":[{}],"x":1}', "envelope"),
        (b" " * (MAX_PAYLOAD_BYTES + 1), "too_large"),
    ],
)
def test_unusable_envelopes_are_refused_with_a_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(ProtocolError) as info:
        decode_batch(payload, topic_gateway="gw-1")
    assert info.value.reason == reason


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValidationError):
        Event(
            id="0" * 32,
            seq=1,
            ts=datetime(2026, 1, 1),  # noqa: DTZ001 - naive on purpose
            kind=EventKind.TAG_SEEN,
            data={"tag": TAG, "receiver": "r1"},
        )


def test_unknown_kinds_and_data_keys_are_refused() -> None:
    with pytest.raises(ValidationError):
        Event.model_validate(
            {
                "id": "0" * 32,
                "seq": 1,
                "ts": "2026-01-01T00:00:00Z",
                "kind": "tag.teleported",
                "data": {},
            }
        )
    with pytest.raises(ValidationError):
        Event.model_validate(
            {
                "id": "0" * 32,
                "seq": 1,
                "ts": "2026-01-01T00:00:00Z",
                "kind": "tag.seen",
                "data": {"tag": TAG, "receiver": "r1", "name": "x"},
            }
        )


def test_status_and_last_will_round_trip() -> None:
    status = GatewayStatus(
        gw="gw-1", state="online", ts=datetime(2026, 1, 1, tzinfo=UTC), version="0.1.0"
    )
    assert decode_status(encode_status(status), topic_gateway="gw-1") == status
    will = GatewayStatus(gw="gw-1", state="offline")
    assert json.loads(encode_status(will)) == {
        "v": 1,
        "gw": "gw-1",
        "state": "offline",
        "drivers": {},
        "counters": {},
    }
    with pytest.raises(ProtocolError):
        decode_status(encode_status(status), topic_gateway="gw-2")


def test_gateway_topics_parse_and_strangers_do_not() -> None:
    assert parse_gateway_topic("mimamori/v1/gw/gw-1/events") == ("gw-1", "events")
    assert parse_gateway_topic("mimamori/v1/gw/GW/events") is None
    assert parse_gateway_topic("mimamori/v2/gw/gw-1/events") is None
    assert parse_gateway_topic("mimamori/v1/gw/gw-1/events/x") is None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_only_ever_raise_protocol_errors(payload: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        decode_batch(payload, topic_gateway="gw-1")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["v", "gw", "events", "x"]), json_values, max_size=4))
def test_arbitrary_json_envelopes_only_ever_raise_protocol_errors(doc: dict[str, object]) -> None:
    try:
        decoded = decode_batch(json.dumps(doc).encode(), topic_gateway="gw-1")
    except ProtocolError:
        return
    assert len(decoded.events) + len(decoded.errors) == len(doc["events"])  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=30))
def test_a_batch_keeps_exactly_its_valid_events_in_their_order(valid: list[bool]) -> None:
    raws = []
    for seq, ok in enumerate(valid, start=1):
        raw = json.loads(event(seq).model_dump_json())
        if not ok:
            raw["data"] = {"tag": "not-a-tag", "receiver": "r1"}
        raws.append(raw)
    payload = json.dumps({"v": 1, "gw": "gw-1", "events": raws}).encode()
    decoded = decode_batch(payload, topic_gateway="gw-1")
    assert decoded.events == [event(seq) for seq, ok in enumerate(valid, start=1) if ok]
    assert [e.index for e in decoded.errors] == [i for i, ok in enumerate(valid) if not ok]


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values | st.floats(), max_size=6))
@example({"reason": "\ud800 \x00 ä 見守り", "nested": [{"b": 2, "a": 1.5e300}]})
def test_stored_data_is_written_as_json_dumps_writes_it(data: dict[str, object]) -> None:
    assert json_text(data) == json.dumps(data)
