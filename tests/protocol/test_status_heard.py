"""A receiver's rate in the gateway status (``heard``): bounded like every wire field,
optional so that the statuses of older gateways keep being accepted."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from mimamori.hub.ingest.decode import decode_message
from mimamori.protocol import GatewayStatus, HeardStatus, decode_status, encode_status
from mimamori.protocol.events import MAX_COUNT
from mimamori.protocol.status import HEARD_MINUTES

TOPIC = "mimamori/v1/gw/gw-1/status"
# A status as gateways sent it before receivers reported their rate.
OLD_STATUS = {
    "v": 1,
    "gw": "gw-1",
    "state": "online",
    "ts": "2031-05-01T00:00:00.000Z",
    "version": "0.1.0",
    "config_hash": "3f9a0c1b2d4e",
    "drivers": {
        "vm": {
            "driver": "serial_line",
            "state": "up",
            "last_frame": "2031-05-01T00:00:00.000Z",
            "counters": {"adverts": 10},
        }
    },
    "outbox": {"depth": 0, "dropped": {}},
    "counters": {"events": 3},
    "interval_s": 60,
}
HEARD = {
    "last_min": 42,
    "per_min": [40, 38, 42],
    "until": "2031-05-01T00:00:00.000Z",
    "last_advert": "2031-05-01T00:00:20.000Z",
}


def with_heard(heard: dict[str, Any]) -> dict[str, Any]:
    status = json.loads(json.dumps(OLD_STATUS))
    status["drivers"]["vm"]["heard"] = heard
    return status


def test_a_status_without_the_rate_still_validates_and_the_hub_takes_it() -> None:
    payload = json.dumps(OLD_STATUS).encode()
    status = decode_status(payload, topic_gateway="gw-1")
    assert status.drivers["vm"].heard is None
    decoded = decode_message(TOPIC, payload)
    assert decoded.rejected == [] and decoded.statuses == [status]


def test_a_status_with_the_rate_round_trips_and_the_hub_takes_it() -> None:
    payload = json.dumps(with_heard(HEARD)).encode()
    status = decode_status(payload, topic_gateway="gw-1")
    heard = status.drivers["vm"].heard
    assert heard is not None and heard.per_min == [40, 38, 42] and heard.last_min == 42
    assert json.loads(encode_status(status))["drivers"]["vm"]["heard"] == HEARD
    decoded = decode_message(TOPIC, payload)
    assert decoded.rejected == [] and decoded.statuses == [status]


def test_a_shortened_minute_round_trips_and_the_usual_one_is_not_on_the_wire() -> None:
    status = decode_status(
        json.dumps(with_heard({**HEARD, "minute_s": 1.0})).encode(), topic_gateway="gw-1"
    )
    heard = status.drivers["vm"].heard
    assert heard is not None and heard.minute_s == 1.0
    assert json.loads(encode_status(status))["drivers"]["vm"]["heard"]["minute_s"] == 1.0
    usual = decode_status(json.dumps(with_heard(HEARD)).encode(), topic_gateway="gw-1")
    assert "minute_s" not in json.loads(encode_status(usual))["drivers"]["vm"]["heard"]


def test_a_driver_without_a_rate_says_nothing_of_it_on_the_wire() -> None:
    status = GatewayStatus.model_validate(OLD_STATUS)
    assert "heard" not in json.loads(encode_status(status))["drivers"]["vm"]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"per_min": [1] * (HEARD_MINUTES + 1), "last_min": 1}, "more than 15 minutes"),
        ({"per_min": [-1], "last_min": -1}, "a negative count"),
        ({"per_min": [MAX_COUNT + 1], "last_min": MAX_COUNT + 1}, "beyond 2**53"),
        ({"per_min": [1.5], "last_min": 1.5}, "a fraction"),
        ({"last_min": 7}, "last_min that is not the last of per_min"),
        ({"per_min": [], "last_min": 3, "until": None}, "last_min without a history"),
        ({"until": None}, "a history without its end"),
        ({"per_min": [], "last_min": 0}, "an end without a history"),
        ({"until": "2031-05-01T00:00:00"}, "a time without a zone"),
        ({"last_advert": "2200-01-01T00:00:00Z"}, "a time past 2200"),
        ({"loudness": 3}, "an unknown key"),
        ({"minute_s": 0.5}, "a minute under a second"),
        ({"minute_s": 61}, "a minute over 60 s"),
    ],
)
def test_the_rate_refuses_what_is_out_of_bounds(change: dict[str, Any], why: str) -> None:
    payload = json.dumps(with_heard({**HEARD, **change})).encode()
    decoded = decode_message(TOPIC, payload)
    assert decoded.statuses == [], why
    assert [r.reason for r in decoded.rejected] == ["status"], why
    with pytest.raises(ValidationError):
        HeardStatus.model_validate({**HEARD, **change})
