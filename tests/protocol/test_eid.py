"""Eddystone-EID computation against vectors obtained without our code (eid_vectors.json),
and against OpenSSL run on the spot for inputs hypothesis picks."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mimamori.protocol.eid import (
    COUNTER_LIMIT,
    compute_eid,
    counter_at,
    eid_block,
    eids_between,
    eids_of_periods,
    period_at,
    temporary_key,
    temporary_key_block,
)

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).with_name("eid_vectors.json")).read_text()
)["vectors"]


def _name(vector: dict[str, Any]) -> str:
    return f"k{vector['exponent']}-c{vector['counter']}-{vector['identity_key'][:6]}"


@pytest.mark.parametrize("vector", VECTORS, ids=_name)
def test_the_eid_matches_an_independently_computed_vector(vector: dict[str, Any]) -> None:
    key = bytes.fromhex(vector["identity_key"])
    k, counter = vector["exponent"], vector["counter"]
    assert temporary_key_block(counter).hex() == vector["temporary_key_block"]
    assert temporary_key(key, counter).hex() == vector["temporary_key"]
    assert eid_block(k, counter).hex() == vector["eid_block"]
    assert compute_eid(key, k, counter).hex() == vector["eid"]


def test_the_vectors_include_two_published_by_other_implementations() -> None:
    published = [v for v in VECTORS if v["source"].startswith("published")]
    assert {v["eid"] for v in published} == {"7dd8169dae94258c", "436bfe57d5a09505"}


def test_a_batch_of_periods_gives_what_one_at_a_time_gives() -> None:
    # the batch crosses a temporary-key roll-over (every 65,536 s) and comes unordered
    key = bytes.fromhex(VECTORS[2]["identity_key"])
    periods = [70, 63, 64, 0, 65, 63]
    batch = eids_of_periods(key, 10, periods)
    assert batch == [compute_eid(key, 10, p << 10) for p in periods]
    assert batch[1] == batch[5] and len(set(batch)) == 5


def test_a_tag_shows_one_eid_per_rotation_period() -> None:
    key = bytes(range(16))
    k = 4  # 16 s
    ids = [compute_eid(key, k, c) for c in range(32, 64)]
    assert len(set(ids[:16])) == 1 and len(set(ids[16:])) == 1 and ids[0] != ids[16]


def test_eids_between_covers_every_period_the_window_touches() -> None:
    key = bytes(range(16))
    start = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    offset = 65_280 - int(start.timestamp())  # counter 65,280 at start
    got = eids_between(key, 10, offset, start, start + timedelta(hours=1))
    first = period_at(start.timestamp(), 10, offset)
    last = period_at((start + timedelta(hours=1)).timestamp(), 10, offset)
    assert (first, last) == (63, 67)  # 65,280 + 3,600 = 68,880; >> 10 = 67
    assert got == [compute_eid(key, 10, p << 10) for p in range(63, 68)]
    assert counter_at(start.timestamp() + 0.9, offset) == 65_280


def test_eids_between_stops_where_the_32_bit_counter_ends() -> None:
    key = bytes(16)
    start = datetime(2026, 5, 1, tzinfo=UTC)
    offset = COUNTER_LIMIT - 100 - int(start.timestamp())
    got = eids_between(key, 5, offset, start, start + timedelta(hours=1))
    assert got[-1] == compute_eid(key, 5, COUNTER_LIMIT - 1)
    with pytest.raises(ValueError, match="comes before"):
        eids_between(key, 5, offset, start, start - timedelta(seconds=1))


@pytest.mark.parametrize(
    ("key", "k", "counter", "message"),
    [
        (bytes(15), 0, 0, "16 bytes"),
        (bytes(16), 16, 0, "exponent"),
        (bytes(16), -1, 0, "exponent"),
        (bytes(16), 0, COUNTER_LIMIT, "32-bit"),
        (bytes(16), 0, -1, "32-bit"),
    ],
)
def test_out_of_range_inputs_are_refused(key: bytes, k: int, counter: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compute_eid(key, k, counter)


def _openssl_ecb(key: bytes, block: bytes) -> bytes:
    out = subprocess.run(
        ["openssl", "enc", "-aes-128-ecb", "-nopad", "-K", key.hex()],
        input=block,
        capture_output=True,
        check=True,
    )
    return out.stdout


@settings(max_examples=25, deadline=None)
@given(
    key=st.binary(min_size=16, max_size=16),
    k=st.integers(0, 15),
    counter=st.integers(0, COUNTER_LIMIT - 1),
)
def test_the_eid_agrees_with_openssl_for_any_key_exponent_and_counter(
    key: bytes, k: int, counter: int
) -> None:
    # The blocks are built here from the specification's tables, not with our helpers.
    tk = _openssl_ecb(key, bytes(11) + b"\xff\x00\x00" + (counter >> 16).to_bytes(2, "big"))
    cleared = (counter >> k) << k
    expected = _openssl_ecb(tk, bytes(11) + bytes([k]) + cleared.to_bytes(4, "big"))[:8]
    assert compute_eid(key, k, counter) == expected
