"""The simulated town's pure parts: where things are, how people walk, when homes check in."""

from __future__ import annotations

import itertools
import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from mimamori.bench.town_homes import household_rules, ladder_s, plan_checkins
from mimamori.bench.town_layout import place_town, to_lat_lon
from mimamori.bench.town_walks import plan_walk
from mimamori.edge.observations import Press
from mimamori.firmware_sim.radio import distance_m
from mimamori.protocol.events import EventKind


def test_the_same_seed_places_the_same_town_around_ginowan() -> None:
    one = place_town(200, 50, 20, 2.0, seed=3)
    two = place_town(200, 50, 20, 2.0, seed=3)
    assert one.watch_points == two.watch_points and one.carrier_homes == two.carrier_homes
    assert len({p.id for p in one.watch_points}) == 200
    half = one.side_m / 2
    assert all(abs(x) <= half and abs(y) <= half for x, y in (p.xy for p in one.watch_points))
    lat, lon = to_lat_lon((1000.0, 0.0))
    assert distance_m((26.2815, 127.7785), (lat, lon)) == pytest.approx(1000, rel=1e-3)


def test_nearest_finds_what_looking_at_every_watch_point_finds() -> None:
    town = place_town(300, 0, 0, 3.0, seed=5)
    rng = random.Random(1)
    for _ in range(50):
        xy = (rng.uniform(-900, 900), rng.uniform(-900, 900))
        by_hand = sorted(range(300), key=lambda i: math.dist(xy, town.watch_points[i].xy))[:6]
        assert town.nearest(xy, 6) == by_hand


def test_a_walker_passes_watch_points_a_few_metres_off_one_neighbour_after_another() -> None:
    town = place_town(400, 0, 1, 4.0, seed=2)
    walk = plan_walk(town, town.carrier_homes[0], 3600.0, random.Random(4))
    # Knots where the walker stands by a watch point: each within 8 m of one.
    by_machine = [
        min(range(400), key=lambda i: math.dist(xy, town.watch_points[i].xy))
        for xy in walk.points
        if min(math.dist(xy, p.xy) for p in town.watch_points) <= 8.0
    ]
    assert len(set(by_machine)) >= 4
    visits = [i for n, i in enumerate(by_machine) if n == 0 or by_machine[n - 1] != i]
    for a, b in itertools.pairwise(visits):
        hop = math.dist(town.watch_points[a].xy, town.watch_points[b].xy)
        assert hop < 400  # one of the nearest, a street or two away
    # Between knots the walker moves no faster than 1.2 m/s.
    for n in range(1, len(walk.times)):
        span = walk.times[n] - walk.times[n - 1]
        assert math.dist(walk.points[n], walk.points[n - 1]) <= 1.2 * span + 1e-6


def test_missed_check_ins_reach_level_1_inside_the_window_and_on_time_presses_close() -> None:
    start = datetime.now(UTC)
    window = 600.0
    plans = plan_checkins(1000, start, window, 0.1, random.Random(7))
    end = start + timedelta(seconds=window)
    assert all(start < p.due and p.due + timedelta(seconds=ladder_s(window)) < end for p in plans)
    missed = [p for p in plans if p.alert == "missed"]
    assert 60 < len(missed) < 140 and all(p.press_at is None for p in missed)

    on_time = next(p for p in plans if p.alert is None and p.press_at and p.press_at < p.due)
    home = household_rules("hh-00001", on_time, window)
    pressed = home.observe(Press("door", 0.0, on_time.press_at, on_time.card))
    assert [d.kind for d in pressed] == [EventKind.CHECKIN_DONE]
    after = on_time.due + timedelta(seconds=ladder_s(window) + 1)
    assert home.tick(1.0, after) == []

    home = household_rules("hh-00002", missed[0], window)
    steps = home.tick(1.0, missed[0].due + timedelta(seconds=ladder_s(window)))
    assert [(d.kind, d.data["level"]) for d in steps] == [
        (EventKind.CHECKIN_MISSED, 0),
        (EventKind.CHECKIN_MISSED, 1),
    ]
