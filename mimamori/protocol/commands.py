"""Commands from the hub to one gateway (docs/protocol.md, "Commands").

``mimamori/v1/gw/{id}/cmd``, hub -> that gateway only (the broker's ACL), QoS 1, never
retained, with an MQTT v5 message expiry so a command that waited in the broker is
dropped rather than acted on late. Two kinds::

    {"v": 1, "kind": "remind", "ref": "<the missed event's id>", "for_s": 1800}
    {"v": 1, "kind": "config", "version": 3, "yaml": "gateway: ...", "sha256": "<hex>",
     "trial_s": 30}

``remind``: the person has not checked in (ladder level 0); every button of the home
that can be told (a serial unit) beeps and blinks until it is pressed or ``for_s``
seconds have passed. ``ref`` names the reminder on the button's line and in logs.

``config``: the gateway's whole YAML, as the hub keeps it (version ``version`` of
that gateway's config), with the SHA-256 of its UTF-8 bytes so a payload cut or
changed on the way is refused; the gateway applies it and gives its drivers
``trial_s`` seconds to come up, or rolls back (edge/config_push.py). It answers
with a ``config.result`` event.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mimamori.errors import ProtocolError
from mimamori.protocol.codec import MAX_PAYLOAD_BYTES, first_error, load_json_object
from mimamori.protocol.events import MAX_SEQ, Sha256

# A reference travels on the button's serial line as a token field (1-32 characters).
Ref = Annotated[str, Field(pattern=r"^[A-Za-z0-9._+-]{1,32}$")]
# A reminder nobody answers stops by itself: at most a day (the next due time is then
# near, and the ladder's level 1 has told others long before: 23 h by default).
MAX_REMIND_S = 86400
MAX_COMMAND_BYTES = 1024  # far more than a remind needs; anything bigger is refused
# A gateway's YAML: the examples in configs/ are 1.6-3.1 KB, and an allow-list of a
# thousand tag ids adds ~60 KB. 128 KiB leaves room twice over.
MAX_CONFIG_YAML_BYTES = 128 * 1024
# A config command is its YAML escaped as a JSON string (newlines and quotes double):
# bounded like an event batch, which the broker's max_packet_size (270,000) admits.
MAX_CONFIG_COMMAND_BYTES = MAX_PAYLOAD_BYTES
# How long the gateway's drivers may take to come up with a new config. A serial
# port opens in milliseconds and BlueZ starts a scan within a second or two; a
# port that is not there stays away however long one waits.
DEFAULT_TRIAL_S = 30
MAX_TRIAL_S = 600


def yaml_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class RemindCommand(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    v: Literal[1] = 1
    kind: Literal["remind"] = "remind"
    ref: Ref
    for_s: int = Field(ge=1, le=MAX_REMIND_S)


class ConfigCommand(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    v: Literal[1] = 1
    kind: Literal["config"] = "config"
    version: int = Field(ge=1, le=MAX_SEQ)
    yaml: str = Field(min_length=1)
    sha256: Sha256
    trial_s: int = Field(default=DEFAULT_TRIAL_S, ge=1, le=MAX_TRIAL_S)

    @model_validator(mode="after")
    def _whole(self) -> ConfigCommand:
        if len(self.yaml.encode()) > MAX_CONFIG_YAML_BYTES:
            raise ValueError(f"yaml over {MAX_CONFIG_YAML_BYTES} bytes")
        if yaml_sha256(self.yaml) != self.sha256:
            raise ValueError("sha256 does not match the yaml")
        return self


Command = RemindCommand | ConfigCommand
_KINDS: dict[str, tuple[type[RemindCommand] | type[ConfigCommand], int]] = {
    "remind": (RemindCommand, MAX_COMMAND_BYTES),
    "config": (ConfigCommand, MAX_CONFIG_COMMAND_BYTES),
}


def encode_command(command: Command) -> bytes:
    payload = command.model_dump_json().encode()
    limit = _KINDS[command.kind][1]
    if len(payload) > limit:
        raise ProtocolError("too_large", f"{command.kind} command of {len(payload)} bytes")
    return payload


def decode_command(payload: bytes) -> Command:
    """A command from its payload, or ProtocolError saying why not. Nothing over
    ``MAX_CONFIG_COMMAND_BYTES`` is read; only a ``config`` may pass ``MAX_COMMAND_BYTES``."""
    if len(payload) > MAX_CONFIG_COMMAND_BYTES:
        raise ProtocolError("too_large", f"command of {len(payload)} bytes")
    data = load_json_object(payload)
    kind = data.get("kind")
    model, limit = _KINDS["config" if kind == "config" else "remind"]
    if len(payload) > limit:
        raise ProtocolError("too_large", f"{kind} command of {len(payload)} bytes")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ProtocolError("command", first_error(exc)) from exc
