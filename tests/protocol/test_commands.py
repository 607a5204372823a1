"""The hub's commands to one gateway: valid ones round-trip, anything else is refused."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mimamori.errors import ProtocolError
from mimamori.protocol.commands import (
    MAX_COMMAND_BYTES,
    MAX_CONFIG_COMMAND_BYTES,
    MAX_CONFIG_YAML_BYTES,
    MAX_REMIND_S,
    MAX_TRIAL_S,
    ConfigCommand,
    RemindCommand,
    decode_command,
    encode_command,
    yaml_sha256,
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


# -- config (issue 20) ------------------------------------------------------------------


def config_payload(yaml_text: str, **fields: object) -> bytes:
    command = {"v": 1, "kind": "config", "version": 1, "yaml": yaml_text,
               "sha256": yaml_sha256(yaml_text)} | fields  # fmt: skip
    return json.dumps(command, ensure_ascii=False).encode()


def test_a_config_command_round_trips_and_may_be_longer_than_a_remind() -> None:
    text = "gateway:\n  id: gw-1\n  name: 自販機\n" + "# padding\n" * 500
    command = ConfigCommand(version=7, yaml=text, sha256=yaml_sha256(text), trial_s=5)
    payload = encode_command(command)
    assert len(payload) > MAX_COMMAND_BYTES
    assert decode_command(payload) == command


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (config_payload("a: 1", sha256="0" * 64), "sha256"),  # cut or changed on the way
        (config_payload("a: 1", version=0), "version"),
        (config_payload("a: 1", trial_s=MAX_TRIAL_S + 1), "trial_s"),
        (config_payload("a: 1", trial_s=0), "trial_s"),
        (config_payload(""), "yaml"),
        (config_payload("a: 1", extra=1), "extra"),
        (config_payload("x" * (MAX_CONFIG_YAML_BYTES + 1)), "yaml over"),
        (config_payload("x" * (MAX_CONFIG_COMMAND_BYTES + 1)), "too_large"),
        # the remind's bound still holds for every kind but config
        (b'{"v":1,"kind":"remind","ref":"a","for_s":1,"p":"' + b"x" * 2000 + b'"}', "too_large"),
    ],
)
def test_a_config_command_out_of_bounds_is_refused(payload: bytes, why: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        decode_command(payload)
    assert why in f"{refused.value.reason}: {refused.value}"


def test_a_config_too_large_to_send_is_refused_before_it_is_encoded() -> None:
    text = '"\n' * (MAX_CONFIG_YAML_BYTES // 2)  # each byte escaped to two on the wire
    command = ConfigCommand(version=1, yaml=text, sha256=yaml_sha256(text))
    with pytest.raises(ProtocolError) as refused:
        encode_command(command)
    assert refused.value.reason == "too_large"


@given(
    st.text(min_size=1, max_size=2000),
    st.integers(min_value=-5, max_value=2**64),
    st.integers(min_value=-5, max_value=MAX_TRIAL_S + 5),
)
def test_config_commands_of_any_text_round_trip_or_are_refused(
    text: str, version: int, trial_s: int
) -> None:
    payload = config_payload(text, version=version, trial_s=trial_s)
    try:
        command = decode_command(payload)
    except ProtocolError:
        assert not (1 <= version <= 2**63 - 1 and 1 <= trial_s <= MAX_TRIAL_S)
        return
    assert isinstance(command, ConfigCommand)
    assert (command.yaml, command.version, command.trial_s) == (text, version, trial_s)
    assert decode_command(encode_command(command)) == command
