"""End-to-end acknowledgement: what the hub has stored of a gateway's outbox, and
whether a hub is there to store it (docs/protocol.md, "Delivery guarantees").

``mimamori/v1/gw/{id}/ack``, retained, hub -> that gateway only::

    {"v": 1, "epoch": "0c5e…", "seq": 41}

Every event of outbox ``epoch`` up to ``seq`` is stored by the hub, or was refused by
it for good, or will never come (dropped by the gateway's cap). The gateway keeps an
event until an ack of its own epoch covers it, and takes the highest ack it has seen.

``mimamori/v1/hub/{name}/status``, retained, each hub worker (``name``: its MQTT
client id), with the last will ``{"v":1,"state":"offline"}``. The hub is up while
any of its workers is online; a gateway re-sends what the hub has not confirmed only
then, so an absent hub is not flooded with copies the broker already holds for it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from mimamori.errors import ProtocolError
from mimamori.protocol.codec import first_error, load_json_object
from mimamori.protocol.events import Epoch, SeqOrZero


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Ack(_Frozen):
    v: Literal[1] = 1
    epoch: Epoch
    seq: SeqOrZero


class HubPresence(_Frozen):
    v: Literal[1] = 1
    state: Literal["online", "offline"]


def encode_ack(ack: Ack) -> bytes:
    return ack.model_dump_json().encode()


def decode_ack(payload: bytes) -> Ack:
    try:
        return Ack.model_validate(load_json_object(payload))
    except ValidationError as exc:
        raise ProtocolError("ack", first_error(exc)) from exc


def encode_presence(presence: HubPresence) -> bytes:
    return presence.model_dump_json().encode()


def decode_presence(payload: bytes) -> HubPresence:
    try:
        return HubPresence.model_validate(load_json_object(payload))
    except ValidationError as exc:
        raise ProtocolError("presence", first_error(exc)) from exc
