"""The hub's commands to one gateway: valid ones round-trip, anything else is refused."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mimamori.errors import ProtocolError
from mimamori.protocol.commands import (
    MAX_REMIND_S,
    RemindCommand,
    decode_command,
    encode_command,
)


def test_a_remind_command_round_trips() -> None:
    command = RemindCommand(ref="0f3a9c", for_s=1800)
    assert decode_command(encode_command(command)) == command
    assert encode_command(command) == b'{"v":1,"kind":"remind","ref":"0f3a9c","for_s":1800}'


@pytest.mark.parametrize(
    "payload",
    [
        b'{"v":1,"kind":"beep","ref":"a","for_s":1}',  # an unknown kind
        b'{"v":2,"kind":"remind","ref":"a","for_s":1}',  # a later version
        b'{"v":1,"kind":"remind","ref":"a b","for_s":1}',  # not a line token
        b'{"v":1,"kind":"remind","ref":"a","for_s":0}',
        b'{"v":1,"kind":"remind","ref":"a","for_s":%d}' % (MAX_REMIND_S + 1),
        b'{"v":1,"kind":"remind","ref":"a","for_s":1,"extra":1}',
        b"[]",
        b"\xff",
        b'{"v":1,"kind":"remind","ref":"' + b"a" * 2000 + b'","for_s":1}',
    ],
)
def test_a_command_that_is_not_valid_is_refused(payload: bytes) -> None:
    with pytest.raises(ProtocolError):
        decode_command(payload)


@given(st.binary(max_size=300))
def test_arbitrary_bytes_only_ever_raise_protocol_errors(payload: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        decode_command(payload)
