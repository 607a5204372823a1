"""Eddystone-EID: rotating tag ids, computed exactly as the open specification says.

From the Eddystone-EID specification (eddystone-eid/eid-computation.md): a tag keeps

* an **identity key**, 128-bit AES, shared with its resolver (our hub) and nobody else;
* a **time counter**, 32 bits, one step a second (at most 150 ppm off), on a time base
  of its own: it need not match any clock;
* a **rotation exponent** K, 0-15: it shows a new id every 2**K seconds.

Two AES-128 encryptions (ECB, one block each) give the 8-byte ephemeral id (EID):

1. temporary key = AES(identity key,  ``00``x11 ``FF`` ``00 00`` counter[31:16] (big-endian))
2. EID = first 8 bytes of AES(temporary key,  ``00``x11 ``K`` counter with its K low bits
   cleared (32-bit big-endian))

The temporary key changes every 65,536 s only, so the EIDs of a stretch of time share it
(the specification recommends caching it for that reason).

A *period* here is the counter shifted right by K: the index of one EID. The hub ties a
tag's counter to the wall clock with a **clock offset**: ``counter = floor(unix) + offset``.

Pure computation; ``cryptography`` (which both extras install) is the only dependency.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

KEY_BYTES = 16
EID_BYTES = 8
EXPONENT_MAX = 15
COUNTER_LIMIT = 1 << 32  # the counter is 32 bits
_SALT = 0xFF  # byte 11 of the temporary key's block
_TK_SHIFT = 16  # the temporary key takes the counter's top 16 bits


def check_identity_key(key: bytes) -> bytes:
    if len(key) != KEY_BYTES:
        raise ValueError(f"an identity key is {KEY_BYTES} bytes (32 hex digits), not {len(key)}")
    return key


def check_exponent(exponent: int) -> int:
    if not 0 <= exponent <= EXPONENT_MAX:
        raise ValueError(f"the rotation exponent is 0-{EXPONENT_MAX}, not {exponent}")
    return exponent


def check_counter(counter: int) -> int:
    if not 0 <= counter < COUNTER_LIMIT:
        raise ValueError(f"the time counter is a 32-bit number, not {counter}")
    return counter


def _aes(key: bytes, blocks: bytes) -> bytes:
    # ECB keeps no state between blocks: one call encrypts many independent blocks.
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return enc.update(blocks) + enc.finalize()


def temporary_key_block(counter: int) -> bytes:
    """The block the identity key encrypts into the temporary key."""
    check_counter(counter)
    return bytes(11) + bytes((_SALT, 0, 0)) + (counter >> _TK_SHIFT).to_bytes(2, "big")


def eid_block(exponent: int, counter: int) -> bytes:
    """The block the temporary key encrypts into the EID (low K counter bits cleared)."""
    check_exponent(exponent)
    check_counter(counter)
    cleared = (counter >> exponent) << exponent
    return bytes(11) + bytes((exponent,)) + cleared.to_bytes(4, "big")


def temporary_key(identity_key: bytes, counter: int) -> bytes:
    return _aes(check_identity_key(identity_key), temporary_key_block(counter))


def compute_eid(identity_key: bytes, exponent: int, counter: int) -> bytes:
    """The 8-byte EID a tag shows while its counter reads ``counter``."""
    tk = temporary_key(identity_key, counter)
    return _aes(tk, eid_block(exponent, counter))[:EID_BYTES]


def eids_of_periods(identity_key: bytes, exponent: int, periods: Iterable[int]) -> list[bytes]:
    """The EIDs of rotation periods ``periods`` (counter >> K), in the same order.

    Periods sharing a temporary key are encrypted in one call: a tag's window of
    periods costs two AES key set-ups, not two per EID.
    """
    check_identity_key(identity_key)
    check_exponent(exponent)
    wanted = list(periods)
    by_tk: dict[int, list[int]] = {}
    for index, period in enumerate(wanted):
        counter = check_counter(period << exponent)
        by_tk.setdefault(counter >> _TK_SHIFT, []).append(index)
    out: list[bytes] = [b""] * len(wanted)
    for high, indexes in by_tk.items():
        tk = _aes(identity_key, temporary_key_block(high << _TK_SHIFT))
        blocks = b"".join(eid_block(exponent, wanted[i] << exponent) for i in indexes)
        sealed = _aes(tk, blocks)
        for n, i in enumerate(indexes):
            out[i] = sealed[16 * n : 16 * n + EID_BYTES]
    return out


def counter_at(unix_s: float, clock_offset: int) -> int:
    """The tag's counter at Unix time ``unix_s`` (may fall outside 32 bits: check it)."""
    return math.floor(unix_s) + clock_offset


def period_at(unix_s: float, exponent: int, clock_offset: int) -> int:
    return counter_at(unix_s, clock_offset) >> exponent


def periods_between(exponent: int, clock_offset: int, start: datetime, end: datetime) -> range:
    """The periods a tag on ``clock_offset`` passes through from ``start`` to ``end``,
    limited to those its 32-bit counter can reach."""
    if end < start:
        raise ValueError("the end of a time window comes before its start")
    first = max(period_at(start.timestamp(), exponent, clock_offset), 0)
    last = min(period_at(end.timestamp(), exponent, clock_offset), (COUNTER_LIMIT - 1) >> exponent)
    return range(first, last + 1)


def eids_between(
    identity_key: bytes, exponent: int, clock_offset: int, start: datetime, end: datetime
) -> list[bytes]:
    """Every EID the tag shows from ``start`` to ``end`` (both included), oldest first.

    ``clock_offset`` is the tag's counter minus Unix time; allowing for its drift is the
    caller's business (widen the window by whole periods).
    """
    return eids_of_periods(
        identity_key, exponent, periods_between(exponent, clock_offset, start, end)
    )
