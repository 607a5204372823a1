"""A walker's position along a route over time."""

from __future__ import annotations

import pytest

from mimamori.firmware_sim.radio import distance_m
from mimamori.firmware_sim.walker import Walker

A = (26.28000, 127.77800)
B = (26.28090, 127.77800)  # ~100 m north of A
C = (26.28090, 127.77900)  # ~100 m east of B


def test_a_walker_waits_at_the_start_then_walks_at_its_speed() -> None:
    walker = Walker([A, B], speed_mps=1.0, start_delay_s=10.0)
    assert walker.position(0.0) == A
    assert walker.position(10.0) == A
    assert distance_m(A, walker.position(30.0)) == pytest.approx(20.0, rel=1e-3)


def test_a_walker_turns_corners_and_stops_at_the_end() -> None:
    walker = Walker([A, B, C], speed_mps=2.0)
    leg = distance_m(A, B)
    assert walker.length_m == pytest.approx(leg + distance_m(B, C))
    corner = walker.position(leg / 2.0)
    assert corner == pytest.approx(B)
    past_corner = walker.position(leg / 2.0 + 5.0)  # 10 m towards C
    assert distance_m(B, past_corner) == pytest.approx(10.0, rel=1e-3)
    assert walker.position(1e6) == C


def test_back_and_forth_returns_to_the_start_after_two_lengths() -> None:
    walker = Walker([A, B], speed_mps=1.0, back_and_forth=True)
    length = walker.length_m
    assert walker.position(length) == pytest.approx(B)
    assert walker.position(1.5 * length) == pytest.approx(walker.position(0.5 * length))
    assert walker.position(2 * length) == pytest.approx(A)
    assert walker.position(5 * length) == pytest.approx(B)


def test_a_route_of_one_point_is_standing_still() -> None:
    walker = Walker([A], back_and_forth=True)
    assert walker.position(0.0) == walker.position(999.0) == A


@pytest.mark.parametrize(
    "kwargs", [{"route": []}, {"route": [A], "speed_mps": 0.0}, {"route": [A], "start_delay_s": -1}]
)
def test_impossible_walks_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Walker(**kwargs)  # type: ignore[arg-type]
