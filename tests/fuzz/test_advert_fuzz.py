"""Fuzzing advert parsing: any advertising data, well-formed AD structures of any
content, and any manufacturer or service data reaching the gateway's decisions.
Nothing escapes but an AdvertError with a reason; what is not a tag is counted."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import event, given, settings
from hypothesis import strategies as st

from mimamori.edge.adverts import (
    APPLE,
    EDDYSTONE,
    IBEACON_PREFIX,
    AdvertError,
    decode_tag,
    parse_ad_structures,
)
from mimamori.edge.daemon import EdgeDaemon
from mimamori.edge.observations import Advert
from mimamori.protocol.tags import is_valid_tag_id
from tests.edge.helpers import TOWN, gateway_config

BYTE_BUDGET = 62  # advertising data + scan response
AT = datetime(2026, 11, 22, tzinfo=UTC)


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=BYTE_BUDGET + 10))
def test_any_advertising_data_parses_or_fails_with_a_reason(data: bytes) -> None:
    try:
        manufacturer, service_data = parse_ad_structures(data)
    except AdvertError as exc:
        assert exc.reason in {"truncated", "short_field"}
        event(exc.reason)
        return
    frame = decode_tag(manufacturer, service_data)
    assert frame is None or is_valid_tag_id(frame.tag_id)


structures = st.lists(
    st.tuples(st.sampled_from([0x01, 0x09, 0x16, 0xFF, 0x03]), st.binary(min_size=2, max_size=28)),
    max_size=4,
)


@settings(max_examples=500, deadline=None)
@given(structures)
def test_well_formed_structures_always_parse_and_keep_the_last_of_each_key(
    parts: list[tuple[int, bytes]],
) -> None:
    data = b"".join(bytes([len(body) + 1, kind]) + body for kind, body in parts)
    manufacturer, service_data = parse_ad_structures(data)
    for kind, body in parts:
        key = body[0] | body[1] << 8
        if kind == 0xFF:
            assert key in manufacturer
        elif kind == 0x16:
            assert key in service_data
    want = {body[0] | body[1] << 8: body[2:] for kind, body in parts if kind == 0xFF}
    assert manufacturer == want


# Data that starts like a tag (Apple + iBeacon prefix, Eddystone UID) but is anything after.
ibeacons = st.builds(
    lambda town, other, rest: IBEACON_PREFIX + (uuid.UUID(TOWN).bytes if town else other) + rest,
    st.booleans(),
    st.binary(min_size=16, max_size=16),
    st.binary(min_size=5, max_size=5),  # major, minor, tx
)
tag_like = st.one_of(
    ibeacons,
    ibeacons,
    st.binary(max_size=30),
    st.binary(max_size=25).map(lambda b: IBEACON_PREFIX + b),
    st.binary(max_size=22).map(lambda b: b"\x00" + b),
)
payloads = st.dictionaries(
    st.one_of(st.sampled_from([APPLE, EDDYSTONE]), st.integers(0, 0xFFFF)), tag_like, max_size=3
)


@settings(max_examples=1000, deadline=None)
@given(payloads, payloads, st.integers(-127, 20))
def test_any_advert_reaching_the_rules_is_decided_or_counted(
    manufacturer: dict[int, bytes], service_data: dict[int, bytes], rssi: int
) -> None:
    config = gateway_config("gw-fuzz", 1, Path("/nonexistent"))
    daemon = EdgeDaemon(config, drivers=[])
    advert = Advert("r1", 1.0, AT, rssi, manufacturer, service_data)
    drafts = daemon.decide(advert)
    counters = daemon.counters
    refused = counters["adverts_unknown_format"] + counters["adverts_not_allowed"]
    assert counters["adverts"] == 1 and refused <= 1
    assert not (drafts and refused)  # an event only from an advert that was let through
    for draft in drafts:
        assert draft.data["tag"].startswith(f"ibeacon:{TOWN}:")
    event("event" if drafts else "refused" if refused else "heard, below the threshold")
