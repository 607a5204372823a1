"""The data dir's free space in the gateway status (``disk``): optional, so statuses of
older gateways keep being accepted; bounded like every wire field; filled by the
gateway from its own file system."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mimamori.edge.clock import VirtualClock
from mimamori.edge.daemon import EdgeDaemon
from mimamori.edge.disk import disk_of
from mimamori.hub.ingest.decode import decode_message
from mimamori.protocol import decode_status, encode_status
from mimamori.protocol.events import MAX_COUNT
from tests.edge.helpers import gateway_config
from tests.protocol.test_status_heard import OLD_STATUS, TOPIC

DISK = {"free_bytes": 1_500_000_000, "total_bytes": 15_000_000_000}


def with_disk(disk: Any) -> bytes:
    return json.dumps({**OLD_STATUS, "disk": disk}).encode()


def test_an_old_gateways_status_without_its_disk_is_taken_and_says_nothing_of_it() -> None:
    payload = json.dumps(OLD_STATUS).encode()
    decoded = decode_message(TOPIC, payload)
    assert decoded.rejected == [] and decoded.statuses[0].disk is None
    assert "disk" not in json.loads(encode_status(decoded.statuses[0]))


def test_a_status_with_its_disk_round_trips_with_the_free_fraction() -> None:
    decoded = decode_message(TOPIC, with_disk(DISK))
    assert decoded.rejected == []
    [status] = decoded.statuses
    assert status.disk is not None and status.disk.free_fraction == pytest.approx(0.10)
    assert json.loads(encode_status(status))["disk"] == DISK
    assert decode_status(encode_status(status), topic_gateway="gw-1") == status


@pytest.mark.parametrize(
    ("disk", "why"),
    [
        ({**DISK, "free_bytes": -1}, "negative free space"),
        ({**DISK, "total_bytes": 0}, "an empty disk"),
        ({**DISK, "free_bytes": DISK["total_bytes"] + 1}, "more free than there is"),
        ({**DISK, "total_bytes": MAX_COUNT + 1}, "beyond 2**53"),
        ({**DISK, "free_bytes": 1.5}, "a fraction of a byte"),
        ({"free_bytes": 1}, "no total"),
        ({**DISK, "inodes": 3}, "an unknown key"),
        ("full", "not an object"),
    ],
)
def test_the_disk_refuses_what_is_out_of_bounds(disk: Any, why: str) -> None:
    decoded = decode_message(TOPIC, with_disk(disk))
    assert decoded.statuses == [], why
    assert [r.reason for r in decoded.rejected] == ["status"], why


def test_the_gateway_says_the_free_space_of_its_data_dir(tmp_path: Path) -> None:
    config = gateway_config("gw-1", 1883, tmp_path)
    status = EdgeDaemon(config, clock=VirtualClock()).status()
    here = disk_of(config.data_dir)  # free space moves as others write: the total does not
    assert status.disk is not None and here is not None
    assert status.disk.total_bytes == here.total_bytes > 0
    assert disk_of(tmp_path / "not-there") is None  # unreadable: the status goes out without
