"""Commands from the hub to one gateway (docs/protocol.md, "Commands").

``mimamori/v1/gw/{id}/cmd``, hub -> that gateway only (the broker's ACL), QoS 1, never
retained, with an MQTT v5 message expiry so a command that waited in the broker is
dropped rather than acted on late. One kind so far::

    {"v": 1, "kind": "remind", "ref": "<the missed event's id>", "for_s": 1800}

``remind``: the person has not checked in (ladder level 0); every button of the home
that can be told (a serial unit) beeps and blinks until it is pressed or ``for_s``
seconds have passed. ``ref`` names the reminder on the button's line and in logs.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mimamori.errors import ProtocolError
from mimamori.protocol.codec import first_error, load_json_object

# A reference travels on the button's serial line as a token field (1-32 characters).
Ref = Annotated[str, Field(pattern=r"^[A-Za-z0-9._+-]{1,32}$")]
# A reminder nobody answers stops by itself: at most a day (the next due time is then
# near, and the ladder's level 1 has told others long before: 23 h by default).
MAX_REMIND_S = 86400
MAX_COMMAND_BYTES = 1024  # far more than a command needs; anything bigger is refused


class RemindCommand(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    v: Literal[1] = 1
    kind: Literal["remind"] = "remind"
    ref: Ref
    for_s: int = Field(ge=1, le=MAX_REMIND_S)


Command = RemindCommand


def encode_command(command: Command) -> bytes:
    return command.model_dump_json().encode()


def decode_command(payload: bytes) -> Command:
    """A command from its payload, or ProtocolError saying why not."""
    if len(payload) > MAX_COMMAND_BYTES:
        raise ProtocolError("too_large", f"command of {len(payload)} bytes")
    try:
        return RemindCommand.model_validate(load_json_object(payload))
    except ValidationError as exc:
        raise ProtocolError("command", first_error(exc)) from exc
