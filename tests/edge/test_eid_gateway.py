"""A gateway and Eddystone-EID tags: it forwards rotating ids it cannot read, holding no key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from mimamori.edge.adverts import parse_ad_structures
from mimamori.edge.daemon import EdgeDaemon
from mimamori.edge.observations import Advert
from mimamori.firmware_sim.frames import eddystone_eid_adv
from mimamori.protocol.eid import compute_eid
from mimamori.protocol.events import EventKind
from tests.edge.helpers import TOWN, gateway_config

KEY = bytes.fromhex("00112233445566778899aabbccddeeff")
T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def daemon(tmp_path: Path, **tags: Any) -> EdgeDaemon:
    allow = tags.pop("allow", [f"ibeacon:{TOWN}:*", "eddystone-eid:*"])
    config = gateway_config("gw-eid", 1883, tmp_path, tags={"allow": allow, **tags})
    return EdgeDaemon(config, drivers=[])


def eid_advert(eid: bytes, at: float, rssi: int = -60) -> Advert:
    manufacturer, service_data = parse_ad_structures(eddystone_eid_adv(eid))
    return Advert("r1", at, T0 + timedelta(seconds=at), rssi, manufacturer, service_data)


def test_every_eid_passes_the_allow_list_with_one_entry_and_goes_out_as_its_own_id(
    tmp_path: Path,
) -> None:
    gw = daemon(tmp_path)
    eid = compute_eid(KEY, 10, 65_280)
    drafts = gw.decide(eid_advert(eid, 0.0))
    assert [d.kind for d in drafts] == [EventKind.TAG_ARRIVED]
    assert drafts[0].data["tag"] == f"eddystone-eid:{eid.hex()}"
    assert gw.counters["adverts_not_allowed"] == 0


def test_without_the_eid_entry_eids_never_leave_the_gateway(tmp_path: Path) -> None:
    gw = daemon(tmp_path, allow=[f"ibeacon:{TOWN}:*"])
    assert gw.decide(eid_advert(compute_eid(KEY, 10, 65_280), 0.0)) == []
    assert gw.counters["adverts_not_allowed"] == 1


def test_each_rotation_period_is_a_new_tag_to_the_gateway(tmp_path: Path) -> None:
    # The gateway cannot tell that two EIDs are one tag (that is the point): the new
    # id arrives, and the old one leaves once it has been quiet for leave_after_s.
    # The hub merges the two visits again (docs/eid.md, "Rotation at a gateway").
    gw = daemon(tmp_path)
    old, new = compute_eid(KEY, 4, 16 * 100), compute_eid(KEY, 4, 16 * 101)
    assert [d.kind for d in gw.decide(eid_advert(old, 0.0))] == [EventKind.TAG_ARRIVED]
    assert [d.kind for d in gw.decide(eid_advert(new, 16.0))] == [EventKind.TAG_ARRIVED]
    left = gw.presence.expire(16.0 + 4.0, T0 + timedelta(seconds=20))  # leave_after_s: 5
    assert [(d.kind, d.data["tag"]) for d in left] == [
        (EventKind.TAG_LEFT, f"eddystone-eid:{old.hex()}")
    ]


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ({"allow": ["eddystone-eid:7dd8169dae94258c"]}, "no list can name them"),
        ({"allow": ["eddystone-eid:7d*"]}, "no list can name them"),
        (
            {"allow": ["eddystone-eid:*"], "formats": ["ibeacon"]},
            "'formats' leaves them out",
        ),
    ],
)
def test_an_allow_list_that_tries_to_name_eids_is_refused(
    tmp_path: Path, tags: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        gateway_config("gw-eid", 1883, tmp_path, tags=tags)
