"""Pure rules about people out and about: the usual area, the usual hours, and the
direction a search page shows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from mimamori.hub.alerts.people import inside, within_hours
from mimamori.hub.people.whereabouts import TrailPoint
from mimamori.hub.register.schema import GatewayEntry, UsualArea
from mimamori.hub.searches.trail import direction

CITY_HALL = GatewayEntry(id="gw-hall", area="ginowan", name="市役所", lat=26.2815, lon=127.7785)
FAR = GatewayEntry(
    id="gw-far", area="chatan", name="北谷", lat=26.3160, lon=127.7720
)  # ~4 km north


def test_a_gateway_is_inside_when_named_or_within_the_circle_around_home() -> None:
    named = UsualArea(gateways=["gw-hall"])
    assert inside(named, CITY_HALL) is True and inside(named, FAR) is False
    circle = UsualArea(home={"lat": 26.2800, "lon": 127.7770}, radius_m=500)
    assert inside(circle, CITY_HALL) is True and inside(circle, FAR) is False
    assert inside(UsualArea(hours="06:00-20:00"), FAR) is None  # hours only: no place rule


@pytest.mark.parametrize(
    ("hours", "utc_hour", "expected"),
    [
        ("06:00-20:00", 0, True),  # 09:00 in Tokyo
        ("06:00-20:00", 12, False),  # 21:00 in Tokyo
        ("22:00-05:00", 14, True),  # 23:00, an hours range across midnight
        ("22:00-05:00", 3, False),  # 12:00
        ("00:00-24:00", 14, True),
    ],
)
def test_the_usual_hours_are_local_and_may_cross_midnight(
    hours: str, utc_hour: int, expected: bool
) -> None:
    at = datetime(2026, 11, 29, utc_hour, 0, tzinfo=UTC)
    assert within_hours(UsualArea(hours=hours), at) is expected


def test_a_usual_area_must_say_something() -> None:
    with pytest.raises(ValidationError, match="give gateways"):
        UsualArea()
    with pytest.raises(ValidationError, match="go together"):
        UsualArea(home={"lat": 26.28, "lon": 127.77})


def point(gw: GatewayEntry, ts: str) -> TrailPoint:
    return TrailPoint(
        gateway_id=gw.id, gateway_name=gw.name, lat=gw.lat, lon=gw.lon, ts=ts, kind="tag.seen"
    )


def test_the_direction_runs_from_the_previous_place_to_the_latest() -> None:
    trail = [point(CITY_HALL, "2026-11-29T01:00:00.000Z"), point(FAR, "2026-11-29T01:40:00.000Z")]
    found = direction(trail)
    assert found is not None
    assert (found.from_gateway, found.to_gateway, found.compass) == ("市役所", "北谷", "N")
    assert 3500 < found.distance_m < 4500
    # Repeated sightings at the latest place do not hide where the person came from.
    assert direction([*trail, point(FAR, "2026-11-29T01:41:00.000Z")]) == found
    assert direction(trail[:1]) is None
