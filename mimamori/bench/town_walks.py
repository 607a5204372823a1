"""How the town's tag carriers move: from home, between nearby watch points, home again.

A cheaper cousin of ``firmware_sim.walker``: the same straight legs at a steady pace,
planned in advance as knots (time, position) so that "where is this person now" is one
bisect. Each person rests at home, goes out past a chain of watch points, each the
next one a street or two away (one of the few nearest, never straight back), lingers at
some of them (a shop, a bench, a chat), and walks home. Passing a watch point means
walking by it a few metres off, on the street in front of the machine.

A person whose outings keep coming back to one watch point (``regular_at``) is how the
few real gateway processes in the mix get steady traffic: among 2,000 watch points a
random walker would seldom pass one of them.
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass

from mimamori.bench.town_layout import XY, Town

# Comfortable gait of people in their 70s is ~1.3 m/s; frail people and people with
# dementia walk slower (firmware_sim/walker.py).
SPEED_MPS = (0.6, 1.2)
REST_S = (60.0, 900.0)  # at home between outings
LEGS = (4, 12)  # watch points passed on one outing
LINGER_SHARE = 0.3  # of the watch points passed, those where the person stops a while
LINGER_S = (30.0, 300.0)
PASS_M = (2.0, 8.0)  # how far from the machine the street passes
NEIGHBOURS = 6  # the next watch point is one of this many nearest
PHASE_S = 1800.0  # people start at different points of their day


@dataclass(frozen=True)
class Itinerary:
    """Knots ``(t, x, y)`` in time order; straight lines between them."""

    times: tuple[float, ...]
    points: tuple[XY, ...]

    def position(self, t: float) -> XY:
        i = bisect.bisect_right(self.times, t) - 1
        if i < 0:
            return self.points[0]
        if i >= len(self.times) - 1:
            return self.points[-1]
        t0, t1 = self.times[i], self.times[i + 1]
        (x0, y0), (x1, y1) = self.points[i], self.points[i + 1]
        share = (t - t0) / (t1 - t0) if t1 > t0 else 0.0
        return x0 + (x1 - x0) * share, y0 + (y1 - y0) * share


class _Planner:
    def __init__(self, start: XY, t: float, speed: float) -> None:
        self.times = [t]
        self.points = [start]
        self.speed = speed

    @property
    def t(self) -> float:
        return self.times[-1]

    def walk_to(self, xy: XY) -> None:
        here = self.points[-1]
        self.times.append(self.t + math.hypot(xy[0] - here[0], xy[1] - here[1]) / self.speed)
        self.points.append(xy)

    def stay(self, seconds: float) -> None:
        self.times.append(self.t + seconds)
        self.points.append(self.points[-1])


def _beside(xy: XY, rng: random.Random) -> XY:
    angle = rng.uniform(0, 2 * math.pi)
    off = rng.uniform(*PASS_M)
    return xy[0] + off * math.cos(angle), xy[1] + off * math.sin(angle)


def plan_walk(
    town: Town,
    home: XY,
    horizon_s: float,
    rng: random.Random,
    regular_at: int | None = None,
) -> Itinerary:
    """One person's movements from before time 0 (a random phase) to ``horizon_s``."""
    plan = _Planner(home, -rng.uniform(0, PHASE_S), rng.uniform(*SPEED_MPS))
    near_home = town.nearest(home, 1)
    if not near_home:
        plan.stay(horizon_s - plan.t)
        return Itinerary(tuple(plan.times), tuple(plan.points))
    rest = (30.0, 120.0) if regular_at is not None else REST_S
    while plan.t < horizon_s:
        plan.stay(rng.uniform(*rest))
        previous: int | None = None
        at = regular_at if regular_at is not None else near_home[0]
        for leg in range(rng.randint(*LEGS)):
            plan.walk_to(_beside(town.watch_points[at].xy, rng))
            if rng.random() < LINGER_SHARE:
                plan.stay(rng.uniform(*LINGER_S))
            here = town.watch_points[at].xy
            if regular_at is not None and leg % 2 == 1:
                choices = [regular_at] if regular_at != at else []
            else:
                choices = [i for i in town.nearest(here, NEIGHBOURS, exclude=at) if i != previous]
            if not choices:
                break
            previous, at = at, rng.choice(choices)
        plan.walk_to(home)
    return Itinerary(tuple(plan.times), tuple(plan.points))


def plan_walks(
    town: Town, horizon_s: float, seed: int, regulars: dict[int, int]
) -> list[Itinerary]:
    """Every carrier's itinerary; ``regulars`` maps a carrier to the watch point their
    outings keep returning to (their home is moved near it)."""
    rng = random.Random(seed + 1)
    walks = []
    for n, lives in enumerate(town.carrier_homes):
        regular = regulars.get(n)
        home = lives
        if regular is not None:  # a few streets from the watch point they keep passing
            x, y = town.watch_points[regular].xy
            home = x + rng.uniform(-150, 150), y + rng.uniform(-150, 150)
        walks.append(plan_walk(town, home, horizon_s, rng, regular))
    return walks
